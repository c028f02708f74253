"""The outcome distribution: exact DP and seeded Monte Carlo; mean = weighted forecast."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast import (
    OpportunityRecord,
    OpportunityStatus,
    SalesProcess,
    outcome_distribution,
    weighted_forecast,
)
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict

TEXTBOOK = from_dict(
    SalesProcess,
    {
        "id": "textbook",
        "stages": [
            {"name": "s10", "probability": "10"},
            {"name": "s40", "probability": "40"},
            {"name": "s60", "probability": "60"},
            {"name": "s80", "probability": "80"},
            {"name": "s90", "probability": "90"},
            {"name": "s100", "probability": "100"},
            {"name": "s0", "probability": "0"},
        ],
    },
)


def cny(amount: int | str) -> Money:
    return Money(amount, "CNY")


def record(i: int, stage: str, amount: Money, **kwargs: object) -> OpportunityRecord:
    return OpportunityRecord(f"o{i}", "rep", stage, amount, date(2026, 2, 1), **kwargs)  # type: ignore[arg-type]


def textbook() -> list[OpportunityRecord]:
    counts = {"s10": 65, "s40": 34, "s60": 27, "s80": 15, "s90": 6}
    return [record(i, stage, cny(500_000)) for stage, n in counts.items() for i in range(n)]


def test_two_deals_by_hand() -> None:
    deals = [
        record(1, "s10", cny(100), probability_override=Percent(50)),
        record(2, "s10", cny(200), probability_override=Percent(25)),
    ]
    dist = outcome_distribution(deals, TEXTBOOK, resolution=100, target=cny(200))
    assert dist.amounts == (Decimal(0), Decimal(100), Decimal(200), Decimal(300))
    assert dist.probabilities == (Fraction(3, 8), Fraction(3, 8), Fraction(1, 8), Fraction(1, 8))
    assert dist.total_probability == 1
    assert dist.mean == dist.expected_value == cny(100)
    assert (dist.p10, dist.p50, dist.p90) == (cny(0), cny(100), cny(300))
    assert dist.probability_of_target == Fraction(1, 4)
    assert dist.probability_at_least(cny(1)) == Fraction(5, 8)
    assert dist.quantile("1") == cny(300)
    assert dist.to_records()[1] == {
        "amount": Decimal(100),
        "probability": Decimal("0.375"),
        "cumulative": Decimal("0.75"),
        "currency": "CNY",
    }
    assert dist.summary()["p_target"] == Decimal("0.25")
    assert "Outcome distribution (exact)" in dist._repr_html_()


def test_textbook_mean_equals_the_weighted_forecast() -> None:
    deals = textbook()
    dist = outcome_distribution(deals, TEXTBOOK, resolution=500_000, target=cny(30_000_000))
    weighted = weighted_forecast(deals, TEXTBOOK).total.weighted
    assert dist.expected_value == dist.mean == weighted == cny(26_850_000)
    assert dist.total_probability == 1
    assert dist.p10 <= dist.p50 <= dist.p90
    assert (dist.p10, dist.p50, dist.p90) == (cny(24_000_000), cny(27_000_000), cny(30_000_000))
    chance = dist.probability_of_target
    assert chance is not None
    assert Fraction(1, 10) < chance < Fraction(1, 4)
    assert dist.opportunities == 147


def test_bucketing_moves_the_mean_but_not_the_expected_value() -> None:
    deals = [record(1, "s60", cny(150)), record(2, "s40", cny(249))]
    dist = outcome_distribution(deals, TEXTBOOK, resolution=100)
    # 150 → 2 buckets (half up), 249 → 2 buckets
    assert dist.amounts == (Decimal(0), Decimal(200), Decimal(400))
    assert dist.expected_value == cny("189.6")
    assert dist.mean == cny(200)


def test_certain_and_impossible_deals() -> None:
    deals = [
        record(1, "s100", cny(1000)),
        record(2, "s0", cny(5000)),
        record(3, "s10", cny(0)),
        record(4, "s10", cny(10), status=OpportunityStatus.WON),
    ]
    dist = outcome_distribution(deals, TEXTBOOK, resolution=1)
    assert dist.amounts == (Decimal(1000),)
    assert dist.probabilities == (Fraction(1),)
    assert dist.opportunities == 3


def test_monte_carlo_is_reproducible_with_its_seed() -> None:
    deals = textbook()
    first = outcome_distribution(deals, TEXTBOOK, method="monte_carlo", seed=42, trials=2000)
    again = outcome_distribution(deals, TEXTBOOK, method="monte_carlo", seed=42, trials=2000)
    other = outcome_distribution(deals, TEXTBOOK, method="monte_carlo", seed=43, trials=2000)
    assert first == again
    assert first != other
    assert first.total_probability == 1
    assert first.expected_value == cny(26_850_000)
    assert abs(first.mean.amount - Decimal(26_850_000)) < Decimal(500_000)
    assert first.p10 <= first.p50 <= first.p90
    assert (first.seed, first.trials, first.resolution) == (42, 2000, None)


def test_period_filter_reports_missing_close_dates() -> None:
    deals = [
        record(1, "s60", cny(100)),
        OpportunityRecord("late", "rep", "s60", cny(300), date(2026, 5, 1)),
        OpportunityRecord("undated", "rep", "s60", cny(700)),
    ]
    dist = outcome_distribution(deals, TEXTBOOK, period="2026-Q1")
    assert dist.expected_value == cny(60)
    assert dist.missing_close_date == 1
    monthly = outcome_distribution(deals, TEXTBOOK, period="2026-05")
    assert monthly.expected_value == cny(180)


def test_converted_currencies() -> None:
    deals = [record(1, "s60", cny(100)), record(2, "s40", Money(10, "USD"))]
    with pytest.raises(CurrencyMismatch, match="in CNY, USD: give conversion rates"):
        outcome_distribution(deals, TEXTBOOK)
    with pytest.raises(CurrencyMismatch, match="no conversion rate for USD"):
        outcome_distribution(deals, TEXTBOOK, currency="CNY")
    # 100 × 60 % + 10 USD × 7 × 40 % = 60 + 28 = 88 CNY, whichever deal comes first: the
    # rates convert USD, so CNY is the currency they convert into
    for ordered in (deals, deals[::-1]):
        dist = outcome_distribution(ordered, TEXTBOOK, rates={"USD": "7"})
        assert (dist.expected_value, dist.mean) == (cny(88), cny(88))
    # rates for both: nothing says which is the base; the caller names it
    both = {"USD": "7", "CNY": "0.14"}
    with pytest.raises(CurrencyMismatch, match="name the distribution's currency"):
        outcome_distribution(deals[::-1], TEXTBOOK, rates=both)
    in_usd = outcome_distribution(deals[::-1], TEXTBOOK, rates=both, currency="USD")
    # 10 × 40 % + 100 × 0.14 × 60 % = 4 + 8.4 = 12.4 USD
    assert in_usd.expected_value == Money("12.4", "USD")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "guess"}, ValidationError, "method"),
        ({"resolution": 0}, ValidationError, "resolution: must be > 0"),
        ({"resolution": 0.5}, ValidationError, "float"),
        ({"method": "monte_carlo"}, ValidationError, "explicit int seed"),
        ({"method": "monte_carlo", "seed": 1, "trials": 0}, ValidationError, "trials"),
        ({"resolution": 1, "max_buckets": 10}, ValidationError, "exceed max_buckets 10"),
        ({"target": Money(1, "USD")}, CurrencyMismatch, "not in CNY"),
        ({"target": 5}, ValidationError, "target: expected Money"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        outcome_distribution(textbook()[:3], TEXTBOOK, **kwargs)  # type: ignore[arg-type]


def test_unknown_stage_and_empty_input() -> None:
    with pytest.raises(ValidationError, match="unknown stage 'closing'"):
        outcome_distribution([record(1, "closing", cny(1))], TEXTBOOK)
    with pytest.raises(ValidationError, match="pass currency="):
        outcome_distribution([], TEXTBOOK)
    empty = outcome_distribution([], TEXTBOOK, currency="CNY")
    assert empty.amounts == (Decimal(0),)
    assert empty.p90 == cny(0)
    assert empty.probability_of_target is None
    dist = outcome_distribution(textbook()[:2], TEXTBOOK)
    with pytest.raises(ValidationError, match="q: must be between 0 and 1"):
        dist.quantile("1.5")
    with pytest.raises(CurrencyMismatch):
        dist.probability_at_least(Money(1, "USD"))


deals_strategy = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.none() | st.decimals(0, 100, places=2).map(Percent),
        st.sampled_from(["s10", "s40", "s60", "s80", "s90", "s100", "s0"]),
    ),
    max_size=12,
)


@given(deals=deals_strategy, step=st.sampled_from([1, 5, 10]))
def test_distribution_sums_to_one_and_its_mean_is_the_weighted_forecast(
    deals: list[tuple[int, Percent | None, str]], step: int
) -> None:
    records = [
        record(i, stage, cny(units * step), probability_override=override)
        for i, (units, override, stage) in enumerate(deals)
    ]
    dist = outcome_distribution(records, TEXTBOOK, resolution=step, currency="CNY")
    assert dist.total_probability == 1
    assert dist.mean == dist.expected_value
    if records:
        assert dist.expected_value == weighted_forecast(records, TEXTBOOK).total.weighted
    assert dist.p10 <= dist.p50 <= dist.p90
    assert list(dist.amounts) == sorted(dist.amounts)


@given(deals=deals_strategy, seed=st.integers(0, 1000))
def test_monte_carlo_distribution_sums_to_one(
    deals: list[tuple[int, Percent | None, str]], seed: int
) -> None:
    records = [
        record(i, stage, cny(units), probability_override=override)
        for i, (units, override, stage) in enumerate(deals)
    ]
    dist = outcome_distribution(
        records, TEXTBOOK, method="monte_carlo", seed=seed, trials=50, currency="CNY"
    )
    assert dist.total_probability == 1
    assert dist.p10 <= dist.p50 <= dist.p90


def test_default_resolution_is_the_common_divisor_of_the_amounts() -> None:
    deals = [record(1, "s60", cny("150.50")), record(2, "s40", cny("301"))]
    dist = outcome_distribution(deals, TEXTBOOK)
    assert dist.resolution == Decimal("150.5")
    assert dist.amounts == (Decimal(0), Decimal("150.5"), Decimal("301"), Decimal("451.5"))
    assert dist.mean == dist.expected_value == cny("210.70")
    zeros = outcome_distribution([record(1, "s60", cny(0))], TEXTBOOK)
    assert zeros.resolution == Decimal(1)
