"""crmcore computes in its own decimal context: the host's ``getcontext()`` never changes a figure.

Each scenario runs once under Python's default context and then under a random host context
(precision 1-50, any rounding mode, any traps, Inexact and Rounded included); the figures
must be the same, and no raw ``decimal`` exception may escape.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.forecast import (
    OpportunityRecord,
    SalesProcess,
    outcome_distribution,
    weighted_forecast,
)
from crmcore.money import Money, Percent
from crmcore.pricing import (
    FreeItems,
    LineRequest,
    PercentOff,
    PriceRule,
    PricingPolicy,
    RuleSelector,
    Tier,
    TierMode,
    UnitAmountOff,
    VolumeTiers,
)
from crmcore.receivables import aging
from crmcore.serialization import from_dict, to_dict
from tests.forecast.forecast_helpers import PROCESS_DATA
from tests.pricing.pricing_helpers import engine, order
from tests.receivables.rcv_support import FINANCE, SALES, make_receivable

ROUNDINGS = [
    decimal.ROUND_CEILING,
    decimal.ROUND_DOWN,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_UP,
    decimal.ROUND_05UP,
]
SIGNALS = [
    decimal.Clamped,
    decimal.DivisionByZero,
    decimal.Inexact,
    decimal.InvalidOperation,
    decimal.Overflow,
    decimal.Rounded,
    decimal.Subnormal,
    decimal.Underflow,
    decimal.FloatOperation,
]

host_contexts = st.builds(
    lambda prec, rounding, traps: decimal.Context(prec=prec, rounding=rounding, traps=traps),
    st.integers(1, 50),
    st.sampled_from(ROUNDINGS),
    st.lists(st.sampled_from(SIGNALS), unique=True),
)


def pricing() -> object:
    """Tiers, free items, a per-unit discount, an order discount and 13 % tax."""
    rules = [
        PriceRule(
            "tiers",
            VolumeTiers(
                (
                    Tier(1, percent_off=Percent("0")),
                    Tier(10, percent_off=Percent("7.5")),
                    Tier(20, percent_off=Percent("12.25")),
                ),
                TierMode.SLAB,
            ),
            RuleSelector(skus={"DRILL"}),
        ),
        PriceRule("b2g1", FreeItems(2, 1), RuleSelector(skus={"HAMMER"})),
    ]
    priced = engine(rules, PricingPolicy(default_tax_rate=Percent("13"))).price(
        order(
            ("DRILL", 23),
            LineRequest("HAMMER", 7, discount=UnitAmountOff(Money("1.37", "CNY"))),
            ("SCREW", "3.333"),
            ("SAW", 3),
            discount=PercentOff(Percent("3.3")),
        )
    )
    return to_dict(priced)


def allocation() -> object:
    """Splits by largest remainder, a percentage and a negation."""
    big = Money("12345678.94", "CNY")
    return (
        big.allocate([1, 1, 1]),
        big.allocate(["0.3333", "0.6667", "1.5"]),
        (big * Percent("13")).round(),
        -big,
        abs(-big),
        big / 7,
        big / Money("3", "CNY"),
        sum([big, Money("0.01", "CNY"), -big]),
    )


def receivables() -> object:
    """A receivable of 12,345,678.94 paid in two payments, one confirmed; its aging."""
    receivable = make_receivable("SO-1", "24691357.88")
    first = receivable.record_payment(
        SALES, Money("12345678.94", "CNY"), received_on=date(2024, 1, 5), at=datetime(2024, 1, 5)
    )
    receivable.confirm_payment(FINANCE, first.id, at=datetime(2024, 1, 6))
    receivable.record_payment(
        SALES, Money("1234567.89", "CNY"), received_on=date(2024, 1, 7), at=datetime(2024, 1, 7)
    )
    balance = receivable.balance(date(2024, 6, 30))
    report = aging([receivable], date(2024, 6, 30))
    return to_dict(balance), report.to_records()


def forecasts() -> object:
    """The weighted pipeline and the distribution of the closed amount."""
    process = from_dict(SalesProcess, PROCESS_DATA)
    stages = process.stage_names
    records = [
        OpportunityRecord(
            f"o{i}",
            "alice" if i % 2 else "bob",
            stages[i % len(stages)],
            Money("123456.78", "CNY") * (i + 1),
            date(2026, 3, 31),
        )
        for i in range(7)
    ]
    table = weighted_forecast(records, process, by=("stage", "owner"))
    distribution = outcome_distribution(
        records, process, resolution="1000", target=Money("400000", "CNY")
    )
    return table.to_records(), distribution.to_records(), str(distribution.p50)


SCENARIOS: dict[str, Callable[[], object]] = {
    "pricing": pricing,
    "allocation": allocation,
    "receivables": receivables,
    "forecasts": forecasts,
}


def _in(context: decimal.Context, scenario: Callable[[], object]) -> Any:
    with decimal.localcontext(context):
        return scenario()


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_default_context_gives_the_reference_figures(name: str) -> None:
    assert _in(decimal.Context(), SCENARIOS[name]) is not None


@pytest.mark.parametrize("name", SCENARIOS)
@settings(max_examples=25, deadline=None)
@given(host=host_contexts)
def test_the_host_context_never_changes_a_figure(name: str, host: decimal.Context) -> None:
    scenario = SCENARIOS[name]
    expected = _in(decimal.Context(), scenario)
    assert _in(host, scenario) == expected


def test_a_six_digit_host_context_keeps_every_cent_of_a_large_payment() -> None:
    """The measured bug: prec 6 showed 12,345,700.00 received for 12,345,678.94 paid."""
    balance, _ = _in(decimal.Context(prec=6), receivables)
    assert balance["received"] == {"amount": "12345678.94", "currency": "CNY"}
