"""Opportunities as columns: ingress from Arrow, pandas, polars or CSV, and the weighted
forecast computed on the columns into the same `ForecastAggregate` as the record path.

The engine groups the rows by (stage, owner, department, category, status, close period,
currency) with polars, summing the amounts, the overridden amounts and amount × override as
exact 128-bit decimals;
only the groups — a few thousand, not a million rows — reach Python, where the stage names,
statuses and categories are resolved and the sums enter the aggregate's cells exactly as the
record path would put them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from crmcore.analytics._columns import OPPORTUNITY_COLUMNS
from crmcore.analytics._exact import EXACT
from crmcore.analytics._frame import (
    clean_single,
    defer_text,
    frame_of,
    percent_column,
    polars,
    prepare,
    select,
)
from crmcore.analytics._table import ColumnTable
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast import (
    CellKey,
    ForecastAggregate,
    ForecastCategory,
    OpportunityRecord,
    OpportunityStatus,
    Period,
    SalesProcess,
)
from crmcore.money import Currency, Money, Percent, get_currency

__all__ = ["Opportunities", "resolve_stage", "resolve_status"]

REQUIRED: Final = ("id", "owner", "stage", "amount")
MISSING_SAMPLE: Final = 10
_OUTCOMES: Final = {
    "won": OpportunityStatus.WON,
    "closed_won": OpportunityStatus.WON,
    "lost": OpportunityStatus.LOST,
    "closed_lost": OpportunityStatus.LOST,
}
_STATUSES: Final = {
    **{status.value: status for status in OpportunityStatus},
    **_OUTCOMES,
    "closed": OpportunityStatus.WON,
}
_CATEGORIES: Final = {category.value: category for category in ForecastCategory}
_GROUP_KEYS: Final = ("stage", "owner", "department", "category", "status", "period", "currency")


def _loose(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def resolve_status(text: str | None) -> OpportunityStatus:
    """``open``/``won``/``lost``/``invalid`` in any case, and ``Closed Won`` / ``Closed Lost``."""
    if text is None:
        return OpportunityStatus.OPEN
    status = _STATUSES.get(_loose(text))
    if status is None:
        raise ValidationError(
            f"status: {text!r} is not one of open, won, lost, invalid, Closed Won, Closed Lost"
        )
    return status


def resolve_stage(text: str, process: SalesProcess) -> tuple[str, OpportunityStatus | None] | None:
    """The process's stage named ``text`` (exact, else case-insensitive), or the last stage
    with an outcome for ``won`` / ``lost`` / ``Closed Won`` / ``Closed Lost``; None if unknown."""
    if process.has_stage(text):
        return text, None
    loose = _loose(text)
    for name in process.stage_names:
        if _loose(name) == loose:
            return name, None
    outcome = _OUTCOMES.get(loose)
    if outcome is not None:
        return process.stage_names[-1], outcome
    return None


def _category(text: str | None) -> ForecastCategory | None:
    if text is None:
        return None
    category = _CATEGORIES.get(_loose(text))
    if category is None:
        raise ValidationError(f"category: {text!r} is not one of {', '.join(_CATEGORIES)}")
    return category


class Opportunities(ColumnTable):
    """One row per opportunity, held as typed columns (needs the ``arrow`` extra).

    Build with `from_arrow`, `from_pandas`, `from_polars` or
    `read_csv`; ``columns`` maps a canonical column (id, owner, stage, amount,
    currency, expected_close, department, probability, category, status) to the header
    that holds it, otherwise the header aliases of common CRM exports are recognised.
    """

    # -- ingress ------------------------------------------------------------------------------
    @classmethod
    def from_polars(
        cls, frame: Any, *, columns: Mapping[str, str] | None = None, locale: str | None = None
    ) -> Opportunities:
        """From a polars DataFrame; every value is checked and typed (exact decimals)."""
        data = select(frame_of(frame), OPPORTUNITY_COLUMNS, REQUIRED, columns)
        # one clean currency in every row (the usual table) is checked once, not per row
        one = clean_single(data, "currency")
        clean = one is not None
        data = prepare(
            data,
            optional=["currency"] if "currency" in data.columns and not clean else [],
            dates=["expected_close"] if "expected_close" in data.columns else [],
            amounts={"amount": False},
            locale=locale,
        )
        data, unchecked = defer_text(
            data,
            required=("id", "owner", "stage"),
            optional=[n for n in ("department", "category", "status") if n in data.columns],
        )
        if "probability" in data.columns:
            data = percent_column(data, "probability")
        return cls(data, unchecked)

    # -- the forecast -------------------------------------------------------------------------
    def forecast(
        self,
        process: SalesProcess,
        *,
        period: Period | str = Period.QUARTER,
        currency: str | Currency | None = None,
        rates: Mapping[str, Any] | None = None,
    ) -> ForecastAggregate:
        """The forecast aggregate of every row, equal to ``ForecastAggregate.of(records)``."""
        pl = polars()
        aggregate = ForecastAggregate(process, Period(period), currency, rates)
        frame = _with_currency(self._data, aggregate.currency)
        if not frame.height:
            return aggregate
        base = aggregate.currency or get_currency(frame["currency"][0].upper())
        close = pl.col("expected_close") if "expected_close" in frame.columns else None
        if close is None:
            label = pl.lit(None, pl.String)
        elif aggregate.period is Period.MONTH:
            label = close.dt.strftime("%Y-%m")
        else:
            label = pl.concat_str(
                [close.dt.year().cast(pl.String).str.zfill(4), pl.lit("-Q"), close.dt.quarter()]
            )
        keys = [
            pl.col(k) if k in frame.columns or k == "period" else pl.lit(None, pl.String).alias(k)
            for k in _GROUP_KEYS
        ]
        amount = pl.col("amount")
        if "probability" in frame.columns:
            # Σ amount × override as an exact decimal product (scale = sum of the scales).
            overridden = amount.filter(pl.col("probability").is_not_null()).sum()
            # polars keeps the larger scale of the factors: widen the amount to the sum of
            # both scales first so that no digit of the product is cut.
            scale = frame.schema["amount"].scale + frame.schema["probability"].scale
            weighted = (amount.cast(pl.Decimal(38, scale)) * pl.col("probability")).sum()
        else:
            overridden = weighted = pl.lit(0, pl.Decimal(38, 0))

        def groups_of(frame: Any) -> Any:
            return (
                frame.lazy()
                .with_columns(label.alias("period"))
                .group_by(keys)
                .agg(
                    pl.len().alias("count"),
                    amount.sum().alias("amount"),
                    overridden.alias("overridden"),
                    weighted.alias("weighted"),
                )
                .collect()
            )

        groups = groups_of(frame)
        # Text columns not yet checked are checked on their group values; only when one is
        # padded is it stripped (refusing a required cell left empty) and grouped again.
        if padded := self._grouped({key: groups[key] for key in _GROUP_KEYS}):
            frame = _with_currency(self._checked(*padded), aggregate.currency)
            groups = groups_of(frame)
        missing_count, missing_ids = 0, []
        if close is not None and frame["expected_close"].null_count():
            frame = _with_currency(self._checked("id"), aggregate.currency)
            missing = frame.filter(close.is_null())
            missing_count = missing.height
            ids = missing.select(pl.col("id").unique().sort().head(MISSING_SAMPLE))
            missing_ids = ids["id"].to_list()
        cells = _cells(groups.iter_rows(named=True), process, base, aggregate.rates)
        aggregate.add_groups(cells, base, missing_count, missing_ids)
        return aggregate

    def records(self, process: SalesProcess | None = None) -> Iterator[OpportunityRecord]:
        """Each row as an `OpportunityRecord` (the record path; slower). With a
        ``process``, stage names are resolved as `forecast` resolves them."""
        for row in self.frame.iter_rows(named=True):
            stage, status = row["stage"], resolve_status(row.get("status"))
            resolved = None if process is None else resolve_stage(stage, process)
            if resolved is not None:
                stage, status = resolved[0], resolved[1] or status
            yield OpportunityRecord(
                row["id"],
                row["owner"],
                stage,
                Money(row["amount"], get_currency(row["currency"].upper())),
                row.get("expected_close"),
                row.get("department"),
                None if row.get("probability") is None else Percent(row["probability"]),
                _category(row.get("category")),
                status,
            )


def _with_currency(frame: Any, currency: Currency | None) -> Any:
    """The frame with a currency in every row: ``currency`` fills a missing column or cell;
    without one, a missing column or an empty cell is refused."""
    pl = polars()
    if "currency" not in frame.columns:
        if currency is None:
            raise ValidationError("currency: there is no currency column; pass currency=")
        return frame.with_columns(pl.lit(currency.code).alias("currency"))
    if currency is not None:
        return frame.with_columns(pl.col("currency").fill_null(currency.code))
    _no_null_currency(frame)
    return frame


def _no_null_currency(frame: Any) -> None:
    pl = polars()
    empty = frame.with_row_index("_row", offset=1).filter(pl.col("currency").is_null())
    if empty.height:
        raise ValidationError(
            f"currency: row {empty['_row'][0]} is empty and no currency= was given"
        )


def _cells(
    groups: Iterator[dict[str, Any]],
    process: SalesProcess,
    base: Currency,
    rates: Mapping[str, Decimal] | None,
) -> dict[CellKey, tuple[int, Decimal, Decimal, Decimal]]:
    """The aggregate's cells from the grouped sums (resolving stages, statuses, currencies)."""
    cells: dict[CellKey, list[Any]] = {}
    unknown: dict[str, int] = {}
    # Groups repeat the same few stages, statuses, categories and currencies: resolve each
    # distinct value once.
    factors: dict[str, Decimal | None] = {}
    stages: dict[str, tuple[str, OpportunityStatus | None] | None] = {}
    statuses: dict[str | None, OpportunityStatus] = {}
    categories: dict[str | None, ForecastCategory | None] = {}
    add, multiply, zero = EXACT.add, EXACT.multiply, Decimal(0)
    for group in groups:
        code = group["currency"]
        if code not in factors:
            currency = get_currency(code.upper())
            if currency == base:
                factors[code] = None
            elif rates is None or currency.code not in rates:
                raise CurrencyMismatch(
                    f"{group['count']} opportunities in {currency.code} are not in "
                    f"{base.code} and no conversion rate for {currency.code} was given "
                    f"(pass rates={{{currency.code!r}: ...}})"
                )
            else:
                factors[code] = rates[currency.code]
        factor = factors[code]
        amount, overridden, weighted = group["amount"], group["overridden"], group["weighted"]
        if factor is not None:
            amount = multiply(amount, factor)
            overridden = multiply(overridden, factor)
            weighted = multiply(weighted, factor)
        name = group["stage"]
        if name not in stages:
            stages[name] = resolve_stage(name, process)
        resolved = stages[name]
        if resolved is None:
            unknown[name] = unknown.get(name, 0) + group["count"]
            continue
        stage, outcome = resolved
        status_text = group["status"]
        if status_text not in statuses:
            statuses[status_text] = resolve_status(status_text)
        category_text = group["category"]
        if category_text not in categories:
            categories[category_text] = _category(category_text)
        key: CellKey = (
            stage,
            group["owner"],
            group["department"],
            categories[category_text],
            outcome or statuses[status_text],
            group["period"],
        )
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = [0, zero, zero, zero]
        cell[0] += group["count"]
        cell[1] = add(cell[1], amount)
        cell[2] = add(cell[2], overridden or zero)
        cell[3] = add(cell[3], weighted or zero)
    if unknown:
        detail = ", ".join(f"{name!r} ({n} records)" for name, n in sorted(unknown.items()))
        raise ValidationError(
            f"unknown stage {detail}: sales process {process.id!r} has stages "
            f"{', '.join(process.stage_names)}"
        )
    return {key: (c[0], c[1], c[2], c[3]) for key, c in cells.items()}
