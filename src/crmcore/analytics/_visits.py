"""Visits as columns: ingress from Arrow, pandas, polars or CSV, and the visit analysis
computed on the columns into the same mergeable `VisitAnalysis` as the record path.

polars counts, per (salesperson, period), the planned, completed, ad-hoc, cancelled and
outside-tolerance visits and the timed minutes, and collects the distinct customers planned
and covered and the field days — the analysis's mergeable state; only those groups reach
Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from crmcore.analytics._columns import VISIT_COLUMNS
from crmcore.analytics._frame import (
    FrameInput,
    checked_rows,
    first_null,
    frame_of,
    polars,
    prepare,
    select,
)
from crmcore.analytics._table import ColumnTable
from crmcore.errors import ValidationError
from crmcore.visits import Grain, VisitAnalysis, VisitFact

__all__ = ["Visits"]

REQUIRED: Final = ("visit_id", "owner_id", "customer_id", "day")
#: Flag columns and the value of a missing column or an empty cell.
FLAGS: Final = {"planned": True, "completed": False, "cancelled": False, "outside": False}
_TRUE: Final = ("true", "yes", "y", "1", "是", "t")
_FALSE: Final = ("false", "no", "n", "0", "否", "f")


def _flag(frame: Any, column: str, default: bool) -> Any:
    """``column`` as a Boolean: true/false, yes/no, 1/0, 是/否 in any case; empty → default."""
    pl = polars()
    dtype = frame.schema[column]
    if dtype == pl.Boolean:
        return frame.with_columns(pl.col(column).fill_null(default))
    text = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()
    words = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
    parsed = text.replace_strict(words, default=None, return_dtype=pl.Boolean)
    bad = frame.with_row_index("_row", offset=1).filter(parsed.is_null() & (text != ""))
    if bad.height:
        row, value = bad["_row"][0], bad[column][0]
        raise ValidationError(
            f"{column}: row {row}: {value!r} is not yes or no (true/false, yes/no, 1/0, 是/否)"
        )
    return frame.with_columns(parsed.fill_null(default).alias(column))


def _seconds(frame: Any) -> Any:
    """``duration_s`` as whole seconds >= 0 (empty: not timed)."""
    pl = polars()
    column = "duration_s"
    dtype = frame.schema[column]
    if dtype.is_float():
        raise ValidationError(f"{column}: a float column ({dtype}) is refused; use whole seconds")
    if not dtype.is_integer():
        text = pl.col(column).cast(pl.String).str.strip_chars()
        bad = frame.with_row_index("_row", offset=1).filter(
            (text != "") & ~text.str.contains(r"^\d+$")
        )
        if bad.height:
            raise ValidationError(
                f"{column}: row {bad['_row'][0]}: {bad[column][0]!r} is not whole seconds"
            )
        frame = frame.with_columns(
            pl.when(text == "").then(None).otherwise(text).cast(pl.Int64).alias(column)
        )
    negative = frame.with_row_index("_row", offset=1).filter(pl.col(column) < 0)
    if negative.height:
        raise ValidationError(f"{column}: row {negative['_row'][0]} is negative")
    return frame.with_columns(pl.col(column).cast(pl.Int64))


class Visits(ColumnTable):
    """One row per visit, held as typed columns (needs the ``arrow`` extra).

    Columns: visit_id, owner_id, customer_id, day (required), planned (default yes),
    completed, cancelled, outside (default no) and duration_s (whole seconds, optional).
    """

    @classmethod
    def from_polars(cls, frame: FrameInput, *, columns: Mapping[str, str] | None = None) -> Visits:
        """From a polars DataFrame; every value is checked and typed."""
        pl = polars()
        data = select(frame_of(frame), VISIT_COLUMNS, REQUIRED, columns)
        data = prepare(data, required=("visit_id", "owner_id", "customer_id"), dates=("day",))
        first_null(data, "day", "is empty (a date is required)")
        for name, default in FLAGS.items():
            if name in data.columns:
                data = _flag(data, name, default)
            else:
                data = data.with_columns(pl.lit(default).alias(name))
        if "duration_s" in data.columns:
            data = _seconds(data)
        else:
            data = data.with_columns(pl.lit(None, pl.Int64).alias("duration_s"))
        return cls(data)

    @classmethod
    def from_facts(cls, facts: Iterable[VisitFact]) -> Visits:
        """From `VisitFact` rows (already typed)."""
        pl = polars()
        rows = checked_rows(facts, VisitFact, "facts")
        names = ("visit_id", "owner_id", "customer_id", "day", *FLAGS, "duration_s")
        schema = {
            "visit_id": pl.String,
            "owner_id": pl.String,
            "customer_id": pl.String,
            "day": pl.Date,
            **dict.fromkeys(FLAGS, pl.Boolean),
            "duration_s": pl.Int64,
        }
        return cls(pl.DataFrame({n: [getattr(r, n) for r in rows] for n in names}, schema=schema))

    def facts(self) -> Iterator[VisitFact]:
        """Each row as a `VisitFact` (the record path; slower)."""
        for row in self.frame.iter_rows(named=True):
            yield VisitFact(
                row["visit_id"],
                row["owner_id"],
                row["customer_id"],
                row["day"],
                planned=row["planned"],
                completed=row["completed"],
                cancelled=row["cancelled"],
                outside=row["outside"],
                duration_s=row["duration_s"],
            )

    def analysis(
        self, *, grain: Grain = Grain.MONTH, owned: Mapping[str, Iterable[str]] | None = None
    ) -> VisitAnalysis:
        """The visit analysis of every row, equal to ``VisitAnalysis.of(facts)``."""
        pl = polars()
        if not isinstance(grain, Grain):
            raise ValidationError(f"grain: expected a Grain, got {grain!r}")
        day = pl.col("day")
        if grain is Grain.DAY:
            period = day.dt.strftime("%Y-%m-%d")
        elif grain is Grain.WEEK:
            period = pl.concat_str(
                [
                    day.dt.iso_year().cast(pl.String),
                    pl.lit("-W"),
                    day.dt.week().cast(pl.String).str.zfill(2),
                ]
            )
        else:
            period = day.dt.strftime("%Y-%m")
        planned, completed = pl.col("planned"), pl.col("completed")
        timed = completed & pl.col("duration_s").is_not_null()
        customer = pl.col("customer_id")
        groups = (
            self.frame.lazy()
            .group_by(pl.col("owner_id"), period.alias("period"))
            .agg(
                planned.sum().alias("planned"),
                (planned & completed).sum().alias("planned_done"),
                completed.sum().alias("completed"),
                (~planned).sum().alias("ad_hoc"),
                pl.col("cancelled").sum().alias("cancelled"),
                (completed & pl.col("outside")).sum().alias("outside"),
                pl.col("duration_s").filter(timed).sum().alias("duration_s"),
                timed.sum().alias("timed"),
                customer.filter(planned).unique().alias("planned_customers"),
                customer.filter(completed).unique().alias("covered"),
                day.filter(completed).unique().alias("field_days"),
            )
            .collect()
        )
        sets = ("planned_customers", "covered", "field_days")
        return VisitAnalysis.of_groups(
            (
                (
                    row.pop("owner_id"),
                    row.pop("period"),
                    {k: set(v) if k in sets else int(v) for k, v in row.items()},
                )
                for row in groups.iter_rows(named=True)
            ),
            grain=grain,
            owned=owned,
        )
