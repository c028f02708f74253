"""The weighted pipeline forecast, forecast-category roll-up and target gap, mergeable.

[`ForecastAggregate`][crmcore.forecast.ForecastAggregate] streams over
[`OpportunityRecord`s][crmcore.forecast.OpportunityRecord] and keeps one cell per
(stage, owner, department, category, status, period) with a count, the exact Decimal sum of
the amounts, and — for the deals with a probability override — the sum of their amounts and of
amount × override; so its memory grows with the number of distinct groups, not with the
number of opportunities. Two aggregates over different partitions of the data merge
into exactly the aggregate of the whole (counts and exact sums add). Weighted amounts are
computed from the cells at the end — (amount − overridden amount) × stage probability +
Σ overridden amount × override — exactly: the
arithmetic runs in a Decimal context that traps any rounding, so the textbook pipeline of
65, 34, 27, 15 and 6 deals of 500,000 at 10/40/60/80/90 % gives 26,850,000, not 26,849,999.99.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, Inexact, localcontext
from operator import itemgetter
from typing import Any, Final, Literal

import attrs

from crmcore._decimal import CONTEXT, to_decimal
from crmcore._plots import bars
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast._process import ForecastCategory, HasProbabilities, SalesProcess
from crmcore.forecast._records import (
    NO_CURRENCY,
    OpportunityRecord,
    OpportunityStatus,
    Period,
    period_label,
)
from crmcore.forecast._tables import Record, ResultTable
from crmcore.money import Currency, Money, Percent, get_currency

__all__ = [
    "DIMENSIONS",
    "CategoryRollup",
    "CategoryRow",
    "CellKey",
    "ForecastAggregate",
    "ForecastRow",
    "ForecastTable",
    "TargetGap",
    "weighted_forecast",
]

_OMITTED: Final = ForecastCategory.OMITTED

#: The dimensions a forecast can be grouped by.
DIMENSIONS: Final = ("stage", "owner", "department", "category", "period")
Dimension = Literal["stage", "owner", "department", "category", "period"]

#: Sums and products of money: any rounding raises instead of losing a cent silently.
EXACT: Final = CONTEXT.copy()
EXACT.traps[Inexact] = True

#: How many ids of records without a close date are kept as examples (the smallest ids).
MISSING_SAMPLE: Final = 10
NO_CLOSE_DATE: Final = "(no close date)"

_OPEN: Final = OpportunityStatus.OPEN
_WON: Final = OpportunityStatus.WON
_HUNDRED: Final = Decimal(100)

# cell key: (stage, owner, department, category, status, period)
# cell: [count, amount, amount with an override, Σ amount × override percent]
CellKey = tuple[str, str, str | None, ForecastCategory | None, OpportunityStatus, str | None]
_CellKey = CellKey
#: Records are read in chunks of this many (bounded memory, caller's context between chunks).
_CHUNK: Final = 4096
_ZERO: Final = Decimal(0)
# a cell's dimension values in DIMENSIONS order: stage, owner, department, category, period
_Values = tuple[str, str, str | None, str, str | None]


def _rates(value: Mapping[str, Any] | None) -> dict[str, Decimal] | None:
    if value is None:
        return None
    rates: dict[str, Decimal] = {}
    for code, rate in value.items():
        number = to_decimal(rate, f"rates[{code}]: ")
        if number <= 0:
            raise ValidationError(f"rates[{code}]: must be > 0, got {rate}")
        rates[get_currency(code).code] = number
    return rates


def _currency(value: str | Currency | None) -> Currency | None:
    return None if value is None else get_currency(value)


@attrs.define(eq=False)
class ForecastAggregate:
    """Mergeable partial forecast over a stream of opportunity records.

    Attributes:
        process: the sales process whose stages give the probabilities and categories.
        period: month or quarter grouping of the expected close date.
        currency: the forecast's currency; by default the first record's.
        rates: conversion rates into ``currency`` (``{"USD": "7.1"}``: 1 USD = 7.1 CNY);
            without them a record in another currency is refused with CurrencyMismatch.
    """

    process: SalesProcess
    period: Period = attrs.field(default=Period.QUARTER, converter=Period)
    currency: Currency | None = attrs.field(default=None, converter=_currency)
    rates: dict[str, Decimal] | None = attrs.field(default=None, converter=_rates)
    _cells: dict[_CellKey, list[Any]] = attrs.field(factory=dict, init=False)
    _missing_count: int = attrs.field(default=0, init=False)
    _missing_ids: list[str] = attrs.field(factory=list, init=False)
    #: True when the caller named the currency (else it is the first record's, and may
    #: move to the currency the rates convert into: see ``_base_for``).
    _named: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        self._named = self.currency is not None

    # -- building -----------------------------------------------------------------------------
    @classmethod
    def of(
        cls,
        records: Iterable[OpportunityRecord],
        process: SalesProcess,
        *,
        period: Period | str = Period.QUARTER,
        currency: str | Currency | None = None,
        rates: Mapping[str, Any] | None = None,
    ) -> ForecastAggregate:
        """One pass over ``records`` (any iterable: a list, a generator, a cursor)."""
        aggregate = cls(process, Period(period), _currency(currency), _rates(rates))
        aggregate.add_all(records)
        return aggregate

    def add(self, record: OpportunityRecord) -> None:
        """Add one record (see [`add_all`][crmcore.forecast.ForecastAggregate.add_all])."""
        self.add_all((record,))

    def add_all(self, records: Iterable[OpportunityRecord]) -> None:  # noqa: C901 - hot loop
        """Stream ``records`` into the aggregate; on any bad record nothing is added.

        Raises CurrencyMismatch (another currency and no rate), ValidationError (unknown stage,
        a negative amount); a missing close date is counted and reported by the period tables.
        """
        iterator = iter(records)
        currency = self.currency
        if currency is None:
            first = next(iterator, None)
            if first is None:
                return
            currency = first.amount.currency
            iterator = itertools.chain((first,), iterator)
        cells: dict[_CellKey, list[Any]] = {}
        labels: dict[date, str] = {}
        missing: list[str] = []
        missing_count = 0
        period = self.period
        # The records are pulled in chunks *outside* the exact context, so that a caller's
        # generator computes in its own decimal context; the sums run inside it, where any
        # rounding would raise.
        try:
            while chunk := list(itertools.islice(iterator, _CHUNK)):
                with localcontext(EXACT):
                    for record in chunk:
                        money = record.amount
                        if money.currency is currency:
                            amount = money.amount
                        elif self._moves_to(currency, money.currency):
                            # the partition began with converted amounts: its base is the
                            # currency the rates convert into, whatever record came first
                            cells = _rebased(cells, self._rate(currency))
                            currency = money.currency
                            amount = money.amount
                        else:
                            amount = self._convert(record, currency)
                        day = record.expected_close
                        label = labels.get(day) if day is not None else None
                        if label is None:
                            if day is None:
                                missing_count += 1
                                missing.append(record.id)
                                if len(missing) > 4 * MISSING_SAMPLE:
                                    missing = heapq.nsmallest(MISSING_SAMPLE, missing)
                            else:
                                label = labels[day] = period_label(day, period)
                        key = (
                            record.stage,
                            record.owner,
                            record.department,
                            record.category,
                            record.status,
                            label,
                        )
                        cell = cells.get(key)
                        if cell is None:
                            cell = cells[key] = [0, _ZERO, _ZERO, _ZERO]
                        cell[0] += 1
                        cell[1] += amount
                        override = record.probability_override
                        if override is not None:
                            cell[2] += amount
                            cell[3] += amount * override.value
        except Inexact:
            raise ValidationError(
                "amounts: the sums need more than 34 significant digits to stay exact "
                f"(forecast in {currency.code}); refusing to round them"
            ) from None
        self._check_stages(cells)
        # Validated: now merge into self (all or nothing).
        if self.currency is not None and currency != self.currency:
            self._cells = _rebased(self._cells, self._rate(self.currency))
        self.currency = currency
        _add_cells(self._cells, cells)
        self._missing_count += missing_count
        self._missing_ids = heapq.nsmallest(MISSING_SAMPLE, set(self._missing_ids) | set(missing))

    def _moves_to(self, base: Currency, other: Currency) -> bool:
        """True when ``base`` was only the first record's currency, the rates convert it and
        not ``other``: ``other`` is the currency the rates convert into."""
        rates = self.rates or {}
        return not self._named and base.code in rates and other.code not in rates

    def _rate(self, currency: Currency) -> Decimal:
        return (self.rates or {})[currency.code]

    def _convert(self, record: OpportunityRecord, currency: Currency) -> Decimal:
        code = record.amount.currency.code
        if self.rates is None or code not in self.rates:
            raise CurrencyMismatch(
                f"opportunity {record.id!r}: amount {record.amount} is not in {currency.code} "
                f"and no conversion rate for {code} was given (pass rates={{{code!r}: ...}})"
            )
        if not self._named and currency.code in self.rates:
            # both are converted currencies: the rates convert into a third one, not yet seen
            raise CurrencyMismatch(
                f"opportunity {record.id!r}: {code} and {currency.code} both convert into "
                f"the currency of the rates; name it (currency=...)"
            )
        return EXACT.multiply(record.amount.amount, self.rates[code])

    def _check_stages(self, cells: Mapping[_CellKey, list[Any]]) -> None:
        unknown: dict[str, int] = {}
        for key, (count, *_) in cells.items():
            if not self.process.has_stage(key[0]):
                unknown[key[0]] = unknown.get(key[0], 0) + count
        if unknown:
            detail = ", ".join(f"{name!r} ({n} records)" for name, n in sorted(unknown.items()))
            raise ValidationError(
                f"unknown stage {detail}: sales process {self.process.id!r} has stages "
                f"{', '.join(self.process.stage_names)}"
            )

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: ForecastAggregate) -> ForecastAggregate:
        """A new aggregate equal to the one pass over both partitions' records."""
        if other.process != self.process or other.period is not self.period:
            raise ValidationError(
                "merge: both aggregates must use the same sales process and period "
                f"({self.process.id} / {self.period.value} vs {other.process.id} / "
                f"{other.period.value})"
            )
        if other.rates != self.rates:
            raise ValidationError(
                f"merge: different conversion rates {self.rates} / {other.rates}"
            )
        mine, theirs = self._cells, other._cells
        currency = self.currency or other.currency
        if self.currency and other.currency and self.currency != other.currency:
            # a partition whose first record was in a converted currency moves to the base
            if self._moves_to(self.currency, other.currency):
                mine, currency = _rebased(mine, self._rate(self.currency)), other.currency
            elif other._moves_to(other.currency, self.currency):
                theirs = _rebased(theirs, other._rate(other.currency))
            else:
                raise CurrencyMismatch(
                    f"merge: aggregates in {self.currency.code} and {other.currency.code}"
                )
        merged = ForecastAggregate(self.process, self.period, currency)
        merged.rates = self.rates
        merged._named = self._named or other._named
        _add_cells(merged._cells, mine)
        _add_cells(merged._cells, theirs)
        merged._missing_count = self._missing_count + other._missing_count
        merged._missing_ids = heapq.nsmallest(
            MISSING_SAMPLE, set(self._missing_ids) | set(other._missing_ids)
        )
        return merged

    __add__ = merge

    def __radd__(self, other: object) -> ForecastAggregate:
        """``sum(parts)`` starts from 0: 0 + aggregate is the aggregate."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def add_groups(
        self,
        groups: Mapping[CellKey, tuple[int, Decimal, Decimal, Decimal]],
        currency: Currency,
        missing_count: int = 0,
        missing_ids: Iterable[str] = (),
    ) -> None:
        """Add groups computed elsewhere (the columnar engine): per cell key, the count, the
        amount, the amount with an override and Σ amount × override percent, in ``currency``.

        Refused (nothing added) for an unknown stage or another currency than the aggregate's.
        """
        if self.currency is not None and currency != self.currency:
            raise CurrencyMismatch(
                f"groups in {currency.code} added to a forecast in {self.currency.code}"
            )
        cells = {key: list(values) for key, values in groups.items()}
        self._check_stages(cells)
        if cells or (self.currency is None and missing_count):
            self.currency = currency
        _add_cells(self._cells, cells)
        self._missing_count += missing_count
        self._missing_ids = heapq.nsmallest(
            MISSING_SAMPLE, set(self._missing_ids) | set(missing_ids)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ForecastAggregate):
            return NotImplemented
        return (
            self.process == other.process
            and self.period is other.period
            and self.currency == other.currency
            and self.rates == other.rates
            and self._cells == other._cells
            and self._missing_count == other._missing_count
            and self._missing_ids == other._missing_ids
        )

    # -- reading ------------------------------------------------------------------------------
    @property
    def record_count(self) -> int:
        """How many records were added (every status)."""
        return sum(cell[0] for cell in self._cells.values())

    @property
    def missing_close_date(self) -> tuple[int, tuple[str, ...]]:
        """How many records had no expected close date, and the smallest of their ids."""
        return self._missing_count, tuple(self._missing_ids)

    def _rows(
        self,
    ) -> Iterable[tuple[_Values, OpportunityStatus, int, Decimal, Decimal]]:
        """Each cell resolved: its values in DIMENSIONS order, status, count, amount and
        Σ amount × percent."""
        stages = {s.name: (s.probability.value, s.category) for s in self.process.stages}
        add, subtract, multiply = EXACT.add, EXACT.subtract, EXACT.multiply
        for key, (count, amount, overridden, override_weighted) in self._cells.items():
            stage_name, owner, department, category, status, label = key
            probability, stage_category = stages[stage_name]
            weighted = add(multiply(subtract(amount, overridden), probability), override_weighted)
            if status is _WON:
                resolved = ForecastCategory.CLOSED
            elif status is not _OPEN:
                resolved = ForecastCategory.OMITTED
            else:
                resolved = category or stage_category
                if resolved is _OMITTED:  # the one definition: an omitted deal weighs nothing
                    weighted = _ZERO
            values = (stage_name, owner, department, resolved.value, label)
            yield values, status, count, amount, weighted

    def _dimensions(self, by: Iterable[str]) -> tuple[str, ...]:
        dims = (by,) if isinstance(by, str) else tuple(by)
        for dim in dims:
            if dim not in DIMENSIONS:
                raise ValidationError(
                    f"by: unknown dimension {dim!r} (use {', '.join(DIMENSIONS)})"
                )
        return dims

    @staticmethod
    def _picker(
        dims: tuple[str, ...],
    ) -> Callable[[tuple[str | None, ...]], tuple[str | None, ...]]:
        """A function taking a cell's values (DIMENSIONS order) to the key of ``dims``."""
        indexes = [DIMENSIONS.index(d) for d in dims]
        if len(indexes) == 1:
            (only,) = indexes
            return lambda values: (values[only],)
        if not indexes:
            return lambda values: ()
        pick = itemgetter(*indexes)
        return lambda values: pick(values)

    def _sort_key(self, dims: tuple[str, ...]) -> Any:
        positions = {name: i for i, name in enumerate(self.process.stage_names)}

        def key(values: tuple[str | None, ...]) -> tuple[Any, ...]:
            parts: list[Any] = []
            for dim, value in zip(dims, values, strict=True):
                if dim == "stage" and value is not None:
                    parts.append((0, positions[value], ""))
                else:
                    parts.append((1 if value is None else 0, 0, value or ""))
            return tuple(parts)

        return key

    def _check_periods(self, dims: tuple[str, ...], strict: bool) -> None:
        if "period" in dims and strict and self._missing_count:
            raise ValidationError(
                f"{self._missing_count} opportunities have no expected close date "
                f"(e.g. {', '.join(self._missing_ids)}); they cannot be grouped by period"
            )

    def table(
        self, by: Iterable[str] | str = ("stage",), *, strict: bool = False
    ) -> ForecastTable:
        """Count, amount and weighted amount of the open pipeline, grouped ``by`` dimensions.

        Records without a close date fall in the ``"(no close date)"`` period and are reported
        in ``missing_close_date``; with ``strict=True`` they raise ValidationError instead.
        """
        dims = self._dimensions(by)
        self._check_periods(dims, strict)
        groups: dict[tuple[str | None, ...], list[Any]] = {}
        pick, add = self._picker(dims), EXACT.add
        for values, status, count, amount, weighted in self._rows():
            if status is not _OPEN:
                continue
            key = pick(values)
            group = groups.get(key)
            if group is None:
                groups[key] = [count, amount, weighted]
            else:
                group[0] += count
                group[1] = add(group[1], amount)
                group[2] = add(group[2], weighted)
        currency = self.currency or NO_CURRENCY
        rows = []
        total_count, total_amount, total_weighted = 0, Decimal(0), Decimal(0)
        for key in sorted(groups, key=self._sort_key(dims)):
            count, amount, weighted = groups[key]
            total_count += count
            total_amount = EXACT.add(total_amount, amount)
            total_weighted = EXACT.add(total_weighted, weighted)
            rows.append(
                ForecastRow(
                    key,
                    count,
                    Money(amount, currency),
                    Money(EXACT.divide(weighted, _HUNDRED), currency),
                )
            )
        total = ForecastRow(
            tuple(None for _ in dims),
            total_count,
            Money(total_amount, currency),
            Money(EXACT.divide(total_weighted, _HUNDRED), currency),
        )
        missing = self._missing_count if "period" in dims else 0
        return ForecastTable(
            dims, tuple(rows), total, missing, tuple(self._missing_ids) if missing else ()
        )

    def categories(
        self, by: Iterable[str] | str = ("owner", "period"), *, strict: bool = False
    ) -> CategoryRollup:
        """Forecast categories rolled up: commit includes closed, best case includes commit.

        closed = won (and open deals placed in the closed category); commit = commit + closed;
        best case = best case + commit + closed; pipeline = every open deal not omitted;
        omitted deals (and lost or invalid ones) are excluded.
        """
        dims = self._dimensions(by)
        self._check_periods(dims, strict)
        groups: dict[tuple[str | None, ...], dict[str, Decimal]] = {}
        pick = self._picker(dims)
        for values, status, _, amount, weighted in self._rows():
            key = pick(values)
            sums = groups.setdefault(key, {name: Decimal(0) for name in _ROLLUP})
            category = values[3]
            if category == "omitted":
                continue
            if status is _OPEN:
                sums["pipeline"] = EXACT.add(sums["pipeline"], amount)
                sums["weighted"] = EXACT.add(sums["weighted"], EXACT.divide(weighted, _HUNDRED))
            levels = {"closed": 0, "commit": 1, "best_case": 2, "pipeline": 3}[category]
            for name in ("closed", "commit", "best_case")[levels:]:
                sums[name] = EXACT.add(sums[name], amount)
        currency = self.currency or NO_CURRENCY
        rows = tuple(
            CategoryRow(key, *(Money(groups[key][name], currency) for name in _ROLLUP))
            for key in sorted(groups, key=self._sort_key(dims))
        )
        return CategoryRollup(dims, rows)

    def target_gap(
        self,
        target: Money,
        *,
        period: str | None = None,
        owner: str | None = None,
        department: str | None = None,
        basis: Literal["weighted", "commit"] = "weighted",
    ) -> TargetGap:
        """How much is still missing: target − closed won − weighted open (or − open commit).

        Open deals in the omitted category do not count, as in the category roll-up.

        ``period`` is a label such as ``"2026-Q1"`` or ``"2026-03"`` (the aggregate's grouping);
        ``owner`` / ``department`` narrow to one person or team. A negative gap is a surplus.
        """
        if basis not in ("weighted", "commit"):
            raise ValidationError(f"basis: {basis!r} must be 'weighted' or 'commit'")
        if not isinstance(target, Money):
            raise ValidationError(f"target: expected Money, got {target!r}")
        currency = self.currency or target.currency
        if target.currency != currency:
            raise CurrencyMismatch(f"target {target} is not in the forecast's currency {currency}")
        won = expected = commit = Decimal(0)
        for values, status, _, amount, weighted in self._rows():
            if period is not None and values[4] != period:
                continue
            if owner is not None and values[1] != owner:
                continue
            if department is not None and values[2] != department:
                continue
            if status is _WON:
                won = EXACT.add(won, amount)
            elif status is _OPEN and values[3] != "omitted":
                expected = EXACT.add(expected, weighted)
                if values[3] in ("commit", "closed"):
                    commit = EXACT.add(commit, amount)
        weighted = EXACT.divide(expected, _HUNDRED)
        covered = weighted if basis == "weighted" else commit
        gap = EXACT.subtract(EXACT.subtract(target.amount, won), covered)
        return TargetGap(
            target=target,
            closed_won=Money(won, currency),
            weighted_open=Money(weighted, currency),
            commit_open=Money(commit, currency),
            basis=basis,
            gap=Money(gap, currency),
            period=period,
            owner=owner,
            department=department,
        )


_ROLLUP: Final = ("closed", "commit", "best_case", "pipeline", "weighted")


def _add_cells(into: dict[_CellKey, list[Any]], cells: Mapping[_CellKey, list[Any]]) -> None:
    for key, values in cells.items():
        cell = into.get(key)
        if cell is None:
            into[key] = list(values)
        else:
            cell[0] += values[0]
            for i in (1, 2, 3):
                cell[i] = EXACT.add(cell[i], values[i])


def _rebased(cells: Mapping[_CellKey, list[Any]], rate: Decimal) -> dict[_CellKey, list[Any]]:
    """The cells' amounts converted at ``rate`` (exact: every sum is linear in the amounts)."""
    return {
        key: [c[0], *(EXACT.multiply(c[i], rate) for i in (1, 2, 3))] for key, c in cells.items()
    }


def _label(value: str | None, dim: str) -> str | None:
    return NO_CLOSE_DATE if dim == "period" and value is None else value


@attrs.frozen
class ForecastRow:
    """One group of the open pipeline: its key (one value per dimension), count and amounts.

    ``weighted`` is exact (amount × probability, unrounded); ``weighted.round()`` for display.
    """

    key: tuple[str | None, ...]
    count: int
    amount: Money
    weighted: Money


@attrs.frozen(repr=False)
class ForecastTable(ResultTable):
    """The weighted pipeline grouped by ``dimensions``, with the total over all rows."""

    dimensions: tuple[str, ...]
    rows: tuple[ForecastRow, ...]
    total: ForecastRow
    #: Records without an expected close date (only when grouping by period), and example ids.
    missing_close_date: int = 0
    missing_ids: tuple[str, ...] = ()

    def row(self, *key: str | None) -> ForecastRow:
        """The row with this key (``table.row("alice", "2026-Q1")``); ValidationError if none."""
        for row in self.rows:
            if row.key == key:
                return row
        raise ValidationError(f"no row {key!r} in forecast by {', '.join(self.dimensions)}")

    def _record(self, row: ForecastRow, key: dict[str, str | None]) -> Record:
        return {
            **key,
            "count": row.count,
            "amount": row.amount.amount,
            "weighted_amount": row.weighted.amount,
            "currency": row.amount.currency.code,
        }

    def to_records(self) -> list[Record]:
        """One dict per group (dimension columns, count, amounts, currency): no total row."""
        return [
            self._record(
                row, {d: _label(v, d) for d, v in zip(self.dimensions, row.key, strict=True)}
            )
            for row in self.rows
        ]

    def total_records(self) -> list[Record]:
        """The total over all rows, its dimension columns None."""
        return [self._record(self.total, dict.fromkeys(self.dimensions))]

    def plot(self, ax: Any = None) -> Any:
        """Bars of amount and weighted amount per group (matplotlib, the ``plot`` extra)."""
        labels = [
            " / ".join(str(_label(v, d)) for d, v in zip(self.dimensions, r.key, strict=True))
            for r in self.rows
        ]
        return bars(
            labels,
            {
                "amount": [r.amount.amount for r in self.rows],
                "weighted": [r.weighted.amount for r in self.rows],
            },
            title=self._caption(),
            unit=self.total.amount.currency.code,
            ax=ax,
        )

    def _caption(self) -> str:
        title = f"Weighted pipeline by {', '.join(self.dimensions) or 'nothing'}"
        if self.missing_close_date:
            title += f" — {self.missing_close_date} without a close date"
        return title


@attrs.frozen
class CategoryRow:
    """Category totals of one group (unweighted amounts, plus the weighted open pipeline)."""

    key: tuple[str | None, ...]
    closed: Money
    commit: Money
    best_case: Money
    pipeline: Money
    weighted: Money


@attrs.frozen(repr=False)
class CategoryRollup(ResultTable):
    """Forecast categories per group (e.g. per owner and period)."""

    dimensions: tuple[str, ...]
    rows: tuple[CategoryRow, ...]

    def row(self, *key: str | None) -> CategoryRow:
        """The row with this key; ValidationError if none."""
        for row in self.rows:
            if row.key == key:
                return row
        raise ValidationError(f"no row {key!r} in categories by {', '.join(self.dimensions)}")

    def to_records(self) -> list[Record]:
        """One dict per group."""
        return [
            {
                **{d: _label(v, d) for d, v in zip(self.dimensions, row.key, strict=True)},
                "closed": row.closed.amount,
                "commit": row.commit.amount,
                "best_case": row.best_case.amount,
                "pipeline": row.pipeline.amount,
                "weighted": row.weighted.amount,
                "currency": row.closed.currency.code,
            }
            for row in self.rows
        ]

    def _caption(self) -> str:
        return f"Forecast categories by {', '.join(self.dimensions)}"


@attrs.frozen(kw_only=True, repr=False)
class TargetGap(ResultTable):
    """Target against what is won and what the open pipeline is expected to bring."""

    target: Money
    closed_won: Money
    weighted_open: Money
    commit_open: Money
    basis: str
    gap: Money
    period: str | None = None
    owner: str | None = None
    department: str | None = None

    @property
    def reached(self) -> bool:
        """True when won plus the expected pipeline covers the target."""
        return self.gap.amount <= 0

    def to_records(self) -> list[Record]:
        """One dict."""
        return [
            {
                "period": self.period,
                "owner": self.owner,
                "department": self.department,
                "target": self.target.amount,
                "closed_won": self.closed_won.amount,
                "weighted_open": self.weighted_open.amount,
                "commit_open": self.commit_open.amount,
                "basis": self.basis,
                "gap": self.gap.amount,
                "currency": self.target.currency.code,
            }
        ]

    def _caption(self) -> str:
        return "Target gap"


def weighted_forecast(
    records: Iterable[OpportunityRecord],
    process: SalesProcess,
    by: Iterable[str] | str = ("stage",),
    *,
    period: Period | str = Period.QUARTER,
    currency: str | Currency | None = None,
    rates: Mapping[str, Any] | None = None,
    strict: bool = False,
    probabilities: Mapping[str, Percent] | HasProbabilities | None = None,
) -> ForecastTable:
    """One pass over ``records``: the open pipeline's count, amount and weighted amount ``by``.

    ``probabilities`` replaces the stages' configured win probabilities — pass the team's
    own history, ``FunnelAggregate.calibration()``, or a mapping stage → Percent; a deal's
    probability override still wins.
    """
    if probabilities is not None:
        process = process.with_probabilities(probabilities)
    return ForecastAggregate.of(
        records, process, period=period, currency=currency, rates=rates
    ).table(by, strict=strict)
