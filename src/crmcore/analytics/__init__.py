"""Analytics at columnar speed with exact money: opportunities, stage histories,
installments and visits from Arrow, pandas, polars or CSV; forecast, funnel, aging, the
collections forecast and the visit analysis computed on the columns into the same mergeable
results as the record path (the ``arrow`` extra)."""

from crmcore._merge import merge_all
from crmcore.analytics._columns import (
    HISTORY_COLUMNS,
    INSTALLMENT_COLUMNS,
    OPPORTUNITY_COLUMNS,
    VISIT_COLUMNS,
)
from crmcore.analytics._histories import StageHistories
from crmcore.analytics._installments import Installments
from crmcore.analytics._opportunities import Opportunities, resolve_stage, resolve_status
from crmcore.analytics._visits import Visits

__all__ = [
    "HISTORY_COLUMNS",
    "INSTALLMENT_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "VISIT_COLUMNS",
    "Installments",
    "Opportunities",
    "StageHistories",
    "Visits",
    "merge_all",
    "resolve_stage",
    "resolve_status",
]
