"""Issue 15: hostile numbers and ranges in pricing are refused with the field, never crash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcore.errors import ConfigError, ValidationError
from crmcore.pricing import (
    CashRounding,
    FreeItems,
    LineRequest,
    PriceRule,
    PricingPolicy,
    RuleConditions,
    RuleSelector,
)
from crmcore.serialization import from_dict
from tests.pricing.pricing_helpers import engine, order


def test_a_quantity_of_ten_to_the_million_is_refused_naming_the_quantity() -> None:
    # was decimal.Overflow while pricing
    with pytest.raises(ValidationError, match=r"quantity: '1e999999' is out of range"):
        LineRequest("DRILL", "1e999999")


def test_free_items_with_absurd_buy_or_get_are_refused() -> None:
    # buy 1e-30 was DivisionImpossible while pricing, get 1e999999 was Overflow
    with pytest.raises(ValidationError, match=r"'1e999999' is out of range"):
        FreeItems(1, "1e999999")
    with pytest.raises(ConfigError, match=r"effect\.get: '1e999999' is out of range"):
        from_dict(
            PriceRule, {"id": "r", "effect": {"kind": "free_items", "buy": 1, "get": "1e999999"}}
        )
    rule = PriceRule("tiny", FreeItems("1e-30", "1e-30"), RuleSelector(skus={"DRILL"}))
    with pytest.raises(ValidationError, match=r"free items: 100000 units make more than 10\*\*34"):
        engine([rule]).price(order(("DRILL", 100000)))
    assert FreeItems("1e-30", "1e-30").free_units(Decimal("1e-29")) == Decimal("5e-30")


def test_a_cash_rounding_step_finer_than_any_minor_unit_is_refused() -> None:
    # was decimal.InvalidOperation at the grand total
    with pytest.raises(ValidationError, match=r"step: 1E-40 is finer than any currency's minor"):
        CashRounding("1e-40")
    with pytest.raises(ConfigError, match=r"cash_rounding\.step: 1E-40 is finer"):
        from_dict(PricingPolicy, {"cash_rounding": {"step": "1e-40"}})
    assert CashRounding("0.05").step == Decimal("0.05")


def test_rule_ranges_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match=r"max_quantity: 5 is below min_quantity 10"):
        RuleConditions(min_quantity=10, max_quantity=5)
    with pytest.raises(
        ValidationError, match=r"valid_to: 2026-01-01 is before valid_from 2026-02"
    ):
        RuleConditions(valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1))
    with pytest.raises(ConfigError, match=r"conditions\.max_quantity: 1 is below min_quantity 2"):
        from_dict(
            PriceRule,
            {
                "id": "r",
                "effect": {"kind": "percent_off", "percent": "5"},
                "conditions": {"min_quantity": "2", "max_quantity": "1"},
            },
        )
    assert RuleConditions(min_quantity=5, max_quantity=5).max_quantity == 5


@pytest.mark.parametrize("text", ["1_000", "١٠٠٠"])
def test_quantities_in_underscores_or_arabic_indic_digits_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=r"quantity: .* is not a decimal number"):
        LineRequest("DRILL", text)


def test_a_huge_integer_in_a_rule_gets_a_readable_error() -> None:
    """Python refuses to print an int of more than 4,300 digits; the shared validators say
    what it is instead of failing while building the message (found by a constructor probe)."""
    from crmcore.pricing import AmountOff, PercentOff, TargetTotal
    from crmcore.receivables import AgingBuckets

    huge = 10**5000
    with pytest.raises(ValidationError, match=r"amount: .* got int an integer of about 5000 d"):
        AmountOff(huge)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"amount: .* got tuple <tuple>"):
        AmountOff((huge,))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"percent: .* got int an integer of about 5000"):
        PercentOff(-huge)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"total: .* an integer of about 5000 digits"):
        TargetTotal(huge)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"edges\[1\]: must be greater than an integer"):
        AgingBuckets((huge, 5))
    with pytest.raises(ValidationError, match=r"edges\[0\]: must be an integer >= 1, got an in"):
        AgingBuckets((-huge,))
