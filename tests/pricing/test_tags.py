"""Pricing tags cannot be confused: a per-unit amount off and a whole-order amount off have
their own tags, and the 0.1 tag ``amount_off`` still loads as what it meant in its place."""

from __future__ import annotations

import pytest

from crmcore.errors import ConfigError
from crmcore.money import Money
from crmcore.pricing import AmountOff, DiscountPerUnit, OrderRequest, PriceRule, UnitAmountOff
from crmcore.serialization import from_dict, to_dict

ONE = {"amount": "1.00", "currency": "CNY"}


def test_each_amount_off_writes_its_own_tag() -> None:
    assert to_dict(DiscountPerUnit(Money("1.00", "CNY")))["kind"] == "unit_amount_off"
    assert to_dict(UnitAmountOff(Money("1.00", "CNY")))["kind"] == "unit_amount_off"
    assert to_dict(AmountOff(Money("1.00", "CNY")))["kind"] == "order_amount_off"


@pytest.mark.parametrize("tag", ["amount_off", "unit_amount_off"])
def test_a_rule_effect_amount_off_is_per_unit(tag: str) -> None:
    rule = from_dict(PriceRule, {"id": "r", "effect": {"kind": tag, "amount": ONE}})
    assert rule.effect == DiscountPerUnit(Money("1.00", "CNY"))


@pytest.mark.parametrize("tag", ["amount_off", "order_amount_off"])
def test_an_order_discount_amount_off_is_the_whole_order(tag: str) -> None:
    data = {
        "customer": "acme",
        "currency": "CNY",
        "on": "2026-03-02",
        "lines": [{"sku": "DRILL", "quantity": "1"}],
        "order_discount": {"kind": tag, "amount": ONE},
    }
    request = from_dict(OrderRequest, data)
    assert request.order_discount == AmountOff(Money("1.00", "CNY"))
    assert to_dict(request)["order_discount"]["kind"] == "order_amount_off"


def test_a_whole_order_tag_is_refused_as_a_rule_effect() -> None:
    with pytest.raises(ConfigError, match="order_amount_off"):
        from_dict(PriceRule, {"id": "r", "effect": {"kind": "order_amount_off", "amount": ONE}})
