"""The sales process and the funnel: opportunities, weighted forecast, funnel analytics and the
distribution of what the pipeline will bring."""

from crmcore._aggregate import UNCHANGED as _UNCHANGED
from crmcore._deprecation import deprecated as _deprecated
from crmcore._merge import merge_all
from crmcore.forecast._distribution import OutcomeDistribution, outcome_distribution
from crmcore.forecast._funnel import (
    Calibration,
    CalibrationRow,
    CohortConversion,
    CohortRow,
    DwellRow,
    DwellTimes,
    FunnelAggregate,
    FunnelRow,
    FunnelSnapshot,
    FunnelSummary,
    StuckOpportunities,
    StuckRow,
)
from crmcore.forecast._opportunity import (
    Opportunity,
    OpportunityHandedOver,
    OpportunityInvalidated,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityRevised,
    OpportunitySource,
    OpportunityStageChanged,
    OpportunityWon,
    OwnerChange,
    StageChange,
    opportunity_lifecycle,
)
from crmcore.forecast._process import ForecastCategory, HasProbabilities, SalesProcess, Stage
from crmcore.forecast._records import (
    NO_CURRENCY,
    OpportunityHistory,
    OpportunityRecord,
    OpportunityStatus,
    Period,
    StageVisit,
)
from crmcore.forecast._serialization import configure_converter
from crmcore.forecast._weighted import (
    DIMENSIONS,
    CategoryRollup,
    CategoryRow,
    CellKey,
    ForecastAggregate,
    ForecastRow,
    ForecastTable,
    TargetGap,
    weighted_forecast,
)

__all__ = [
    "DIMENSIONS",
    "NO_CURRENCY",
    "Calibration",
    "CalibrationRow",
    "CategoryRollup",
    "CategoryRow",
    "CellKey",
    "CohortConversion",
    "CohortRow",
    "DwellRow",
    "DwellTimes",
    "ForecastAggregate",
    "ForecastCategory",
    "ForecastRow",
    "ForecastTable",
    "FunnelAggregate",
    "FunnelRow",
    "FunnelSnapshot",
    "FunnelSummary",
    "HasProbabilities",
    "Opportunity",
    "OpportunityHandedOver",
    "OpportunityHistory",
    "OpportunityInvalidated",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityRecord",
    "OpportunityReopened",
    "OpportunityRevised",
    "OpportunitySource",
    "OpportunityStageChanged",
    "OpportunityStatus",
    "OpportunityWon",
    "OutcomeDistribution",
    "OwnerChange",
    "Period",
    "SalesProcess",
    "Stage",
    "StageChange",
    "StageVisit",
    "StuckOpportunities",
    "StuckRow",
    "TargetGap",
    "configure_converter",
    "merge_all",
    "opportunity_lifecycle",
    "outcome_distribution",
    "weighted_forecast",
]


def __getattr__(name: str) -> object:
    """``crmcore.forecast.UNCHANGED`` (0.1) still works: the one sentinel is ``crmcore``'s."""
    if name == "UNCHANGED":
        _deprecated("crmcore.forecast.UNCHANGED", "crmcore.UNCHANGED")
        return _UNCHANGED
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
