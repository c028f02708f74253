"""Stage-history exports (one row per stage visit) as columns, and the funnel from them.

A CRM's stage-history report has a row each time a deal entered a stage. The rows are sorted
by opportunity and time with polars and folded into one `OpportunityHistory` per
deal; a visit to ``Closed Won`` / ``Closed Lost`` (as Salesforce records them) closes the deal
instead of being a stage. The funnel itself is the record path's mergeable
`FunnelAggregate`, so its results are the same objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

from crmcore.analytics._columns import HISTORY_COLUMNS
from crmcore.analytics._frame import (
    FrameInput,
    amount_column,
    check_text,
    frame_of,
    polars,
    select,
)
from crmcore.analytics._opportunities import resolve_stage, resolve_status
from crmcore.analytics._table import ColumnTable
from crmcore.errors import ValidationError
from crmcore.forecast import (
    FunnelAggregate,
    OpportunityHistory,
    OpportunityStatus,
    SalesProcess,
    StageVisit,
)
from crmcore.money import Money

__all__ = ["StageHistories"]

REQUIRED: Final = ("id", "owner", "amount", "currency", "stage", "entered_at")
_TIMES: Final = ("entered_at", "left_at", "created_at", "closed_at")


def _datetime_column(frame: Any, column: str) -> Any:
    pl = polars()
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return frame.with_columns(pl.col(column).dt.replace_time_zone(None))
    if dtype == pl.Date:
        return frame.with_columns(pl.col(column).cast(pl.Datetime("us")))
    frame = check_text(frame, column, required=column == "entered_at")
    parsed = pl.col(column).str.to_datetime(time_unit="us", strict=False)
    bad = frame.with_row_index("_row", offset=1).filter(
        pl.col(column).is_not_null() & parsed.is_null()
    )
    if bad.height:
        raise ValidationError(
            f"{column}: row {bad['_row'][0]}: {bad[column][0]!r} is not an ISO 8601 date or time"
        )
    return frame.with_columns(parsed.alias(column))


class StageHistories(ColumnTable):
    """Stage visits as typed columns (needs the ``arrow`` extra)."""

    @classmethod
    def from_polars(
        cls,
        frame: FrameInput,
        *,
        columns: Mapping[str, str] | None = None,
        locale: str | None = None,
    ) -> StageHistories:
        """From a polars DataFrame with one row per stage visit."""
        data = select(frame_of(frame), HISTORY_COLUMNS, REQUIRED, columns)
        for name in ("id", "owner", "stage", "currency"):
            data = check_text(data, name, required=True)
        for name in ("entered_by", "status", "department"):
            if name in data.columns:
                data = check_text(data, name, required=False)
        for name in _TIMES:
            if name in data.columns:
                data = _datetime_column(data, name)
        data = amount_column(data, "amount", negative=False, locale=locale)
        return cls(data.sort("id", "entered_at"))

    def __repr__(self) -> str:
        return f"<StageHistories: {len(self):,} visits>"

    def histories(self, process: SalesProcess) -> Iterator[OpportunityHistory]:
        """One `OpportunityHistory` per opportunity, its visits in time order."""
        for opportunity, rows in groupby(self.frame.iter_rows(named=True), key=itemgetter("id")):
            yield _history(opportunity, list(rows), process)

    def funnel(self, process: SalesProcess, *, as_of: datetime, **options: Any) -> FunnelAggregate:
        """The funnel aggregate (``FunnelAggregate.of`` options: period, stuck_factor, ...)."""
        return FunnelAggregate.of(self.histories(process), process, as_of=as_of, **options)


def _history(
    opportunity: str, rows: list[dict[str, Any]], process: SalesProcess
) -> OpportunityHistory:
    first = rows[0]
    status = resolve_status(first.get("status"))
    closed_at = first.get("closed_at")
    visits: list[StageVisit] = []
    for row in rows:
        resolved = resolve_stage(row["stage"], process)
        if resolved is None:
            raise ValidationError(
                f"opportunity {opportunity!r}: unknown stage {row['stage']!r} (sales process "
                f"{process.id!r} has stages {', '.join(process.stage_names)})"
            )
        stage, outcome = resolved
        by = row.get("entered_by") or first["owner"]
        if outcome is not None:
            status, closed_at = outcome, closed_at or row["entered_at"]
            if visits and visits[-1].left_at is None:
                visits[-1] = _left(visits[-1], row["entered_at"], by)
            continue
        if visits and visits[-1].left_at is None:
            visits[-1] = _left(visits[-1], row["entered_at"], by)
        visits.append(StageVisit(stage, row["entered_at"], by, row.get("left_at")))
    closing = status is not OpportunityStatus.OPEN and visits and visits[-1].left_at is None
    if closing and closed_at is not None:
        visits[-1] = _left(visits[-1], closed_at, first["owner"])
    return OpportunityHistory(
        opportunity,
        first["owner"],
        Money(first["amount"], first["currency"].upper()),
        first.get("created_at") or rows[0]["entered_at"],
        visits,
        status,
        closed_at,
        first.get("department"),
    )


def _left(visit: StageVisit, when: datetime, by: str) -> StageVisit:
    return StageVisit(visit.stage, visit.entered_at, visit.entered_by, when, by)
