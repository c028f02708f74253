"""Price rules: selection, priority and tie-breaks, stacking, conditions, every effect."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from crmcore.errors import ConfigError
from crmcore.money import Money, Percent
from crmcore.pricing import (
    DiscountPercent,
    DiscountPerUnit,
    FixedUnitPrice,
    FreeItems,
    LineRequest,
    PriceRule,
    PricingPolicy,
    RuleBook,
    RuleConditions,
    RuleSelector,
    Tier,
    TierMode,
    VolumeTiers,
)
from crmcore.serialization import from_dict, to_dict
from tests.pricing.pricing_helpers import ON, cny, engine, order


def pct(rule_id: str, percent: int, **kwargs: object) -> PriceRule:
    return PriceRule(rule_id, DiscountPercent(Percent(percent)), **kwargs)  # type: ignore[arg-type]


def drill_price(rules: list[PriceRule], *lines: tuple[str, int], **kwargs: object) -> Money:
    priced = engine(rules).price(order(*(lines or (("DRILL", 1),)), **kwargs))  # type: ignore[arg-type]
    return priced.lines[0].amount


def test_higher_priority_wins_over_a_more_specific_rule() -> None:
    rules = [
        pct("sku", 10, selector=RuleSelector(skus={"DRILL"})),
        pct("everything", 20, priority=5),
    ]
    priced = engine(rules).price(order(("DRILL", 1)))
    assert priced.lines[0].amount == cny(80)
    assert [str(r) for r in priced.lines[0].not_applied] == [
        "rule sku: lost to rule everything (priority 0 < 5)"
    ]


def test_on_equal_priority_sku_beats_deeper_group_beats_shallower_group_beats_all() -> None:
    everything = pct("a-all", 40)
    tools = pct("b-tools", 30, selector=RuleSelector(groups={"tools"}))
    power = pct("c-power", 20, selector=RuleSelector(groups={"power"}))
    sku = pct("d-sku", 10, selector=RuleSelector(skus={"DRILL"}))
    assert drill_price([everything, tools, power, sku]) == cny(90)
    assert drill_price([everything, tools, power]) == cny(80)
    assert drill_price([everything, tools]) == cny(70)
    assert drill_price([everything]) == cny(60)


def test_a_full_tie_goes_to_the_smaller_rule_id_never_at_random() -> None:
    rules = [pct("b", 20), pct("a", 10), pct("c", 30)]
    priced = engine(rules).price(order(("DRILL", 1)))
    assert priced.lines[0].rules_applied == ("a",)
    reasons = {r.rule_id: r.reason for r in priced.lines[0].not_applied}
    assert reasons["b"] == "lost to rule a (same priority and specificity, id sorts after)"
    assert engine(list(reversed(rules))).price(order(("DRILL", 1))) == priced


def test_a_rule_on_a_parent_group_applies_to_every_descendant_group() -> None:
    rules = [pct("tools", 10, selector=RuleSelector(groups={"tools"}))]
    priced = engine(rules).price(order(("DRILL", 1), ("HAMMER", 1), ("SCREW", 1)))
    assert [line.rules_applied for line in priced.lines] == [("tools",), ("tools",), ()]


def test_a_rule_naming_a_sku_and_its_group_counts_as_a_sku_match() -> None:
    both = pct("both", 10, selector=RuleSelector(skus={"DRILL"}, groups={"power"}))
    other = pct("a-other", 20, selector=RuleSelector(skus={"DRILL"}))
    priced = engine([both, other]).price(order(("DRILL", 1), ("SAW", 1)))
    assert priced.lines[0].rules_applied == ("a-other",)
    assert priced.lines[1].rules_applied == ("both",)


def test_stackable_rules_apply_on_the_running_price_in_priority_order() -> None:
    rules = [
        pct("base", 10, selector=RuleSelector(skus={"DRILL"})),
        pct("loser", 5),
        PriceRule("coupon", DiscountPerUnit(cny(9)), stackable=True, priority=1),
        pct("loyalty", 10, stackable=True),
    ]
    priced = engine(rules).price(order(("DRILL", 2)))
    line = priced.lines[0]
    # 200 → 180 (winner) → 162 (coupon, priority 1, 9 per unit) → 145.80 (loyalty 10 %)
    assert line.rules_applied == ("base", "coupon", "loyalty")
    assert line.amount == cny("145.80")
    assert [r.rule_id for r in line.not_applied] == ["loser"]


def test_stackable_rules_alone_apply_on_the_list_price() -> None:
    rules = [pct("loyalty", 10, stackable=True)]
    assert drill_price(rules) == cny(90)


def test_customer_selectors_and_codes() -> None:
    rules = [
        pct("acme", 10, selector=RuleSelector(customers={"acme"}), priority=1),
        pct("gold", 20, selector=RuleSelector(customer_groups={"gold"})),
        pct("west", 30, selector=RuleSelector(regions={"west"})),
        pct("keys", 40, selector=RuleSelector(customer_tags={"key-account"}), priority=-1),
        pct("coupon", 50, selector=RuleSelector(codes={"SPRING"}), priority=9),
    ]
    assert drill_price(rules, customer="acme") == cny(90)
    assert drill_price(rules, customer="bolt") == cny(70)
    assert drill_price(rules, customer="walkin") == cny(100)
    assert drill_price(rules, customer="walkin", codes={"SPRING"}) == cny(50)
    assert drill_price(rules[3:4], customer="acme") == cny(60)


def test_customer_specific_rules_on_all_products_are_indexed_by_customer() -> None:
    rules = [pct("for-acme", 10, selector=RuleSelector(customers={"acme", "bolt"}))]
    assert drill_price(rules, customer="acme") == cny(90)
    assert drill_price(rules, customer="walkin") == cny(100)


@pytest.mark.parametrize(
    ("conditions", "quantity", "applies", "reason"),
    [
        (RuleConditions(min_quantity=5), 4, False, "quantity 4 below minimum 5"),
        (RuleConditions(min_quantity=5), 5, True, None),
        (RuleConditions(max_quantity=5), 6, False, "quantity 6 above maximum 5"),
        (RuleConditions(min_line_amount=cny(500)), 4, False, "line amount 400.00 CNY below"),
        (RuleConditions(max_line_amount=cny(300)), 4, False, "line amount 400.00 CNY above"),
        (RuleConditions(min_order_amount=cny(1000)), 4, False, "order amount 430.00 CNY below"),
        (RuleConditions(min_order_amount=cny(430)), 4, True, None),
        (RuleConditions(valid_from=date(2026, 4, 1)), 1, False, "not valid before 2026-04-01"),
        (RuleConditions(valid_to=date(2026, 3, 1)), 1, False, "not valid after 2026-03-01"),
        (RuleConditions(valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 2)), 1, True, None),
    ],
)
def test_conditions(
    conditions: RuleConditions, quantity: int, applies: bool, reason: str | None
) -> None:
    rule = pct("r", 10, conditions=conditions)
    request = order(("DRILL", quantity), ("HAMMER", 1))
    explained = engine([rule]).price(request, explain=True)
    line = explained.lines[0]
    assert (line.rules_applied == ("r",)) is applies
    if reason is not None:
        assert line.not_applied[0].rule_id == "r"
        assert line.not_applied[0].reason.startswith(reason)
    priced = engine([rule]).price(request)
    assert priced.lines == tuple(
        attrs.evolve(
            line,
            not_applied=tuple(r for r in line.not_applied if not r.reason.startswith("not valid")),
        )
        for line in explained.lines
    )


def test_rules_out_of_their_window_are_listed_only_when_an_explanation_is_asked_for() -> None:
    rules = [
        pct("last-week", 30, conditions=RuleConditions(valid_to=date(2026, 3, 1))),
        pct("next-week", 20, conditions=RuleConditions(valid_from=date(2026, 3, 9))),
        pct("this-week", 10, conditions=RuleConditions(valid_from=ON, valid_to=date(2026, 3, 8))),
    ]
    book = engine(rules)
    priced, explained = (
        book.price(order(("DRILL", 1))),
        book.price(order(("DRILL", 1)), explain=True),
    )
    assert priced.lines[0].amount == explained.lines[0].amount == cny(90)
    assert priced.lines[0].not_applied == ()
    assert [str(r) for r in explained.lines[0].not_applied] == [
        "rule last-week: not valid after 2026-03-01",
        "rule next-week: not valid before 2026-03-09",
    ]


def test_not_applied_lists_the_first_rules_and_counts_the_rest() -> None:
    rules = [pct(f"r{n:02d}", n) for n in range(1, 15)]
    rules.append(pct("big", 1, conditions=RuleConditions(min_quantity=5)))
    shown = engine(rules, policy=PricingPolicy(not_applied_shown=3)).price(order(("DRILL", 1)))
    line = shown.lines[0]
    assert line.rules_applied == ("r01",)
    assert [str(r) for r in line.not_applied] == [
        "rule big: quantity 1 below minimum 5",
        "rule r02: lost to rule r01 (same priority and specificity, id sorts after)",
        "rule r03: lost to rule r01 (same priority and specificity, id sorts after)",
    ]
    assert line.not_applied_omitted == 11
    assert "not applied: 11 more rules (price with explain=True to list them all)" in (
        line.explain()
    )
    every = engine(rules).price(order(("DRILL", 1)), explain=True).lines[0]
    assert len(every.not_applied) == 14
    assert every.not_applied_omitted == 0
    assert engine(rules).price(order(("DRILL", 1))).lines[0].not_applied_omitted == 4


def test_rules_for_a_region_a_code_or_a_tag_reach_only_their_orders() -> None:
    rules = [
        pct("east", 10, selector=RuleSelector(regions={"east"}, groups={"tools"})),
        pct("spring", 20, selector=RuleSelector(codes={"SPRING"}, regions={"west"})),
        pct("keys", 30, selector=RuleSelector(customer_tags={"key-account"}, skus={"DRILL"})),
    ]
    assert drill_price(rules[:1], customer="acme") == cny(90)
    assert drill_price(rules[:1], customer="bolt") == cny(100)
    assert drill_price(rules[1:2], customer="bolt") == cny(100)
    assert drill_price(rules[1:2], customer="bolt", codes={"SPRING"}) == cny(80)
    assert drill_price(rules[1:2], customer="acme", codes={"SPRING"}) == cny(100)
    assert drill_price(rules[2:], customer="acme") == cny(70)
    assert drill_price(rules[2:], customer="bolt") == cny(100)


def test_a_rule_in_another_currency_does_not_apply_and_says_why() -> None:
    rule = PriceRule("usd", DiscountPerUnit(Money(5, "USD")))
    line = engine([rule]).price(order(("DRILL", 1))).lines[0]
    assert line.amount == cny(100)
    assert line.not_applied[0].reason == "amounts in USD, order in CNY"


def test_amount_off_per_unit_never_goes_below_zero_and_fixed_price_sets_the_unit() -> None:
    assert drill_price([PriceRule("big", DiscountPerUnit(cny(150)))]) == cny(0)
    assert drill_price([PriceRule("fixed", FixedUnitPrice(cny("77.77")))], ("DRILL", 3)) == cny(
        "233.31"
    )


def test_tiers_with_unit_prices_in_range_and_slab_mode() -> None:
    steps = [Tier(5, unit_price=cny(90)), Tier(10, unit_price=cny(80))]
    ranged = PriceRule("r", VolumeTiers(steps, TierMode.RANGE))
    slab = PriceRule("s", VolumeTiers(steps, TierMode.SLAB))
    assert drill_price([ranged], ("DRILL", 12)) == cny(960)
    # units 1-4 at the list price 100, 5-9 at 90, 10-12 at 80: 400 + 450 + 240
    assert drill_price([slab], ("DRILL", 12)) == cny(1090)
    assert drill_price([ranged], ("DRILL", 4)) == cny(400)
    assert drill_price([slab], ("DRILL", 4)) == cny(400)
    assert drill_price([slab], ("DRILL", 7)) == cny(670)


def test_slab_tiers_split_a_fractional_quantity_exactly() -> None:
    rule = PriceRule(
        "kg",
        VolumeTiers(
            [Tier(1, percent_off=Percent(0)), Tier(3, percent_off=Percent(50))], TierMode.SLAB
        ),
    )
    priced = engine([rule]).price(order(("SCREW", "2.5")))
    # 2.5 kg all in the first slab (units 1-2 and half of the third's slice? no: slice (2, 2.5]
    # belongs to unit 3, the 50 % tier): 2 × 12.40 + 0.5 × 6.20 = 27.90
    assert priced.lines[0].amount == cny("27.90")


def test_a_slab_tier_starting_below_one_unit_covers_the_quantity_from_zero() -> None:
    # unit n is the slice (n-1, n]: a tier from 0.5 starts at the first slice, never below 0
    free = PriceRule(
        "slab",
        VolumeTiers([Tier("0.5", percent_off=Percent(100))], TierMode.SLAB),
        RuleSelector(skus={"SCREW"}),
    )
    screws = engine([free]).price(order(("SCREW", "0.25"))).lines[0]
    assert (screws.amount, screws.net_amount, screws.total) == (cny(0), cny(0), cny(0))
    tenth = PriceRule("slab", VolumeTiers([Tier("0.5", percent_off=Percent(10))], TierMode.SLAB))
    # every one of the 10 drills at 90, not 895 (a negative base slice and 10.5 tier units)
    assert drill_price([tenth], ("DRILL", 10)) == cny(900)
    kilo = PriceRule("kg", VolumeTiers([Tier("0.2", unit_price=cny(8))], TierMode.SLAB))
    # 0.25 kg all at 8.00 per kg: 2.00
    assert engine([kilo]).price(order(("SCREW", "0.25"))).lines[0].amount == cny(2)


def test_a_slab_tier_from_one_and_a_half_units_starts_half_way_through_the_first_unit() -> None:
    rule = PriceRule("slab", VolumeTiers([Tier("1.5", percent_off=Percent(10))], TierMode.SLAB))
    # slice (0, 0.5] at 100, (0.5, 2] at 90: 50 + 135
    assert drill_price([rule], ("DRILL", 2)) == cny(185)
    # 0.4 drills are all below the tier: 40
    assert engine([rule]).price(order(("DRILL", "0.4"))).lines[0].amount == cny(40)


def test_buy_two_get_one_of_the_same_product_repeating_and_capped() -> None:
    repeat = PriceRule("b2g1", FreeItems(2, 1))
    assert drill_price([repeat], ("DRILL", 7)) == cny(500)
    once = PriceRule("b2g1", FreeItems(2, 1, repeat=False))
    assert drill_price([once], ("DRILL", 7)) == cny(600)
    capped = PriceRule("b2g1", FreeItems(2, 1, max_free=1))
    assert drill_price([capped], ("DRILL", 9)) == cny(800)
    assert drill_price([repeat], ("DRILL", 2)) == cny(200)


def test_buy_drills_get_bits_free_on_the_bit_line_and_as_an_added_line() -> None:
    rule = PriceRule("bits", FreeItems(2, 1, sku="BIT"), selector=RuleSelector(skus={"DRILL"}))
    priced = engine([rule]).price(order(("DRILL", 5), ("BIT", 1)))
    drill, bits, added = priced.lines
    assert drill.amount == cny(500)
    assert drill.explanation[1].description.endswith("earns 2 free")
    assert bits.amount == cny(0)
    assert bits.rules_applied == ("bits",)
    assert (added.sku, added.quantity, added.amount, added.generated) == ("BIT", 1, cny(0), True)
    assert added.list_amount == cny(10)
    assert not added.discountable
    # the rule's free bit counts as a 100 % discount unless the policy leaves rules out
    assert [(r.kind, r.line) for r in priced.approval_reasons] == [
        ("discount_above_authority", 1),
        ("discount_above_authority", None),
    ]
    lenient = engine([rule], policy=PricingPolicy(authority_excludes_rules=True))
    assert lenient.price(order(("DRILL", 5), ("BIT", 1))).approval_reasons == ()


def test_free_bits_discount_only_the_units_earned() -> None:
    rule = PriceRule("bits", FreeItems(2, 1, sku="BIT"), selector=RuleSelector(skus={"DRILL"}))
    priced = engine([rule]).price(order(("DRILL", 4), ("BIT", 5)))
    assert [line.amount for line in priced.lines] == [cny(400), cny(30)]
    none_yet = engine([rule]).price(order(("DRILL", 1), ("BIT", 5)))
    assert none_yet.lines[1].amount == cny(50)
    assert none_yet.lines[0].explanation[1].description.endswith("earns none yet")


def test_two_grants_on_one_line_and_a_line_already_free() -> None:
    drills = PriceRule("d", FreeItems(1, 1, sku="BIT"), selector=RuleSelector(skus={"DRILL"}))
    saws = PriceRule("s", FreeItems(1, 2, sku="BIT"), selector=RuleSelector(skus={"SAW"}))
    priced = engine([drills, saws]).price(order(("DRILL", 1), ("SAW", 1), ("BIT", 1), ("BIT", 4)))
    # three free bits: the first bit line, then two of the four on the second line
    assert [line.amount for line in priced.lines] == [cny(100), cny(200), cny(0), cny(20)]
    assert len(priced.lines) == 4


def test_rules_load_from_plain_data_and_round_trip() -> None:
    data = {
        "rules": [
            {
                "id": "spring",
                "effect": {"kind": "percent_off", "percent": "10"},
                "selector": {"groups": ["tools"], "codes": ["SPRING"]},
                "conditions": {"min_quantity": "2", "valid_to": "2026-03-31"},
                "priority": 3,
            },
            {
                "id": "tiers",
                "effect": {
                    "kind": "tiers",
                    "mode": "slab",
                    "tiers": [{"min_quantity": 10, "percent_off": "5"}],
                },
            },
            {"id": "free", "effect": {"kind": "free_items", "buy": 2, "get": 1}},
            {
                "id": "fix",
                "effect": {"kind": "fixed_price", "price": {"amount": "9", "currency": "CNY"}},
            },
            {
                "id": "off",
                "effect": {"kind": "amount_off", "amount": {"amount": "1", "currency": "CNY"}},
                "stackable": True,
            },
        ]
    }
    book = from_dict(RuleBook, data)
    assert len(book) == 5
    spring = book.rule("spring")
    assert spring is not None
    assert spring.selector.codes == frozenset({"SPRING"})
    assert spring.conditions.valid_to == date(2026, 3, 31)
    assert book.rule("missing") is None
    assert from_dict(RuleBook, to_dict(book)) == book
    assert to_dict(book)["rules"][0]["selector"]["groups"] == ["tools"]


def test_bad_rules_are_refused_with_every_path_named() -> None:
    data = {
        "rules": [
            {"id": "a", "effect": {"kind": "percent_off", "percent": "120"}},
            {"id": "b", "effect": {"kind": "discount"}},
            {"id": "c", "effect": "10%"},
            {"id": "d", "effect": {"kind": "tiers", "tiers": []}},
            {"effect": {"kind": "free_items", "buy": 0, "get": 1}},
        ]
    }
    with pytest.raises(ConfigError) as caught:
        from_dict(RuleBook, data)
    problems = caught.value.problems
    assert problems[0] == "rules[0].effect.percent: must be between 0 % and 100 %, got 120 %"
    assert problems[1].startswith("rules[1].effect.kind: 'discount' is not one of")
    assert problems[2].startswith("rules[2].effect: expected a rule effect mapping")
    assert problems[3] == "rules[3].effect.tiers: at least one tier is required"
    assert "rules[4].effect.buy: must be > 0, got 0" in problems
    assert "rules[4].id: required" in problems


def test_descriptions_of_effects() -> None:
    assert FreeItems(2, 1, sku="BIT", repeat=False, max_free=3).describe() == (
        "buy 2 get 1 of BIT free, once, at most 3"
    )
    assert VolumeTiers([Tier(5, unit_price=cny(9))]).describe() == "range tiers from 5: 9.00 CNY"
    rule = PriceRule("named", DiscountPercent(Percent(5)), description="spring campaign")
    line = engine([rule]).price(order(LineRequest("DRILL", 1))).lines[0]
    assert line.explanation[1].description == "spring campaign"


def test_single_names_are_accepted_where_sets_are_expected() -> None:
    from crmcore.pricing import AmountOff, Customer, PriceList, TargetTotal

    assert RuleSelector(skus="DRILL").skus == frozenset({"DRILL"})
    assert Customer("c", tags="vip").tags == frozenset({"vip"})
    assert PriceList("P", "CNY", [], customers="acme").customers == frozenset({"acme"})
    assert AmountOff(cny(5)).describe() == "5.00 CNY off the order"
    assert TargetTotal(cny(5)).describe() == "target total 5.00 CNY"
    made = from_dict(RuleBook, {"rules": [{"id": "x", "effect": DiscountPercent(Percent(1))}]})
    assert made.rules[0].effect == DiscountPercent(Percent(1))
