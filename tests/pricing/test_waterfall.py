"""Scenario tests of the price waterfall, each figure checked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.pricing import (
    AmountOff,
    CashRounding,
    DiscountPercent,
    FreeItems,
    LineRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    RoundingMode,
    RuleSelector,
    TargetTotal,
    Tier,
    TierMode,
    UnitAmountOff,
    VolumeTiers,
)
from tests.pricing.pricing_helpers import ON, catalog, cny, default_list, engine, order

TAX13 = PricingPolicy(default_tax_rate=Percent(13))


def test_amount_off_100_over_500_and_1000_gives_lines_466_67_and_933_33() -> None:
    priced = engine().price(order(("DRILL", 5), ("SAW", 5), discount=AmountOff(cny(100))))
    assert [line.net_amount for line in priced.lines] == [cny("466.67"), cny("933.33")]
    assert [line.order_discount_share for line in priced.lines] == [cny("33.33"), cny("66.67")]
    assert priced.subtotal == cny(1500)
    assert priced.order_discount == cny(100)
    assert priced.net_total == cny(1400)
    assert priced.grand_total == cny(1400)


def tiers(mode: TierMode) -> PriceRule:
    return PriceRule(
        "volume",
        VolumeTiers(
            [
                Tier(1, percent_off=Percent(10)),
                Tier(10, percent_off=Percent(20)),
                Tier(20, percent_off=Percent(30)),
            ],
            mode,
        ),
        RuleSelector(skus={"DRILL"}),
    )


def test_thirty_units_of_100_cost_2100_with_range_tiers() -> None:
    priced = engine([tiers(TierMode.RANGE)]).price(order(("DRILL", 30)))
    # the whole quantity takes the 30 % tier: 30 × 70
    assert priced.lines[0].amount == cny(2100)


def test_thirty_units_of_100_cost_2380_with_slab_tiers() -> None:
    priced = engine([tiers(TierMode.SLAB)]).price(order(("DRILL", 30)))
    # units 1-9 at 90, 10-19 at 80, 20-30 at 70: 810 + 800 + 770
    assert priced.lines[0].amount == cny(2380)
    assert priced.lines[0].unit_price.round() == cny("79.33")


def test_percent_order_discount_skips_a_service_that_may_not_be_discounted() -> None:
    request = order(("DRILL", 3), ("HAMMER", 1), ("SETUP", 1), discount=PercentOff(Percent(10)))
    priced = engine(policy=TAX13).price(request)
    drill, hammer, setup = priced.lines
    assert (drill.order_discount_share, hammer.order_discount_share) == (cny(30), cny(3))
    assert setup.order_discount_share == cny(0)
    assert not setup.discountable
    assert priced.order_discount == cny(33)
    assert priced.net_total == cny(347)
    # 13 % on 270 and 27, the service's own 6 % on 50
    assert [line.tax for line in priced.lines] == [cny("35.10"), cny("3.51"), cny("3.00")]
    assert priced.tax_total == cny("41.61")
    assert priced.grand_total == cny("388.61")


def test_target_total_of_100_is_hit_to_the_cent_by_largest_remainder() -> None:
    request = order(("DRILL", 1), ("HAMMER", 1), ("BIT", 1), discount=TargetTotal(cny(100)))
    priced = engine().price(request)
    # 40.00 over 100 : 30 : 10 is 28.571.., 8.571.., 2.857..; the spare cent goes to the bit
    shares = [line.order_discount_share for line in priced.lines]
    assert shares == [cny("28.57"), cny("8.57"), cny("2.86")]
    assert [line.net_amount for line in priced.lines] == [cny("71.43"), cny("21.43"), cny("7.14")]
    assert priced.net_total == cny(100)


def test_make_the_total_exactly_98000() -> None:
    request = order(("SAW", 500), ("DRILL", 20), discount=TargetTotal(cny(98000)))
    priced = engine().price(request)
    assert priced.subtotal == cny(102000)
    assert [line.order_discount_share for line in priced.lines] == [cny("3921.57"), cny("78.43")]
    assert priced.net_total == cny(98000)


def test_tax_inclusive_target_is_the_grand_total() -> None:
    lists = [default_list(tax_inclusive=True)]
    request = order(("DRILL", 2), ("HAMMER", 1), discount=TargetTotal(cny(200)))
    priced = engine(policy=TAX13, lists=lists).price(request)
    assert priced.tax_inclusive
    assert priced.grand_total == cny(200)
    assert priced.net_total + priced.tax_total == cny(200)


def test_manual_discounts_apply_after_the_rules() -> None:
    rule = PriceRule("drill10", DiscountPercent(Percent(10)), RuleSelector(skus={"DRILL"}))
    request = order(
        LineRequest("DRILL", 4, discount=UnitAmountOff(cny(5))),
        LineRequest("HAMMER", 2, discount=PercentOff(Percent(50))),
        LineRequest("SAW", 1, unit_price=cny(180)),
        LineRequest("BIT", 3, line_amount=cny(25), discount=PercentOff(Percent(20))),
    )
    priced = engine([rule]).price(request)
    # 400 → 360 by the rule → 340 by 5 off per unit; 60 → 30; 200 → 180; 30 → 25 → 20
    assert [line.amount for line in priced.lines] == [cny(340), cny(30), cny(180), cny(20)]
    drill = priced.lines[0]
    assert [step.source for step in drill.explanation] == [
        "price_list",
        "rule",
        "manual",
        "tax",
    ]
    assert drill.unit_price == cny(85)
    assert drill.rules_applied == ("drill10",)


def test_a_per_unit_discount_skips_the_units_buy_two_get_one_made_free() -> None:
    b2g1 = engine([PriceRule("b2g1", FreeItems(2, 1), RuleSelector(skus={"HAMMER"}))])
    priced = b2g1.price(order(LineRequest("HAMMER", 3, discount=UnitAmountOff(cny(10)))))
    # 3 hammers at 30, the third free: 60; 10 off each of the 2 paid units: 40 (not 30)
    hammers = priced.lines[0]
    assert hammers.amount == cny(40)
    assert [(s.source, s.before, s.after) for s in hammers.explanation[1:3]] == [
        ("rule", cny(90), cny(60)),
        ("manual", cny(60), cny(40)),
    ]
    # the whole paid unit price off leaves nothing, a cent more is refused against 30.00
    whole = b2g1.price(order(LineRequest("HAMMER", 3, discount=UnitAmountOff(cny(30)))))
    assert whole.lines[0].amount == cny(0)
    with pytest.raises(
        ValidationError,
        match=r"lines\[0\]\.discount: 30.01 CNY off per unit is more than the unit price "
        r"30.00 CNY \(SKU 'HAMMER'\)",
    ):
        b2g1.price(order(LineRequest("HAMMER", 3, discount=UnitAmountOff(cny("30.01")))))


def test_a_per_unit_discount_skips_bits_given_free_for_a_drill() -> None:
    gift = PriceRule("bits", FreeItems(1, 1, sku="BIT"), RuleSelector(skus={"DRILL"}))
    request = order(("DRILL", 1), LineRequest("BIT", 2, discount=UnitAmountOff(cny(4))))
    # 2 bits at 10, one free for the drill: 10; 4 off the one paid bit: 6 (not 2)
    assert engine([gift]).price(request).lines[1].amount == cny(6)
    # an override replaces the rules' price, free units included: 2 × 10 − 2 × 4 = 12
    override = order(
        ("DRILL", 1), LineRequest("BIT", 2, unit_price=cny(10), discount=UnitAmountOff(cny(4)))
    )
    assert engine([gift]).price(override).lines[1].amount == cny(12)


def test_line_amount_is_rounded_once_never_unit_price_times_quantity() -> None:
    rule = PriceRule("screws7", DiscountPercent(Percent(7)), RuleSelector(skus={"SCREW"}))
    priced = engine([rule]).price(order(("SCREW", 3)))
    # 12.40 × 0.93 = 11.532 a kg; 3 kg = 34.596 → 34.60 (rounding 11.53 first would give 34.59)
    line = priced.lines[0]
    assert line.amount == cny("34.60")
    assert line.unit_price == cny("11.532")
    assert line.explanation[-2].source == "rounding"
    assert line.explanation[-2].before == cny("34.596")


def test_fractional_quantities_are_priced_exactly() -> None:
    priced = engine().price(order(("SCREW", "2.5"), ("SCREW", "3.333")))
    assert [line.amount for line in priced.lines] == [cny(31), cny("41.33")]
    assert priced.lines[1].list_amount == cny("41.33")


def test_full_discount_on_a_tax_inclusive_line_gives_zero_tax_and_zero_total() -> None:
    lists = [default_list(tax_inclusive=True)]
    request = order(LineRequest("DRILL", 1, discount=PercentOff(Percent(100))), ("HAMMER", 1))
    priced = engine(policy=TAX13, lists=lists).price(request)
    free, hammer = priced.lines
    assert (free.tax, free.total, free.net_amount) == (cny(0), cny(0), cny(0))
    # 30 including 13 %: tax 30 × 13 / 113 = 3.45, net 26.55
    assert (hammer.tax, hammer.net_amount, hammer.total) == (cny("3.45"), cny("26.55"), cny(30))
    assert priced.grand_total == cny(30)


def test_tax_inclusive_113_holds_13_of_tax() -> None:
    lists = [PriceList("GROSS", "CNY", [PriceListItem("DRILL", "113")], tax_inclusive=True)]
    priced = engine(policy=TAX13, lists=lists).price(order(("DRILL", 1)))
    line = priced.lines[0]
    assert (line.net_amount, line.tax, line.total) == (cny(100), cny(13), cny(113))
    assert "included" in line.explanation[-1].description


def test_cash_rounding_to_five_cents_half_up_is_a_separate_adjustment() -> None:
    policy = PricingPolicy(default_tax_rate=Percent(13), cash_rounding=CashRounding("0.05"))
    request = order(("DRILL", 3), ("HAMMER", 1), ("SETUP", 1), discount=PercentOff(Percent(10)))
    priced = engine(policy=policy).price(request)
    assert priced.rounding_adjustment == cny("-0.01")
    assert priced.grand_total == cny("388.60")
    assert priced.grand_total == priced.net_total + priced.tax_total + priced.rounding_adjustment


def test_cash_rounding_down_to_one_unit() -> None:
    policy = PricingPolicy(
        default_tax_rate=Percent(13), cash_rounding=CashRounding(1, RoundingMode.DOWN)
    )
    request = order(("DRILL", 3), ("HAMMER", 1), ("SETUP", 1), discount=PercentOff(Percent(10)))
    priced = engine(policy=policy).price(request)
    assert (priced.rounding_adjustment, priced.grand_total) == (cny("-0.61"), cny(388))


def test_explanation_names_every_step_and_the_rules_that_lost() -> None:
    rules = [
        PriceRule("spring", DiscountPercent(Percent(10)), RuleSelector(groups={"tools"})),
        PriceRule("vip", DiscountPercent(Percent(5)), RuleSelector(customers={"acme"})),
    ]
    request = order(("DRILL", 5), ("SAW", 5), discount=AmountOff(cny(100)))
    priced = engine(rules, policy=TAX13).price(request)
    drill = priced.lines[0]
    assert [(s.source, s.reference) for s in drill.explanation] == [
        ("price_list", "STD"),
        ("rule", "spring"),
        ("order_discount", ""),
        ("tax", ""),
    ]
    assert [(s.before, s.after) for s in drill.explanation[:3]] == [
        (cny(500), cny(500)),
        (cny(500), cny(450)),
        (cny(450), cny("416.67")),
    ]
    assert [str(r) for r in drill.not_applied] == [
        "rule vip: lost to rule spring (same priority, less specific selector "
        "(all products vs group at depth 1))"
    ]
    text = priced.explain()
    assert "rule spring" in text
    assert "not applied: rule vip" in text
    assert "grand total 1412.50 CNY" in text


def test_explanation_shows_unrounded_amounts_with_an_ellipsis() -> None:
    priced = engine().price(order(LineRequest("SCREW", "0.333")))
    assert "4.1292…" in priced.lines[0].explain()


def test_customer_list_then_group_list_then_default() -> None:
    lists = [
        default_list(),
        PriceList(
            "GOLD",
            "CNY",
            [PriceListItem("DRILL", "90"), PriceListItem("SAW", "185")],
            customer_groups={"gold"},
        ),
        PriceList("ACME", "CNY", [PriceListItem("DRILL", "80")], customers={"acme"}),
    ]
    priced = engine(lists=lists).price(order(("DRILL", 1), ("SAW", 1), ("HAMMER", 1)))
    assert [(line.price_list, line.list_price) for line in priced.lines] == [
        ("ACME", cny(80)),
        ("GOLD", cny(185)),
        ("STD", cny(30)),
    ]
    walkin = engine(lists=lists).price(order(("DRILL", 1), customer="walkin"))
    assert walkin.lines[0].list_price == cny(100)


def test_price_lists_outside_their_dates_are_skipped_and_priority_orders_a_level() -> None:
    lists = [
        default_list(valid_to=date(2026, 2, 28)),
        PriceList("NEW", "CNY", [PriceListItem("DRILL", "110")], valid_from=date(2026, 3, 1)),
        PriceList(
            "PROMO",
            "CNY",
            [PriceListItem("DRILL", "95")],
            priority=5,
            valid_from=date(2026, 3, 1),
            valid_to=date(2026, 3, 31),
        ),
    ]
    priced = engine(lists=lists).price(order(("DRILL", 1)))
    assert priced.lines[0].price_list == "PROMO"
    april = engine(lists=lists).price(order(("DRILL", 1), on=date(2026, 4, 1)))
    assert april.lines[0].list_price == cny(110)
    february = engine(lists=lists).price(order(("DRILL", 1), on=date(2026, 2, 1)))
    assert february.lines[0].list_price == cny(100)


def test_quantity_breaks_change_the_list_price() -> None:
    from crmcore.pricing import PriceBreak

    item = PriceListItem("DRILL", "100", [PriceBreak(50, "90"), PriceBreak(10, "95")])
    lists = [PriceList("STD", "CNY", [item])]
    prices = [
        engine(lists=lists).price(order(("DRILL", q))).lines[0].list_price for q in (9, 10, 50)
    ]
    assert prices == [cny(100), cny(95), cny(90)]


def test_a_customer_object_may_be_priced_without_being_in_the_catalog() -> None:
    from crmcore.pricing import Customer

    request = order(("DRILL", 1)).__class__(Customer("new", group="gold"), "CNY", ON, [])
    priced = engine().price(request)
    assert priced.lines == ()
    assert priced.grand_total == cny(0)
    assert priced.approval_reasons == ()


def test_an_engine_is_built_from_plain_rules_and_lists() -> None:
    priced = PricingEngine(catalog(), [default_list()]).price(order(("HAMMER", 2)))
    assert priced.grand_total == Money("60.00", "CNY")
    assert priced.effective_discount == Percent(0)
    assert priced.lines[0].effective_discount == Percent(Decimal(0))


def test_a_unit_price_below_the_minor_unit_is_shown_in_full_and_a_single_code_is_a_set() -> None:
    from crmcore.pricing import OrderRequest

    lists = [PriceList("GRAMS", "CNY", [PriceListItem("SCREW", "0.0125")])]
    request = OrderRequest("acme", "CNY", ON, [LineRequest("SCREW", 1000)], codes="SPRING")
    priced = engine(lists=lists).price(request)
    assert request.codes == frozenset({"SPRING"})
    assert priced.lines[0].explanation[0].description == "list price 0.0125 CNY × 1000"
    assert priced.lines[0].amount == cny("12.50")
