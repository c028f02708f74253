"""Analytics at columnar speed with exact money: opportunities, stage histories and
installments from Arrow, pandas, polars or CSV; forecast, funnel and aging computed on the
columns into the same mergeable aggregates as the record path (the ``arrow`` extra)."""

from crmcore._merge import merge_all
from crmcore.analytics._columns import (
    HISTORY_COLUMNS,
    INSTALLMENT_COLUMNS,
    OPPORTUNITY_COLUMNS,
)
from crmcore.analytics._histories import StageHistories
from crmcore.analytics._installments import Installments
from crmcore.analytics._opportunities import Opportunities, resolve_stage, resolve_status

__all__ = [
    "HISTORY_COLUMNS",
    "INSTALLMENT_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "Installments",
    "Opportunities",
    "StageHistories",
    "merge_all",
    "resolve_stage",
    "resolve_status",
]
