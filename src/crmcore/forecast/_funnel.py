"""Funnel analytics from stage history: snapshot, cohort conversion, dwell, stuck deals, win rate,
cycle, sales velocity and calibrated probabilities — all from one mergeable aggregate.

[`FunnelAggregate`][crmcore.forecast.FunnelAggregate] streams over
[`OpportunityHistory`][crmcore.forecast.OpportunityHistory] records and keeps only counts,
exact sums and, for the median dwell, a multiset of dwell times in whole seconds; two aggregates
over partitions merge into the aggregate of the whole.

Calibration smoothing: the historical win rate of stage *i* is shrunk toward the configured
probability *p* with a Beta prior of weight *m* pseudo-deals, ``(won + m·p) / (closed + m)``
(*m* = ``prior_weight``, default 2; with no history the calibrated value is the configured one,
with much history it is the observed rate). Shown rounded to 0.01 %.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import accumulate
from typing import Any, Final

import attrs

from crmcore._decimal import CONTEXT, to_decimal
from crmcore._plots import funnel
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast._process import SalesProcess
from crmcore.forecast._records import (
    NO_CURRENCY,
    OpportunityHistory,
    OpportunityStatus,
    Period,
    period_label,
)
from crmcore.forecast._tables import Record, ResultTable, ratio
from crmcore.forecast._weighted import EXACT, _currency, _rates
from crmcore.money import Currency, Money, Percent

__all__ = [
    "Calibration",
    "CalibrationRow",
    "CohortConversion",
    "CohortRow",
    "DwellRow",
    "DwellTimes",
    "FunnelAggregate",
    "FunnelRow",
    "FunnelSnapshot",
    "FunnelSummary",
    "StuckOpportunities",
    "StuckRow",
]

_DAY: Final = Decimal(86400)
_WON: Final = OpportunityStatus.WON
_LOST: Final = OpportunityStatus.LOST
_OPEN: Final = OpportunityStatus.OPEN
_CENTI: Final = Decimal("0.01")


def _seconds(start: datetime, end: datetime) -> int:
    delta = end - start
    return delta.days * 86400 + delta.seconds


def _days(seconds: int | Fraction) -> Decimal:
    if isinstance(seconds, Fraction):
        return CONTEXT.divide(Decimal(seconds.numerator), Decimal(seconds.denominator) * _DAY)
    return CONTEXT.divide(Decimal(seconds), _DAY)


def _median(counter: Mapping[int, int]) -> Fraction | None:
    """The median of a multiset given as value → count (the mean of the two middle values)."""
    total = sum(counter.values())
    if not total:
        return None
    values = sorted(counter)
    cumulative = list(accumulate(counter[v] for v in values))
    lower = values[bisect_right(cumulative, (total - 1) // 2)]
    upper = values[bisect_right(cumulative, total // 2)]
    return Fraction(lower + upper, 2)


def _factor(value: Any) -> Decimal:
    number = to_decimal(value, "stuck_factor: ")
    if number <= 0:
        raise ValidationError(f"stuck_factor: must be > 0, got {value}")
    return number


def _prior(value: Any) -> Decimal:
    number = to_decimal(value, "prior_weight: ")
    if number < 0:
        raise ValidationError(f"prior_weight: must be >= 0, got {value}")
    return number


@attrs.define(eq=False)
class FunnelAggregate:
    """Mergeable funnel statistics over opportunity histories.

    Attributes:
        process: the sales process (stage order, expected days, configured probabilities).
        as_of: the moment open stays are measured to (stuck deals); time is an argument.
        period: month or quarter cohorts (by the date a stage was first entered).
        stuck_factor: a deal is stuck when its current stay exceeds ``k × expected_days``.
        prior_weight: pseudo-deals of the Beta prior used to calibrate probabilities.
        currency: the currency of the amounts; by default the first history's.
        rates: conversion rates into ``currency`` (``{"USD": "7.1"}``); without them a
            history in another currency is refused with CurrencyMismatch.
    """

    process: SalesProcess
    as_of: datetime = attrs.field()
    period: Period = attrs.field(default=Period.QUARTER, converter=Period)
    stuck_factor: Decimal = attrs.field(default=Decimal("1.5"), converter=_factor)
    prior_weight: Decimal = attrs.field(default=Decimal(2), converter=_prior)
    currency: Currency | None = attrs.field(default=None, converter=_currency)
    rates: dict[str, Decimal] | None = attrs.field(default=None, converter=_rates)
    # stage → [open count, open amount]
    _open: dict[str, list[Any]] = attrs.field(factory=dict, init=False)
    # max stage position reached → count of opportunities
    _reached: Counter[int] = attrs.field(factory=Counter, init=False)
    # (stage, cohort) → [entered, advanced, won, lost]
    _cohorts: dict[tuple[str, str], list[int]] = attrs.field(factory=dict, init=False)
    # stage → Counter(dwell seconds of completed stays)
    _dwell: dict[str, Counter[int]] = attrs.field(factory=dict, init=False)
    # stage → [closed, won] among opportunities that entered the stage
    _calibration: dict[str, list[int]] = attrs.field(factory=dict, init=False)
    # won, won amount, lost, lost amount, cycle seconds of won deals, open count, open amount
    _outcomes: list[Any] = attrs.field(
        factory=lambda: [0, Decimal(0), 0, Decimal(0), 0, 0, Decimal(0)], init=False
    )
    _stuck: list[StuckRow] = attrs.field(factory=list, init=False)

    @as_of.validator
    def _check_as_of(self, _: attrs.Attribute[datetime], value: object) -> None:
        if not isinstance(value, datetime):
            raise ValidationError(f"as_of: expected a datetime, got {value!r}")

    @classmethod
    def of(
        cls,
        histories: Iterable[OpportunityHistory],
        process: SalesProcess,
        *,
        as_of: datetime,
        period: Period | str = Period.QUARTER,
        stuck_factor: Decimal | int | str = Decimal("1.5"),
        prior_weight: Decimal | int | str = 2,
        currency: str | Currency | None = None,
        rates: Mapping[str, Any] | None = None,
    ) -> FunnelAggregate:
        """One pass over ``histories``."""
        aggregate = cls(
            process,
            as_of,
            Period(period),
            _factor(stuck_factor),
            _prior(prior_weight),
            _currency(currency),
            _rates(rates),
        )
        aggregate.add_all(histories)
        return aggregate

    def add_all(self, histories: Iterable[OpportunityHistory]) -> None:
        """Add every history; on a bad one (unknown stage, other currency) nothing is added."""
        part = FunnelAggregate(
            self.process,
            self.as_of,
            self.period,
            self.stuck_factor,
            self.prior_weight,
            self.currency,
            self.rates,
        )
        for history in histories:
            part._add(history)
        merged = self.merge(part)
        for field in attrs.fields(FunnelAggregate):
            setattr(self, field.name, getattr(merged, field.name))

    def _add(self, history: OpportunityHistory) -> None:
        process = self.process
        for visit in history.visits:
            if not process.has_stage(visit.stage):
                raise ValidationError(
                    f"opportunity {history.id!r}: unknown stage {visit.stage!r} (sales process "
                    f"{process.id!r} has stages {', '.join(process.stage_names)})"
                )
        amount = self._amount(history)
        won, lost = history.status is _WON, history.status is _LOST
        positions = [process.position(v.stage) for v in history.visits]
        self._reached[max(positions)] += 1
        self._add_stages(history, positions, won, lost)
        outcomes = self._outcomes
        if won:
            outcomes[0] += 1
            outcomes[1] = EXACT.add(outcomes[1], amount)
            closed = history.closed_at or history.visits[-1].left_at or history.created_at
            outcomes[4] += _seconds(history.created_at, closed)
        elif lost:
            outcomes[2] += 1
            outcomes[3] = EXACT.add(outcomes[3], amount)
        elif history.status is _OPEN:
            self._add_open(history, amount)

    def _amount(self, history: OpportunityHistory) -> Decimal:
        """The deal's amount in the funnel's currency (the first deal's, or converted)."""
        money = history.amount
        if self.currency is None:
            self.currency = money.currency
        if money.currency == self.currency:
            return money.amount
        code = money.currency.code
        if self.rates is None or code not in self.rates:
            raise CurrencyMismatch(
                f"opportunity {history.id!r}: amount {money} is not in "
                f"{self.currency.code} and no conversion rate for {code} was given"
            )
        return EXACT.multiply(money.amount, self.rates[code])

    def _add_stages(
        self, history: OpportunityHistory, positions: list[int], won: bool, lost: bool
    ) -> None:
        """Dwell times, and per stage first entered: its cohort and its calibration."""
        first: dict[str, int] = {}
        for index, visit in enumerate(history.visits):
            first.setdefault(visit.stage, index)
            if visit.left_at is not None:
                stays = self._dwell.setdefault(visit.stage, Counter())
                stays[_seconds(visit.entered_at, visit.left_at)] += 1
        for stage, index in first.items():
            here = positions[index]
            advanced = won or any(p > here for p in positions[index + 1 :])
            entered = history.visits[index].entered_at
            key = (stage, period_label(entered.date(), self.period))
            cohort = self._cohorts.setdefault(key, [0, 0, 0, 0])
            cohort[0] += 1
            cohort[1] += advanced
            cohort[2] += won
            cohort[3] += lost
            if won or lost:
                calibration = self._calibration.setdefault(stage, [0, 0])
                calibration[0] += 1
                calibration[1] += won

    def _add_open(self, history: OpportunityHistory, amount: Decimal) -> None:
        """An open deal: counted where it stands, and listed when stuck there too long."""
        outcomes = self._outcomes
        outcomes[5] += 1
        outcomes[6] = EXACT.add(outcomes[6], amount)
        current = history.visits[-1]
        cell = self._open.setdefault(current.stage, [0, Decimal(0)])
        cell[0] += 1
        cell[1] = EXACT.add(cell[1], amount)
        expected = self.process.stage(current.stage).expected_days
        if current.left_at is None and expected is not None:
            stay = _seconds(current.entered_at, self.as_of)
            if stay > self.stuck_factor * expected * _DAY:
                self._stuck.append(
                    StuckRow(history.id, history.owner, current.stage, _days(stay), expected)
                )

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: FunnelAggregate) -> FunnelAggregate:
        """A new aggregate equal to one pass over both partitions."""
        settings = (self.process, self.as_of, self.period, self.stuck_factor, self.prior_weight)
        if settings != (
            other.process,
            other.as_of,
            other.period,
            other.stuck_factor,
            other.prior_weight,
        ) or (self.rates != other.rates):
            raise ValidationError(
                "merge: both funnel aggregates must use the same process, as_of, period, "
                "stuck_factor, prior_weight and rates"
            )
        if self.currency and other.currency and self.currency != other.currency:
            raise CurrencyMismatch(
                f"merge: funnels in {self.currency.code} and {other.currency.code}"
            )
        merged = FunnelAggregate(*settings, self.currency or other.currency, self.rates)
        for part in (self, other):
            for stage, (count, amount) in part._open.items():
                cell = merged._open.setdefault(stage, [0, Decimal(0)])
                cell[0] += count
                cell[1] = EXACT.add(cell[1], amount)
            merged._reached.update(part._reached)
            for key, counts in part._cohorts.items():
                cohort = merged._cohorts.setdefault(key, [0, 0, 0, 0])
                for i, n in enumerate(counts):
                    cohort[i] += n
            for stage, stays in part._dwell.items():
                merged._dwell.setdefault(stage, Counter()).update(stays)
            for stage, (closed, won) in part._calibration.items():
                calibration = merged._calibration.setdefault(stage, [0, 0])
                calibration[0] += closed
                calibration[1] += won
            for i, value in enumerate(part._outcomes):
                merged._outcomes[i] = (
                    EXACT.add(merged._outcomes[i], value)
                    if isinstance(value, Decimal)
                    else merged._outcomes[i] + value
                )
            merged._stuck.extend(part._stuck)
        merged._stuck.sort(key=lambda row: row.id)
        return merged

    __add__ = merge

    def __radd__(self, other: object) -> FunnelAggregate:
        """``sum(parts)`` starts from 0: 0 + aggregate is the aggregate."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FunnelAggregate):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in attrs.fields(FunnelAggregate)
        )

    # -- results ------------------------------------------------------------------------------
    def _money(self, amount: Decimal) -> Money:
        return Money(amount, self.currency or NO_CURRENCY)

    def snapshot(self) -> FunnelSnapshot:
        """Open deals per stage now, and how many deals ever reached each stage or beyond.

        ``conversion`` of a stage is reached(next stage) / reached(this stage); for the last
        stage it is won / reached.
        """
        stages = self.process.stage_names
        reached = []
        running = 0
        for position in reversed(range(len(stages))):
            running += self._reached.get(position, 0)
            reached.append(running)
        reached.reverse()
        won = self._outcomes[0]
        rows = []
        for i, stage in enumerate(stages):
            count, amount = self._open.get(stage, (0, Decimal(0)))
            following = reached[i + 1] if i + 1 < len(stages) else won
            rows.append(
                FunnelRow(
                    stage, count, self._money(amount), reached[i], ratio(following, reached[i])
                )
            )
        return FunnelSnapshot(tuple(rows), won)

    def cohorts(self) -> CohortConversion:
        """Of the deals that first entered a stage in a period: how many went further, and won."""
        order = self.process.position
        rows = tuple(
            CohortRow(
                stage,
                cohort,
                entered,
                advanced,
                won,
                lost,
                ratio(advanced, entered),
                ratio(won, entered),
            )
            for (stage, cohort), (entered, advanced, won, lost) in sorted(
                self._cohorts.items(), key=lambda item: (order(item[0][0]), item[0][1])
            )
        )
        return CohortConversion(self.period.value, rows)

    def dwell(self) -> DwellTimes:
        """Average and median days of the completed stays in each stage."""
        rows = []
        for stage in self.process.stages:
            stays = self._dwell.get(stage.name, Counter())
            count = sum(stays.values())
            total = sum(seconds * n for seconds, n in stays.items())
            median = _median(stays)
            rows.append(
                DwellRow(
                    stage.name,
                    count,
                    _days(Fraction(total, count)) if count else None,
                    None if median is None else _days(median),
                    stage.expected_days,
                )
            )
        return DwellTimes(tuple(rows))

    def stuck(self) -> StuckOpportunities:
        """Open deals whose current stay exceeds ``stuck_factor × expected_days`` at ``as_of``."""
        return StuckOpportunities(self.as_of, self.stuck_factor, tuple(self._stuck))

    def summary(self) -> FunnelSummary:
        """Win rate, average won deal, average cycle and sales velocity.

        Sales velocity = open deals × average won amount × win rate ÷ average cycle (days):
        the money the pipeline is expected to turn into per day.
        """
        won, won_amount, lost, lost_amount, cycle, open_count, open_amount = self._outcomes
        win_rate = ratio(won, won + lost)
        amount_rate = ratio(won_amount, EXACT.add(won_amount, lost_amount))
        average_won = CONTEXT.divide(won_amount, Decimal(won)) if won else None
        cycle_days = _days(Fraction(cycle, won)) if won else None
        velocity = None
        if average_won is not None and win_rate is not None and cycle_days:
            velocity = self._money(
                CONTEXT.divide(
                    CONTEXT.multiply(CONTEXT.multiply(Decimal(open_count), average_won), win_rate),
                    cycle_days,
                )
            )
        return FunnelSummary(
            won=won,
            lost=lost,
            open=open_count,
            open_amount=self._money(open_amount),
            won_amount=self._money(won_amount),
            win_rate=win_rate,
            amount_win_rate=amount_rate,
            average_won_amount=None if average_won is None else self._money(average_won),
            average_cycle_days=cycle_days,
            sales_velocity_per_day=velocity,
        )

    def calibration(self) -> Calibration:
        """Per stage, the configured probability beside the team's smoothed historical win rate."""
        m = self.prior_weight
        rows = []
        for stage in self.process.stages:
            closed, won = self._calibration.get(stage.name, (0, 0))
            p = stage.probability.fraction
            calibrated = (
                CONTEXT.divide(
                    CONTEXT.add(Decimal(won), CONTEXT.multiply(m, p)),
                    CONTEXT.add(Decimal(closed), m),
                )
                if closed or m
                else p
            )
            observed = ratio(won, closed)
            rows.append(
                CalibrationRow(
                    stage.name,
                    stage.probability,
                    closed,
                    won,
                    None if observed is None else _percent(observed),
                    _percent(calibrated),
                )
            )
        return Calibration(m, tuple(rows))


def _percent(fraction: Decimal) -> Percent:
    return Percent(CONTEXT.multiply(fraction, Decimal(100)).quantize(_CENTI, ROUND_HALF_UP))


@attrs.frozen
class FunnelRow:
    """One stage of the funnel snapshot."""

    stage: str
    open_count: int
    open_amount: Money
    reached: int
    conversion: Decimal | None


@attrs.frozen(repr=False)
class FunnelSnapshot(ResultTable):
    """Open deals per stage and stage-to-stage conversion of everything that entered the funnel."""

    rows: tuple[FunnelRow, ...]
    won: int

    def to_records(self) -> list[Record]:
        """One dict per stage."""
        return [
            {
                "stage": r.stage,
                "open_count": r.open_count,
                "open_amount": r.open_amount.amount,
                "reached": r.reached,
                "conversion_to_next": r.conversion,
            }
            for r in self.rows
        ]

    def _caption(self) -> str:
        return f"Funnel ({self.won} won)"

    def plot(self, ax: Any = None) -> Any:
        """The funnel: how many deals reached each stage (matplotlib, the ``plot`` extra)."""
        return funnel(
            [r.stage for r in self.rows],
            [r.reached for r in self.rows],
            title=self._caption(),
            ax=ax,
        )


@attrs.frozen
class CohortRow:
    """One stage × entry-period cohort."""

    stage: str
    cohort: str
    entered: int
    advanced: int
    won: int
    lost: int
    advance_rate: Decimal | None
    win_rate: Decimal | None


@attrs.frozen(repr=False)
class CohortConversion(ResultTable):
    """Cohort conversion rates: share of a stage's entrants that went further, and that won."""

    period: str
    rows: tuple[CohortRow, ...]

    def row(self, stage: str, cohort: str) -> CohortRow:
        """The row of ``stage`` and ``cohort``; ValidationError when there is none."""
        for r in self.rows:
            if (r.stage, r.cohort) == (stage, cohort):
                return r
        raise ValidationError(f"no cohort {cohort!r} for stage {stage!r}")

    def to_records(self) -> list[Record]:
        """One dict per stage and cohort."""
        return [attrs.asdict(r) for r in self.rows]

    def _caption(self) -> str:
        return f"Cohort conversion by {self.period}"


@attrs.frozen
class DwellRow:
    """Days spent in a stage (completed stays), against the expected days."""

    stage: str
    stays: int
    mean_days: Decimal | None
    median_days: Decimal | None
    expected_days: int | None


@attrs.frozen(repr=False)
class DwellTimes(ResultTable):
    """Average and median dwell per stage."""

    rows: tuple[DwellRow, ...]

    def row(self, stage: str) -> DwellRow:
        """The row of ``stage``."""
        for r in self.rows:
            if r.stage == stage:
                return r
        raise ValidationError(f"no stage {stage!r}")

    def to_records(self) -> list[Record]:
        """One dict per stage."""
        return [attrs.asdict(r) for r in self.rows]

    def _caption(self) -> str:
        return "Days in stage"


@attrs.frozen
class StuckRow:
    """An open deal that has stayed too long in its stage."""

    id: str
    owner: str
    stage: str
    days_in_stage: Decimal
    expected_days: int


@attrs.frozen(repr=False)
class StuckOpportunities(ResultTable):
    """Deals stuck beyond ``factor × expected_days`` at ``as_of``, by id."""

    as_of: datetime
    factor: Decimal
    rows: tuple[StuckRow, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The stuck deals' ids."""
        return tuple(r.id for r in self.rows)

    def to_records(self) -> list[Record]:
        """One dict per stuck deal."""
        return [attrs.asdict(r) for r in self.rows]

    def _caption(self) -> str:
        return f"Stuck beyond {self.factor} × expected days at {self.as_of:%Y-%m-%d}"


@attrs.frozen(kw_only=True, repr=False)
class FunnelSummary(ResultTable):
    """Win rate (by count and by amount), average won deal, average cycle, sales velocity."""

    won: int
    lost: int
    open: int
    open_amount: Money
    won_amount: Money
    win_rate: Decimal | None
    amount_win_rate: Decimal | None
    average_won_amount: Money | None
    average_cycle_days: Decimal | None
    sales_velocity_per_day: Money | None

    def to_records(self) -> list[Record]:
        """One dict with every figure."""
        return [
            {
                "won": self.won,
                "lost": self.lost,
                "open": self.open,
                "open_amount": self.open_amount.amount,
                "won_amount": self.won_amount.amount,
                "win_rate": self.win_rate,
                "amount_win_rate": self.amount_win_rate,
                "average_won_amount": _amount(self.average_won_amount),
                "average_cycle_days": self.average_cycle_days,
                "sales_velocity_per_day": _amount(self.sales_velocity_per_day),
            }
        ]

    def _caption(self) -> str:
        return "Funnel summary"


def _amount(money: Money | None) -> Decimal | None:
    return None if money is None else money.amount


@attrs.frozen
class CalibrationRow:
    """A stage's configured probability beside the observed and smoothed historical rates."""

    stage: str
    configured: Percent
    closed: int
    won: int
    observed: Percent | None
    calibrated: Percent

    @property
    def optimistic(self) -> bool:
        """True when the configured probability is above the calibrated one."""
        return self.configured > self.calibrated


@attrs.frozen(repr=False)
class Calibration(ResultTable):
    """Calibrated probabilities: ``(won + m·p) / (closed + m)``, m = ``prior_weight``."""

    prior_weight: Decimal
    rows: tuple[CalibrationRow, ...]

    @property
    def probabilities(self) -> dict[str, Percent]:
        """Stage → calibrated probability, for ``weighted_forecast(..., probabilities=)``."""
        return {r.stage: r.calibrated for r in self.rows}

    def row(self, stage: str) -> CalibrationRow:
        """The row of ``stage``."""
        for r in self.rows:
            if r.stage == stage:
                return r
        raise ValidationError(f"no stage {stage!r}")

    def to_records(self) -> list[Record]:
        """One dict per stage."""
        return [
            {
                "stage": r.stage,
                "configured": r.configured.value,
                "closed": r.closed,
                "won": r.won,
                "observed": None if r.observed is None else r.observed.value,
                "calibrated": r.calibrated.value,
                "optimistic": r.optimistic,
            }
            for r in self.rows
        ]

    def _caption(self) -> str:
        return f"Calibrated win probabilities (Beta prior, {self.prior_weight} pseudo-deals)"
