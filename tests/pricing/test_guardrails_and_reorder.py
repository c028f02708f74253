"""Guardrails become approval reasons; repricing and reorder."""

from __future__ import annotations

from datetime import date

from crmcore.money import Percent
from crmcore.ports import Actor
from crmcore.pricing import (
    DiscountAuthority,
    DiscountPercent,
    FreeItems,
    LineRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PriceRule,
    PricingPolicy,
    RuleConditions,
    RuleSelector,
    TargetTotal,
    Tier,
    TierMode,
    VolumeTiers,
    reorder,
)
from crmcore.serialization import from_dict
from crmcore.workflow import Condition
from tests.pricing.pricing_helpers import cny, default_list, engine, order

POLICY = PricingPolicy(
    minimum_margin=Percent(20),
    authorities=(
        DiscountAuthority("sales", Percent(10), Percent(5)),
        DiscountAuthority("manager", Percent(25), Percent(15)),
    ),
)


def kinds(priced: object) -> list[tuple[str, int | None]]:
    return [(r.kind, r.line) for r in priced.approval_reasons]  # type: ignore[attr-defined]


def test_a_discount_above_the_salespersons_authority_needs_approval() -> None:
    request = order(LineRequest("HAMMER", 1, discount=PercentOff(Percent(20))), roles={"sales"})
    priced = engine(policy=POLICY).price(request)
    line_reason, order_reason = priced.approval_reasons
    assert (line_reason.kind, line_reason.line) == ("discount_above_authority", 0)
    assert (line_reason.limit, line_reason.actual) == (Percent(10), Percent(20))
    assert line_reason.message == (
        "line 0 (HAMMER): discount 20 % is above the 10 % that sales may grant"
    )
    assert (order_reason.line, order_reason.limit, order_reason.actual) == (
        None,
        Percent(5),
        Percent(20),
    )
    assert priced.needs_approval


def test_an_actor_with_a_higher_role_overrides_the_request_roles() -> None:
    request = order(LineRequest("HAMMER", 1, discount=PercentOff(Percent(20))), roles={"sales"})
    manager = Actor("mei", {"sales", "manager"})
    priced = engine(policy=POLICY).price(request, actor=manager)
    assert kinds(priced) == [("discount_above_authority", None)]
    assert "manager, sales may grant" in priced.approval_reasons[0].message


def test_exactly_at_the_authority_needs_no_approval() -> None:
    request = order(LineRequest("HAMMER", 1, discount=PercentOff(Percent(5))), roles={"sales"})
    assert engine(policy=POLICY).price(request).approval_reasons == ()


def test_below_the_margin_floor_and_below_the_minimum_price() -> None:
    request = order(
        LineRequest("DRILL", 2, unit_price=cny(70)),
        LineRequest("SAW", 1, unit_price=cny(160)),
        roles={"manager"},
    )
    priced = engine(policy=POLICY).price(request)
    # 70 is 30 % off 100, above the manager's 25 %; 160 is 20 % off 200, within it
    assert kinds(priced) == [
        ("discount_above_authority", 0),
        ("below_margin_floor", 0),
        ("below_margin_floor", 1),
        ("below_minimum_price", 1),
        ("discount_above_authority", None),
    ]
    drill = priced.approval_reasons[1]
    # cost 60 × (1 + 20 %) = 72 a unit
    assert (drill.limit, drill.actual) == (cny(72), cny(70))
    assert (
        drill.message
        == "line 0 (DRILL): net unit price 70.00 CNY is below the margin floor 72.00 CNY"
    )
    minimum = priced.approval_reasons[3]
    assert (minimum.limit, minimum.actual) == (cny(170), cny(160))


def test_the_margin_floor_uses_the_tax_exclusive_net_of_a_tax_inclusive_list() -> None:
    lists = [default_list(tax_inclusive=True)]
    policy = PricingPolicy(default_tax_rate=Percent(13), default_authority=Percent(100))
    # 100 including 13 % tax is 88.50 net: above the cost of 60
    assert engine(policy=policy, lists=lists).price(order(("DRILL", 1))).approval_reasons == ()
    request = order(LineRequest("DRILL", 1, unit_price=cny(67)))
    priced = engine(policy=policy, lists=lists).price(request)
    # 67 including tax is 59.29 net: below the cost of 60
    assert kinds(priced)[0] == ("below_margin_floor", 0)
    assert priced.approval_reasons[0].actual == cny("59.29")


def test_costs_in_another_currency_are_not_compared() -> None:
    usd = PriceList("USD", "USD", [PriceListItem("SAW", "1")])
    priced = engine(policy=PricingPolicy(default_authority=Percent(100)), lists=[usd]).price(
        order(("SAW", 1), currency="USD")
    )
    assert priced.approval_reasons == ()


def test_the_workflow_condition_sees_the_reason_kinds() -> None:
    condition = from_dict(
        Condition,
        {"field": "approval_reasons.kind", "op": "contains", "value": "below_margin_floor"},
    )
    low = engine(policy=POLICY).price(order(LineRequest("DRILL", 1, unit_price=cny(70))))
    fine = engine(policy=POLICY).price(order(("DRILL", 1)))
    assert condition.evaluate(low)
    assert not condition.evaluate(fine)


def test_changing_quantity_reprices_every_rule() -> None:
    rules = [
        PriceRule(
            "tiers",
            VolumeTiers([Tier(10, percent_off=Percent(10))], TierMode.RANGE),
            RuleSelector(skus={"DRILL"}),
        ),
        PriceRule(
            "big-order",
            DiscountPercent(Percent(5)),
            RuleSelector(skus={"HAMMER"}),
            RuleConditions(min_order_amount=cny(1000)),
        ),
    ]
    pricing = engine(rules)
    small = pricing.price(order(("DRILL", 9), ("HAMMER", 3)))
    # list total 990 < 1000: no order rule
    assert [line.amount for line in small.lines] == [cny(900), cny(90)]
    large = pricing.price(order(("DRILL", 10), ("HAMMER", 3)))
    # the tenth drill reaches the tier and the list total of 1090 the order rule
    assert [line.amount for line in large.lines] == [cny(900), cny("85.50")]
    removed = pricing.price(order(("HAMMER", 3)))
    assert removed.lines[0].amount == cny(90)
    assert pricing.price(order(("DRILL", 10), ("HAMMER", 3))) == large


def test_a_manual_override_survives_repricing() -> None:
    rules = [PriceRule("drill10", DiscountPercent(Percent(10)))]
    first = engine(rules).price(order(LineRequest("DRILL", 2, unit_price=cny(95))))
    again = engine(rules).price(order(LineRequest("DRILL", 20, unit_price=cny(95))))
    assert (first.lines[0].amount, again.lines[0].amount) == (cny(190), cny(1900))
    assert again.lines[0].rule_amount == cny(1800)
    assert again.lines[0].discount_beyond_rules == Percent("-5.56")


def price_lists() -> list[PriceList]:
    old = default_list(valid_to=date(2026, 3, 31))
    new = PriceList(
        "2026-Q2",
        "CNY",
        [PriceListItem("DRILL", "110"), PriceListItem("HAMMER", "33"), PriceListItem("BIT", "11")],
        valid_from=date(2026, 4, 1),
    )
    return [old, new]


def test_reorder_reprices_the_lines_as_of_a_new_date() -> None:
    pricing = engine(lists=price_lists())
    first = pricing.price(
        order(("DRILL", 2), LineRequest("HAMMER", 1, discount=PercentOff(Percent(10))))
    )
    assert first.net_total == cny(227)
    again = pricing.price(reorder(first, date(2026, 4, 15)))
    # 2 × 110 and 33 less the kept manual 10 %
    assert [line.amount for line in again.lines] == [cny(220), cny("29.70")]
    assert again.request.on == date(2026, 4, 15)


def test_reorder_at_the_old_prices_keeps_them_as_overrides() -> None:
    rules = [PriceRule("b2g1", FreeItems(2, 1), RuleSelector(skus={"DRILL"}))]
    pricing = engine(rules, lists=price_lists())
    first = pricing.price(order(("DRILL", 3), ("HAMMER", 1), discount=TargetTotal(cny(220))))
    kept = pricing.price(reorder(first, date(2026, 4, 15), keep_prices=True))
    assert [line.amount for line in kept.lines] == [line.amount for line in first.lines]
    assert kept.net_total == first.net_total == cny(220)
    assert [s.source for s in kept.lines[0].explanation][-3:] == [
        "manual",
        "order_discount",
        "tax",
    ]


def test_reorder_drops_free_lines_the_rules_added() -> None:
    rule = PriceRule("bits", FreeItems(1, 1, sku="BIT"), RuleSelector(skus={"DRILL"}))
    first = engine([rule]).price(order(("DRILL", 1)))
    assert len(first.lines) == 2
    request = reorder(first, date(2026, 3, 20))
    assert [line.sku for line in request.lines] == ["DRILL"]
    assert len(engine([rule]).price(request).lines) == 2
