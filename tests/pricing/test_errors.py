"""Bad input and bad configuration: a specific error naming the line and value, nothing else."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest

from crmcore.errors import ConfigError, ValidationError
from crmcore.money import Money, Percent
from crmcore.pricing import (
    AmountOff,
    CashRounding,
    Catalog,
    DiscountAuthority,
    DiscountPercent,
    DiscountPerUnit,
    FreeItems,
    LineRequest,
    OrderRequest,
    PercentOff,
    PriceBreak,
    PriceList,
    PriceListItem,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    Product,
    ProductGroup,
    RuleBook,
    RuleConditions,
    RuleSelector,
    TargetTotal,
    Tier,
    TierMode,
    UnitAmountOff,
    VolumeTiers,
)
from crmcore.serialization import from_dict
from tests.pricing.pricing_helpers import catalog, cny, default_list, engine, order


def refused(request: OrderRequest, match: str, **kwargs: object) -> None:
    pricing = engine(**kwargs)  # type: ignore[arg-type]
    before = copy.deepcopy((pricing, request))
    with pytest.raises(ValidationError, match=match) as first:
        pricing.price(request)
    assert (pricing, request) == before
    # pricing again refuses the same way: no state was left behind
    with pytest.raises(ValidationError) as second:
        pricing.price(request)
    assert str(second.value) == str(first.value)


@pytest.mark.parametrize("quantity", [0, -1, "-0.5"])
def test_quantity_must_be_positive(quantity: object) -> None:
    request = order(("HAMMER", 1), LineRequest("DRILL", quantity))  # type: ignore[arg-type]
    refused(request, r"lines\[1\]\.quantity: must be > 0, got .* \(SKU 'DRILL'\)")


def test_a_float_quantity_is_refused_at_once() -> None:
    with pytest.raises(ValidationError, match=r"quantity: float 2\.5 refused"):
        LineRequest("DRILL", 2.5)  # type: ignore[arg-type]


def test_unknown_sku_and_unknown_customer() -> None:
    refused(order(("HAMMER", 1), ("LASER", 1)), r"lines\[1\]\.sku: unknown SKU 'LASER'")
    refused(order(("HAMMER", 1), customer="nobody"), "customer: unknown customer 'nobody'")


def test_a_request_currency_no_applicable_list_uses() -> None:
    gold = PriceList("GOLD-USD", "USD", [PriceListItem("DRILL", "14")], customer_groups={"gold"})
    refused(
        order(("DRILL", 1), currency="EUR"),
        r"currency: EUR differs from every price list applicable to customer 'acme' on "
        r"2026-03-02: GOLD-USD \(USD\), STD \(CNY\)",
        lists=[default_list(), gold],
    )


def test_a_missing_price_names_the_sku_and_the_lists_searched() -> None:
    mine = PriceList("ACME", "CNY", [PriceListItem("DRILL", "80")], customers={"acme"})
    refused(
        order(("SAW", 1)),
        r"lines\[0\]\.sku: no price for 'SAW' in the price lists searched: ACME",
        lists=[mine],
    )
    refused(
        order(("SAW", 1)),
        r"searched: none applicable",
        lists=[default_list(valid_from=date(2027, 1, 1))],
    )


def test_line_amounts_in_another_currency() -> None:
    usd = Money(1, "USD")
    refused(
        order(LineRequest("DRILL", 1, unit_price=usd)),
        r"lines\[0\]\.unit_price: 1.00 USD is not in CNY",
    )
    refused(order(LineRequest("DRILL", 1, line_amount=usd)), r"lines\[0\]\.line_amount")
    refused(
        order(LineRequest("DRILL", 1, discount=UnitAmountOff(usd))), r"lines\[0\]\.discount.amount"
    )


def test_unit_price_and_line_amount_together() -> None:
    line = LineRequest("DRILL", 1, unit_price=cny(1), line_amount=cny(1))
    refused(order(line), r"lines\[0\]: give unit_price 1.00 CNY or line_amount 1.00 CNY, not both")


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_percent_outside_0_to_100(percent: str) -> None:
    with pytest.raises(ValidationError, match="percent: must be between 0 % and 100 %"):
        PercentOff(Percent(percent))
    data = {
        "customer": "acme",
        "currency": "CNY",
        "on": "2026-03-02",
        "lines": [
            {
                "sku": "DRILL",
                "quantity": "1",
                "discount": {"kind": "percent_off", "percent": percent},
            }
        ],
    }
    with pytest.raises(ConfigError, match=r"lines\[0\]\.discount\.percent: must be between"):
        from_dict(OrderRequest, data)


def test_a_manual_discount_larger_than_the_line() -> None:
    refused(
        order(("HAMMER", 1), LineRequest("DRILL", 2, discount=UnitAmountOff(cny("100.01")))),
        r"lines\[1\]\.discount: 100.01 CNY off per unit is more than the unit price 100.00 CNY",
    )
    with pytest.raises(ValidationError, match="amount: must be >= 0"):
        UnitAmountOff(cny(-1))


def test_an_order_amount_off_larger_than_the_discountable_lines() -> None:
    refused(
        order(("HAMMER", 1), ("SETUP", 1), discount=AmountOff(cny(31))),
        r"order_discount: 31.00 CNY is more than the discountable amount 30.00 CNY",
    )
    refused(
        order(("HAMMER", 1), discount=AmountOff(Money(1, "USD"))),
        "order_discount: 1.00 USD is not in CNY",
    )


def test_a_target_total_above_the_undiscounted_total_or_below_what_cannot_be_discounted() -> None:
    refused(
        order(("HAMMER", 1), ("SETUP", 1), discount=TargetTotal(cny("80.01"))),
        r"target total 80.01 CNY is above the undiscounted total 80.00 CNY",
    )
    refused(
        order(("HAMMER", 1), ("SETUP", 1), discount=TargetTotal(cny("49.99"))),
        r"target total 49.99 CNY is below 50.00 CNY, what the lines that may not be discounted",
    )
    refused(
        order(("HAMMER", 1), discount=TargetTotal(cny("20.001"))),
        "has digits below the CNY minor unit",
    )
    with pytest.raises(ValidationError, match="total: must be >= 0"):
        TargetTotal(cny(-1))


def test_lines_on_tax_exclusive_and_tax_inclusive_lists_do_not_mix() -> None:
    gross = PriceList(
        "GROSS", "CNY", [PriceListItem("DRILL", "113")], customers={"acme"}, tax_inclusive=True
    )
    refused(
        order(("DRILL", 1), ("HAMMER", 1)),
        r"lines\[1\]: price list 'STD' and price list 'GROSS' of lines\[0\] differ in "
        "tax_inclusive",
        lists=[gross, default_list()],
    )


def test_a_free_item_without_a_price_names_the_rule() -> None:
    rule = PriceRule("gift", FreeItems(1, 1, sku="BIT"), RuleSelector(skus={"DRILL"}))
    lists = [PriceList("STD", "CNY", [PriceListItem("DRILL", "100")])]
    refused(
        order(("DRILL", 1)),
        r"rule 'gift' \(free 'BIT'\)\.sku: no price for 'BIT'",
        rules=[rule],
        lists=lists,
    )


def test_a_catalog_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match=r"products\[1\]\.sku: duplicate sku 'A'"):
        Catalog([Product("A"), Product("A")])
    with pytest.raises(ValidationError, match=r"products\[0\]\.group: unknown product group 'x'"):
        Catalog([Product("A", group="x")])
    with pytest.raises(ValidationError, match=r"groups\[0\]\.parent: unknown product group 'y'"):
        Catalog([], [ProductGroup("x", parent="y")])
    with pytest.raises(ValidationError, match="'a' is its own ancestor"):
        Catalog([], [ProductGroup("a", parent="b"), ProductGroup("b", parent="a")])
    with pytest.raises(ValidationError, match="cost: must be >= 0"):
        Product("A", cost=cny(-1))


def test_catalog_from_plain_data_names_the_paths() -> None:
    data = {
        "products": [{"sku": "A", "cost": {"amount": "1.5", "currency": "CNY"}}, {"sku": ""}],
        "customers": [{"id": "c", "tags": ["vip"]}],
    }
    with pytest.raises(ConfigError) as caught:
        from_dict(Catalog, data)
    assert caught.value.problems == ["products[1].sku: must be a non-empty string, got ''"]
    good = from_dict(
        Catalog, {"products": [{"sku": "A"}], "customers": [{"id": "c", "tags": ["vip"]}]}
    )
    customer = good.customer("c")
    assert customer is not None
    assert customer.tags == frozenset({"vip"})
    assert good.lineage(None) == ()
    assert catalog().is_within("power", "tools")
    assert not catalog().is_within("fasteners", "tools")


def test_price_lists_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match=r"items\[1\]\.sku: duplicate SKU 'A'"):
        PriceList("P", "CNY", [PriceListItem("A", 1), PriceListItem("A", 2)])
    with pytest.raises(ValidationError, match="valid_to: 2026-01-01 is before valid_from"):
        PriceList("P", "CNY", [], valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="two breaks start at quantity 5"):
        PriceListItem("A", 1, [PriceBreak(5, 1), PriceBreak(5, 2)])
    with pytest.raises(ValidationError, match="unit_price: must be >= 0"):
        PriceListItem("A", -1)
    with pytest.raises(ValidationError, match="not a current ISO 4217"):
        PriceList("P", "XYZ", [])
    with pytest.raises(ValidationError, match=r"price_lists\[1\]\.id: duplicate price list 'STD'"):
        PricingEngine(catalog(), [default_list(), default_list()])


def test_rules_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match="give exactly one of percent_off and unit_price"):
        Tier(5)
    with pytest.raises(ValidationError, match="min_quantity must increase, got 5 then 5"):
        VolumeTiers([Tier(5, unit_price=cny(1)), Tier(5, unit_price=cny(2))])
    with pytest.raises(ValidationError, match=r"amounts in several currencies \['CNY', 'USD'\]"):
        PriceRule(
            "mixed",
            DiscountPerUnit(cny(1)),
            conditions=RuleConditions(min_order_amount=Money(1, "USD")),
        )
    with pytest.raises(ValidationError, match=r"rules\[1\]\.id: duplicate rule id 'a'"):
        RuleBook([PriceRule("a", DiscountPercent(Percent(1)))] * 2)
    with pytest.raises(ValidationError, match="free items of unknown SKU 'GIFT'"):
        engine([PriceRule("g", FreeItems(1, 1, sku="GIFT"))])


def test_policies_must_be_consistent() -> None:
    sales = DiscountAuthority("sales", Percent(5), Percent(5))
    with pytest.raises(ValidationError, match=r"authorities\[1\]\.role: duplicate role 'sales'"):
        PricingPolicy(authorities=[sales, sales])
    with pytest.raises(ValidationError, match="step: must be > 0"):
        CashRounding(0)
    with pytest.raises(ValidationError, match="max_line_discount: must be between"):
        DiscountAuthority("x", Percent(101), Percent(1))
    with pytest.raises(ConfigError, match=r"cash_rounding\.mode: 'sideways' is not one of"):
        from_dict(PricingPolicy, {"cash_rounding": {"step": "0.05", "mode": "sideways"}})


def test_requests_load_from_plain_data() -> None:
    data = {
        "customer": {"id": "guest", "group": "gold"},
        "currency": "CNY",
        "on": "2026-03-02",
        "lines": [
            {
                "sku": "DRILL",
                "quantity": "2",
                "discount": {
                    "kind": "unit_amount_off",
                    "amount": {"amount": "5", "currency": "CNY"},
                },
            },
            {"sku": "HAMMER", "quantity": 1},
        ],
        "order_discount": {"kind": "target_total", "total": {"amount": "200", "currency": "CNY"}},
        "codes": ["SPRING"],
    }
    request = from_dict(OrderRequest, data)
    assert request.customer_id == "guest"
    assert engine().price(request).net_total == cny(200)
    with pytest.raises(ConfigError) as caught:
        from_dict(
            OrderRequest,
            {**data, "order_discount": {"kind": "free_lunch"}, "lines": [{"quantity": 1}]},
        )
    assert caught.value.problems == [
        "lines[0].sku: required",
        "order_discount.kind: 'free_lunch' is not one of "
        "'percent_off', 'order_amount_off', 'target_total'",
    ]


def test_slab_tiers_that_would_all_start_at_the_first_unit_are_refused() -> None:
    tiers = [Tier("0.5", percent_off=Percent(5)), Tier(1, percent_off=Percent(10))]
    with pytest.raises(
        ValidationError,
        match=r"tiers: in slab mode the tiers from 0.5 and 1 both start at the first unit",
    ):
        VolumeTiers(tiers, TierMode.SLAB)
    # in range mode they are distinct thresholds for fractional quantities
    assert VolumeTiers(tiers, TierMode.RANGE).tiers == tuple(tiers)


def test_numbers_become_percents_where_a_percent_is_expected() -> None:
    assert PercentOff(Decimal("10")) == PercentOff(Percent(10))  # type: ignore[arg-type]
    assert DiscountPercent("12.5") == DiscountPercent(Percent("12.5"))  # type: ignore[arg-type]
    assert Tier(3, percent_off=5).percent_off == Percent(5)  # type: ignore[arg-type]
    assert DiscountAuthority("sales", "10", 8).max_order_discount == Percent(8)  # type: ignore[arg-type]
    policy = PricingPolicy(default_tax_rate="13", minimum_margin=Decimal(15))  # type: ignore[arg-type]
    assert (policy.default_tax_rate, policy.minimum_margin) == (Percent(13), Percent(15))
    assert Product("A", tax_rate="6").tax_rate == Percent(6)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="percent: must be between 0 % and 100 %, got 101 %"):
        PercentOff("101")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: PercentOff(0.1), r"percent: float 0.1 refused"),
        (lambda: PercentOff(None), r"percent: expected a Percent .*, got NoneType None"),
        (lambda: DiscountPercent("ten"), r"percent: expected a Percent .*, got str 'ten'"),
        (lambda: Tier(3, percent_off=True), r"percent_off: expected a Percent .*, got bool True"),
        (lambda: PricingPolicy(default_tax_rate=[13]), r"default_tax_rate: expected a Percent"),
        (lambda: Product("A", tax_rate=0.13), r"tax_rate: float 0.13 refused"),
        (
            lambda: LineRequest("DRILL", 1, discount=Percent("10")),
            r"discount: expected PercentOff or UnitAmountOff, got Percent\('10'\)",
        ),
        (
            lambda: LineRequest("DRILL", 1, unit_price=Decimal("10")),
            r"unit_price: expected Money such as Money\('10', 'CNY'\), got Decimal\('10'\)",
        ),
        (lambda: LineRequest("DRILL", 1, line_amount="10"), r"line_amount: expected Money"),
        (lambda: UnitAmountOff(Decimal(1)), r"amount: expected Money"),
        (lambda: AmountOff(100), r"amount: expected Money such as .*, got int 100"),
        (lambda: TargetTotal("100"), r"total: expected Money"),
        (lambda: DiscountPerUnit(Decimal(1)), r"amount: expected Money"),
        (lambda: Tier(3, unit_price=Decimal(1)), r"unit_price: expected Money"),
        (lambda: RuleConditions(min_order_amount=5), r"min_order_amount: expected Money"),
        (lambda: Product("A", cost=Decimal(1)), r"cost: expected Money"),
        (
            lambda: order(("DRILL", 1), discount=Percent("10")),
            r"order_discount: expected PercentOff, AmountOff or TargetTotal, got Percent\('10'\)",
        ),
        (
            lambda: order(("DRILL", 1), on="2026-03-01"),
            r"on: expected a date .*, got str '2026-03-01'",
        ),
        (
            lambda: order(("DRILL", 1), on=datetime(2026, 3, 1, 9)),
            r"on: expected a date .*, got datetime.datetime\(2026, 3, 1, 9, 0\)",
        ),
        (lambda: Product("A", tax_rate="-1"), r"tax_rate: must be >= 0, got -1 %"),
        (lambda: order(("DRILL", 1), codes=[1]), r"codes: expected strings, got int 1"),
        (
            lambda: OrderRequest("acme", "CNY", date(2026, 3, 1), 5),
            r"lines: expected LineRequests, got 5",
        ),
        (lambda: VolumeTiers([5]), r"tiers\[0\]: expected a Tier, got 5"),
        (lambda: order(("DRILL", 1), customer=None), r"customer: expected a customer id or a "),
        (
            lambda: OrderRequest("acme", "CNY", date(2026, 3, 1), ["DRILL"]),
            r"lines\[0\]: expected",
        ),
        (
            lambda: PriceList("P", "CNY", [], valid_from="2026-01-01"),
            r"valid_from: expected a date .*, got str '2026-01-01'",
        ),
        (lambda: RuleConditions(valid_to="2026-12-31"), r"valid_to: expected a date"),
        (
            lambda: PriceRule("r", Percent(10)),
            r"effect: expected DiscountPercent, DiscountPerUnit",
        ),
    ],
)
def test_wrong_typed_input_is_refused_naming_the_field_and_value(
    build: Callable[[], object], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        build()


def test_pricing_something_that_is_not_an_order_request() -> None:
    with pytest.raises(ValidationError, match=r"request: expected an OrderRequest, got dict"):
        engine().price({"customer": "acme"})  # type: ignore[arg-type]
