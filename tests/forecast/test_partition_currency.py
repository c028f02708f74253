"""Issue 19: partitions carry their settings, so merging never depends on which record came
first. Measured before: a partition whose first record was in USD (converted by the rates)
took USD as its currency and failed to merge with a CNY one, though one pass worked."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import CurrencyMismatch
from crmcore.forecast import ForecastAggregate, OpportunityRecord, SalesProcess
from crmcore.money import Money
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [{"name": "a", "probability": "10"}, {"name": "b", "probability": "50"}],
    },
)
RATES = {"USD": "7", "EUR": "8"}


def record(n: int, amount: int, currency: str, stage: str = "a") -> OpportunityRecord:
    return OpportunityRecord(
        f"r{n}", "x", stage, Money(amount, currency), date(2026, 3, 1 + n % 28)
    )


def test_a_usd_partition_merges_into_the_cny_forecast() -> None:
    cny, usd = [record(1, 1000, "CNY")], [record(2, 100, "USD", "b")]
    one_pass = ForecastAggregate.of([*cny, *usd], PROCESS, rates=RATES)
    for parts in ([cny, usd], [usd, cny]):
        merged = sum(ForecastAggregate.of(p, PROCESS, rates=RATES) for p in parts)
        assert merged == one_pass
    # 1000 × 10 % + 100 × 7 × 50 % = 100 + 350 = 450 CNY, whichever came first
    reversed_pass = ForecastAggregate.of([*usd, *cny], PROCESS, rates=RATES)
    assert reversed_pass == one_pass
    assert reversed_pass.table(()).total.weighted == Money(450, "CNY")


def test_two_partitions_in_converted_currencies_alone_stay_apart() -> None:
    usd = ForecastAggregate.of([record(1, 100, "USD")], PROCESS, rates=RATES)
    eur = ForecastAggregate.of([record(2, 100, "EUR")], PROCESS, rates=RATES)
    with pytest.raises(CurrencyMismatch, match="merge: aggregates in USD and EUR"):
        _ = usd + eur
    named = ForecastAggregate.of([record(3, 1, "USD")], PROCESS, currency="USD", rates=RATES)
    cny = ForecastAggregate.of([record(4, 1, "CNY")], PROCESS, rates=RATES)
    with pytest.raises(CurrencyMismatch):  # a currency the caller named never moves
        _ = named + cny
    # a partition that meets two converted currencies before the base cannot convert them
    with pytest.raises(CurrencyMismatch, match="EUR and USD both convert"):
        ForecastAggregate.of([record(5, 1, "USD"), record(6, 1, "EUR")], PROCESS, rates=RATES)


records = st.lists(
    st.tuples(st.integers(1, 10_000), st.sampled_from(["CNY", "USD"]), st.sampled_from("ab")),
    min_size=1,
    max_size=20,
)


@given(rows=records, cuts=st.lists(st.integers(0, 20), max_size=4), data=st.data())
def test_any_partitioning_in_any_order_equals_one_pass(
    rows: list[tuple[int, str, str]], cuts: list[int], data: st.DataObject
) -> None:
    recs = [record(i, amount, currency, stage) for i, (amount, currency, stage) in enumerate(rows)]
    whole = ForecastAggregate.of(recs, PROCESS, rates=RATES)
    bounds = sorted({0, len(recs), *(min(c, len(recs)) for c in cuts)})
    parts = [recs[a:b] for a, b in itertools.pairwise(bounds)]
    order = data.draw(st.permutations(parts))
    merged = sum(ForecastAggregate.of(p, PROCESS, rates=RATES) for p in order)
    assert merged == whole
    if any(c == "CNY" for _, c, _ in rows):  # then everything is in CNY, exactly converted
        expected = sum(
            (
                amount * (1 if c == "CNY" else 7) * (10 if s == "a" else 50)
                for amount, c, s in rows
            ),
            0,
        )
        assert merged.table(()).total.weighted == Money(expected, "CNY") / 100
