"""Funnel analytics from a hand-built stage history: conversion, dwell, stuck, win rate, velocity,
calibration; and merging partitions equals one pass."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast import (
    FunnelAggregate,
    Opportunity,
    OpportunityHistory,
    OpportunityStatus,
    SalesProcess,
    StageVisit,
)
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import from_dict

FUNNEL = from_dict(
    SalesProcess,
    {
        "id": "funnel",
        "stages": [
            {"name": "A", "probability": "10", "expected_days": 10},
            {"name": "B", "probability": "50", "expected_days": 5},
            {"name": "C", "probability": "80"},
        ],
    },
)
REP = Actor("rep", {"sales"})
AS_OF = datetime(2026, 3, 1)


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d)


def story(
    id: str, amount: int, moves: list[tuple[str, datetime]], end: str | None = None
) -> OpportunityHistory:
    """Open in the first stage at the first date, advance through the rest, then end."""
    (first, opened), *rest = moves
    opp = Opportunity.open(
        id, FUNNEL, amount=Money(amount, "CNY"), owner_id="rep", actor=REP, at=opened, stage=first
    )
    for stage, when in rest:
        if stage == "won":
            opp.win(REP, at=when)
        elif stage == "lost":
            opp.lose(REP, at=when, reason="competitor")
        else:
            opp.advance(REP, stage, at=when)
    return opp.to_history()


def histories() -> list[OpportunityHistory]:
    return [
        story(
            "o1", 1000, [("A", day(1, 1)), ("B", day(1, 5)), ("C", day(1, 8)), ("won", day(1, 10))]
        ),
        story("o2", 500, [("A", day(1, 2)), ("B", day(1, 12)), ("lost", day(1, 20))]),
        story("o3", 300, [("A", day(1, 3)), ("lost", day(1, 5))]),
        story("o4", 2000, [("A", day(2, 1)), ("B", day(2, 3))]),
        story("o5", 800, [("A", day(2, 10))]),
        story(
            "o6",
            1000,
            [
                ("A", day(1, 4)),
                ("B", day(1, 6)),
                ("A", day(1, 7)),
                ("B", day(1, 9)),
                ("C", day(1, 10)),
                ("won", day(1, 15)),
            ],
        ),
    ]


@pytest.fixture(scope="module")
def funnel() -> FunnelAggregate:
    return FunnelAggregate.of(histories(), FUNNEL, as_of=AS_OF, period="month")


def test_snapshot_and_stage_to_stage_conversion(funnel: FunnelAggregate) -> None:
    snapshot = funnel.snapshot()
    assert [(r.stage, r.open_count, r.open_amount, r.reached) for r in snapshot.rows] == [
        ("A", 1, Money(800, "CNY"), 6),
        ("B", 1, Money(2000, "CNY"), 4),
        ("C", 0, Money(0, "CNY"), 2),
    ]
    conversions = [r.conversion for r in snapshot.rows]
    assert conversions[0] is not None
    assert conversions[0].quantize(Decimal("0.0001")) == Decimal("0.6667")
    assert conversions[1:] == [Decimal("0.5"), Decimal(1)]
    assert snapshot.won == 2
    assert snapshot.to_records()[1]["conversion_to_next"] == Decimal("0.5")
    assert "Funnel (2 won)" in snapshot._repr_html_()


def test_cohort_conversion_by_month_of_entry(funnel: FunnelAggregate) -> None:
    cohorts = funnel.cohorts()
    rows = {(r.stage, r.cohort): (r.entered, r.advanced, r.won, r.lost) for r in cohorts.rows}
    assert rows == {
        ("A", "2026-01"): (4, 3, 2, 2),
        ("A", "2026-02"): (2, 1, 0, 0),
        ("B", "2026-01"): (3, 2, 2, 1),
        ("B", "2026-02"): (1, 0, 0, 0),
        ("C", "2026-01"): (2, 2, 2, 0),
    }
    a_jan = cohorts.row("A", "2026-01")
    assert (a_jan.advance_rate, a_jan.win_rate) == (Decimal("0.75"), Decimal("0.5"))
    assert [r["stage"] for r in cohorts.to_records()] == ["A", "A", "B", "B", "C"]
    assert "Cohort conversion by month" in cohorts._repr_html_()
    with pytest.raises(ValidationError, match="no cohort"):
        cohorts.row("C", "2026-02")


def test_average_and_median_days_in_stage(funnel: FunnelAggregate) -> None:
    dwell = funnel.dwell()
    a, b, c = dwell.row("A"), dwell.row("B"), dwell.row("C")
    # A: stays of 4, 10, 2, 2, 2 and 2 days; B: 3, 8, 1, 1; C: 2, 5.
    assert (a.stays, a.median_days, b.stays, b.median_days) == (6, Decimal(2), 4, Decimal(2))
    assert a.mean_days is not None
    assert a.mean_days.quantize(Decimal("0.01")) == Decimal("3.67")
    assert (b.mean_days, c.mean_days, c.median_days) == (
        Decimal("3.25"),
        Decimal("3.5"),
        Decimal("3.5"),
    )
    assert a.expected_days == 10
    assert "Days in stage" in dwell._repr_html_()
    assert dwell.to_records()[2]["stage"] == "C"
    with pytest.raises(ValidationError, match="no stage"):
        dwell.row("D")


def test_stuck_beyond_one_and_a_half_times_the_expected_days(funnel: FunnelAggregate) -> None:
    stuck = funnel.stuck()
    assert stuck.ids == ("o4", "o5")
    assert [(r.stage, r.days_in_stage, r.expected_days) for r in stuck.rows] == [
        ("B", Decimal(26), 5),
        ("A", Decimal(19), 10),
    ]
    assert stuck.to_records()[0]["id"] == "o4"
    assert "Stuck beyond 1.5" in stuck._repr_html_()
    relaxed = FunnelAggregate.of(histories(), FUNNEL, as_of=AS_OF, stuck_factor=2)
    assert relaxed.stuck().ids == ("o4",)


def test_win_rate_cycle_and_sales_velocity(funnel: FunnelAggregate) -> None:
    summary = funnel.summary()
    assert (summary.won, summary.lost, summary.open) == (2, 2, 2)
    assert summary.win_rate == Decimal("0.5")
    assert summary.amount_win_rate is not None
    assert summary.amount_win_rate.quantize(Decimal("0.0001")) == Decimal("0.7143")
    assert summary.average_won_amount == Money(1000, "CNY")
    assert summary.average_cycle_days == Decimal(10)
    # 2 open deals × 1,000 average won × 50 % ÷ 10 days
    assert summary.sales_velocity_per_day == Money(100, "CNY")
    assert summary.open_amount == Money(2800, "CNY")
    assert summary.to_records()[0]["sales_velocity_per_day"] == Decimal(100)
    assert "Funnel summary" in summary._repr_html_()


def test_calibrated_probabilities_beside_the_configured_ones(funnel: FunnelAggregate) -> None:
    calibration = funnel.calibration()
    a, b, c = (calibration.row(s) for s in "ABC")
    # (won + 2·p) / (closed + 2)
    assert (a.closed, a.won, a.observed, a.calibrated) == (4, 2, Percent(50), Percent("36.67"))
    assert (b.closed, b.won, b.calibrated) == (3, 2, Percent(60))
    assert b.observed == Percent("66.67")
    assert (c.closed, c.won, c.observed, c.calibrated) == (2, 2, Percent(100), Percent(90))
    assert not a.optimistic
    assert calibration.to_records()[0]["calibrated"] == Decimal("36.67")
    assert "Beta prior" in calibration._repr_html_()
    with pytest.raises(ValidationError, match="no stage"):
        calibration.row("D")


def test_calibration_without_history_or_prior() -> None:
    empty = FunnelAggregate.of([], FUNNEL, as_of=AS_OF, prior_weight=0)
    row = empty.calibration().row("B")
    assert (row.observed, row.calibrated) == (None, Percent(50))
    optimistic = FunnelAggregate.of(
        [story("x", 10, [("C", day(1, 1)), ("lost", day(1, 2))])], FUNNEL, as_of=AS_OF
    )
    assert optimistic.calibration().row("C").optimistic
    summary = empty.summary()
    assert (summary.win_rate, summary.average_cycle_days, summary.sales_velocity_per_day) == (
        None,
        None,
        None,
    )
    assert summary.to_records()[0]["average_won_amount"] is None
    assert empty.dwell().row("A").mean_days is None
    assert empty.snapshot().rows[0].conversion is None


def test_bad_histories_are_refused_and_nothing_is_added(funnel: FunnelAggregate) -> None:
    aggregate = FunnelAggregate.of(histories(), FUNNEL, as_of=AS_OF, period="month")
    unknown = OpportunityHistory(
        "bad", "rep", Money(1, "CNY"), day(1, 1), [StageVisit("Z", day(1, 1), "rep")]
    )
    with pytest.raises(ValidationError, match="unknown stage 'Z'"):
        aggregate.add_all([*histories(), unknown])
    assert aggregate == funnel
    dollars = OpportunityHistory(
        "usd", "rep", Money(1, "USD"), day(1, 1), [StageVisit("A", day(1, 1), "rep")]
    )
    with pytest.raises(CurrencyMismatch, match=r"1\.00 USD is not in CNY and no conversion rate"):
        aggregate.add_all([dollars])
    assert aggregate == funnel
    converted = FunnelAggregate.of(
        [*histories(), dollars], FUNNEL, as_of=AS_OF, period="month", rates={"USD": "7"}
    )
    assert converted.snapshot().rows[0].open_amount == Money(807, "CNY")
    with pytest.raises(ValidationError, match="and rates"):
        converted.merge(funnel)
    in_usd = FunnelAggregate.of([], FUNNEL, as_of=AS_OF, currency="USD")
    assert in_usd.summary().open_amount == Money(0, "USD")
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        aggregate.merge(FunnelAggregate.of([dollars], FUNNEL, as_of=AS_OF, period="month"))
    with pytest.raises(ValidationError, match="same process, as_of"):
        aggregate.merge(FunnelAggregate.of([], FUNNEL, as_of=AS_OF))
    assert aggregate != 42
    with pytest.raises(ValidationError, match="stuck_factor: must be > 0"):
        FunnelAggregate(FUNNEL, AS_OF, stuck_factor=Decimal(0))
    with pytest.raises(ValidationError, match="as_of: expected a datetime"):
        FunnelAggregate(FUNNEL, "2026-03-01")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="prior_weight: must be >= 0"):
        FunnelAggregate(FUNNEL, AS_OF, prior_weight=Decimal(-1))


@pytest.mark.parametrize(
    ("visits", "message"),
    [
        ([], "has no stage visit"),
        (
            [StageVisit("A", day(1, 1), "rep"), StageVisit("B", day(1, 2), "rep")],
            r"visits\[0\]: only the last visit may be still open",
        ),
        ([StageVisit("A", day(1, 5), "rep", day(1, 1), "rep")], "is before entered_at"),
    ],
)
def test_inconsistent_histories_are_refused(visits: list[StageVisit], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        OpportunityHistory("h", "rep", Money(1, "CNY"), day(1, 1), visits)


# -- property: merge ---------------------------------------------------------------------------
def random_history(rng: random.Random, i: int) -> OpportunityHistory:
    when = datetime(2026, 1, 1) + timedelta(hours=rng.randrange(24 * 90))
    visits = []
    stage = rng.choice("ABC")
    for _ in range(rng.randrange(1, 5)):
        left = when + timedelta(hours=rng.randrange(1, 24 * 20), seconds=rng.randrange(60))
        visits.append(StageVisit(stage, when, "rep", left, "rep"))
        when, stage = left, rng.choice("ABC")
    status = rng.choice(list(OpportunityStatus))
    if status is OpportunityStatus.OPEN:
        last = visits[-1]
        visits[-1] = StageVisit(last.stage, last.entered_at, "rep")
    return OpportunityHistory(
        f"h{i}",
        rng.choice(["rep", "ann"]),
        Money(rng.randrange(100_000), "CNY"),
        visits[0].entered_at,
        visits,
        status,
        None if status is OpportunityStatus.OPEN else visits[-1].left_at,
    )


@given(seed=st.integers(0, 2**32), size=st.integers(0, 30), parts=st.integers(1, 4))
def test_merging_funnel_partitions_equals_one_pass(seed: int, size: int, parts: int) -> None:
    rng = random.Random(seed)
    items = [random_history(rng, i) for i in range(size)]
    split: list[list[OpportunityHistory]] = [[] for _ in range(parts)]
    for item in items:
        split[rng.randrange(parts)].append(item)
    whole = FunnelAggregate.of(items, FUNNEL, as_of=AS_OF + timedelta(days=200))
    merged = FunnelAggregate(FUNNEL, AS_OF + timedelta(days=200))
    for part in split:
        merged = merged + FunnelAggregate.of(part, FUNNEL, as_of=AS_OF + timedelta(days=200))
    assert merged == whole
    assert merged.snapshot() == whole.snapshot()
    assert merged.cohorts() == whole.cohorts()
    assert merged.dwell() == whole.dwell()
    assert merged.stuck() == whole.stuck()
    assert merged.summary() == whole.summary()
    assert merged.calibration() == whole.calibration()


def test_funnel_partials_pickle(funnel: FunnelAggregate) -> None:
    import pickle

    assert pickle.loads(pickle.dumps(funnel)) == funnel
