"""Open installments as columns, and aging computed on them into an `AgingAggregate`.

Days late, the bucket of each row and the exact decimal sums per (group, currency, bucket)
are computed by polars; only the sums reach Python. The result equals the record path's
``AgingAggregate.of(records)`` — the same unrounded sums — so partitions aged either way merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Any, Final

from crmcore.analytics._collections import cash_forecast
from crmcore.analytics._columns import INSTALLMENT_COLUMNS
from crmcore.analytics._frame import (
    FrameInput,
    checked_rows,
    clean_single,
    defer_text,
    first_null,
    frame_of,
    polars,
    prepare,
    select,
    single_value,
)
from crmcore.analytics._table import ColumnTable
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, get_currency
from crmcore.receivables import (
    PRIOR_DELAY,
    AgingAggregate,
    AgingBasis,
    AgingBuckets,
    CashForecast,
    GroupBy,
    InstallmentRecord,
    PaymentBehaviour,
)

__all__ = ["Installments"]

REQUIRED: Final = ("customer", "owner", "due_date", "issue_date", "outstanding")


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


class Installments(ColumnTable):
    """One row per open installment, held as typed columns (needs the ``arrow`` extra).

    A negative ``outstanding`` (a credit note) is accepted and lowers its bucket.
    """

    @classmethod
    def from_polars(
        cls,
        frame: FrameInput,
        *,
        columns: Mapping[str, str] | None = None,
        locale: str | None = None,
        currency: str | Currency | None = None,
    ) -> Installments:
        """From a polars DataFrame; ``currency`` fills rows (or a file) without one."""
        pl = polars()
        data = select(frame_of(frame), INSTALLMENT_COLUMNS, REQUIRED, columns)
        # one clean currency in every row (the usual table) is checked once, not per row
        one = clean_single(data, "currency")
        clean = one is not None
        data = prepare(
            data,
            optional=["currency"] if "currency" in data.columns and not clean else [],
            dates=("due_date", "issue_date"),
            amounts={"outstanding": True},
            locale=locale,
        )
        data, unchecked = defer_text(
            data,
            required=("customer", "owner"),
            optional=["department"] if "department" in data.columns else [],
        )
        if "department" not in data.columns:
            data = data.with_columns(pl.lit(None, pl.String).alias("department"))
        fill = None if currency is None else get_currency(currency).code
        if "currency" not in data.columns:
            if fill is None:
                raise ValidationError("currency: there is no currency column; pass currency=")
            data = data.with_columns(pl.lit(fill).alias("currency"))
        elif fill is not None:
            data = data.with_columns(pl.col("currency").fill_null(fill))
        first_null(data, "currency", "is empty and no currency= was given")
        if not clean:
            one = single_value(data, "currency")
        codes = [one] if one else data["currency"].unique().to_list()
        if any(code != code.upper() for code in codes):
            data = data.with_columns(pl.col("currency").str.to_uppercase())
        for code in sorted({code.upper() for code in codes}):
            get_currency(code)
        for name in ("due_date", "issue_date"):
            first_null(data, name, "is empty (a date is required)")
        return cls(data, unchecked)

    @classmethod
    def from_records(cls, records: Iterable[InstallmentRecord]) -> Installments:
        """From `InstallmentRecord` rows (already typed: no parsing, one column each)."""
        pl = polars()
        rows = checked_rows(records, InstallmentRecord, "records")
        scale = max((-_exponent(r.outstanding.amount) for r in rows), default=0)
        frame = pl.DataFrame(
            {
                "customer": [r.customer for r in rows],
                "owner": [r.owner for r in rows],
                "department": [r.department for r in rows],
                "due_date": [r.due_date for r in rows],
                "issue_date": [r.issue_date for r in rows],
                "outstanding": [r.outstanding.amount for r in rows],
                "currency": [r.outstanding.currency.code for r in rows],
            },
            schema={
                "customer": pl.String,
                "owner": pl.String,
                "department": pl.String,
                "due_date": pl.Date,
                "issue_date": pl.Date,
                "outstanding": pl.Decimal(38, max(scale, 0)),
                "currency": pl.String,
            },
        )
        return cls(frame)

    def aging(
        self,
        as_of: date,
        *,
        buckets: AgingBuckets | None = None,
        basis: AgingBasis | str = AgingBasis.DUE_DATE,
        group_by: GroupBy | str = GroupBy.OWNER,
    ) -> AgingAggregate:
        """The aging aggregate of every row, equal to ``AgingAggregate.of(records)``."""
        pl = polars()
        aggregate = AgingAggregate(as_of, buckets, AgingBasis(basis), GroupBy(group_by))
        when = "due_date" if aggregate.basis is AgingBasis.DUE_DATE else "issue_date"
        days = (pl.lit(as_of, pl.Date) - pl.col(when)).dt.total_days()
        bucket = (days > 0).cast(pl.Int32)
        for edge in aggregate.buckets.edges:
            bucket = bucket + (days > edge).cast(pl.Int32)
        group = (
            pl.lit(None, pl.String)
            if aggregate.group_by is GroupBy.NONE
            else pl.col(aggregate.group_by.value)
        )
        # Summed long first — one exact sum per (group, currency, bucket), the cheapest
        # group-by — then spread into one column per bucket over those few rows. One currency
        # (the usual table) drops out of the keys.
        data = self._data
        code = single_value(data, "currency")
        currency = [] if code else [pl.col("currency")]
        size = len(aggregate.buckets.edges) + 2

        def sums_of(data: Any) -> Any:
            return (
                data.lazy()
                .group_by(group.alias("group"), *currency, bucket.alias("bucket"))
                .agg(pl.len().alias("count"), pl.col("outstanding").sum().alias("sum"))
                .group_by("group", *currency)
                .agg(
                    pl.col("count").sum(),
                    *(
                        pl.col("sum")
                        .filter(pl.col("bucket") == i)
                        .sum()
                        .cast(pl.String)
                        .alias(f"b{i}")
                        for i in range(size)
                    ),
                )
                .collect()
            )

        sums = sums_of(data)
        # A text column not yet checked is checked on its few group keys; only when one is
        # padded is the column stripped (refusing a required cell left empty) and summed again.
        if padded := self._grouped({aggregate.group_by.value: sums["group"]}):
            sums = sums_of(self._checked(*padded))
        # exact decimals through their text: one C conversion each, no Python call per value
        columns = [map(Decimal, sums[f"b{i}"].to_list()) for i in range(size)]
        codes = repeat(code) if code else sums["currency"].to_list()
        aggregate.add_rows(
            zip(
                sums["group"].to_list(),
                codes,
                zip(*columns, strict=True),
                sums["count"].to_list(),
                strict=False,
            )
        )
        return aggregate

    def collections_forecast(
        self,
        as_of: date,
        *,
        by: str = "month",
        group: str | None = None,
        behaviour: Mapping[str, PaymentBehaviour] | None = None,
        prior: tuple[int, int, int] = PRIOR_DELAY,
    ) -> CashForecast:
        """Expected cash-in per week or month from the rows with money outstanding, each due
        date shifted by its customer's delays in ``behaviour`` (``prior`` for the others):
        equal to `crmcore.receivables.collections_forecast` of the same rows as records."""
        return cash_forecast(
            self.frame, as_of, by=by, group=group, behaviour=behaviour, prior=prior
        )

    def records(self) -> Iterator[InstallmentRecord]:
        """Each row as an `InstallmentRecord` (the record path; slower)."""
        for row in self.frame.iter_rows(named=True):
            yield InstallmentRecord(
                row["owner"],
                row["customer"],
                row["department"],
                row["due_date"],
                row["issue_date"],
                Money(row["outstanding"], row["currency"]),
            )
