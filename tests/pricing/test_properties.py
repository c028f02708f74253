"""Property tests: shares sum exactly, targets are hit, nothing goes below zero, totals add up,
and pricing is a pure function of the request (also under random edits of a draft order)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmcore.money import Money, Percent
from crmcore.pricing import (
    AmountOff,
    CashRounding,
    DiscountPercent,
    DiscountPerUnit,
    FreeItems,
    LineRequest,
    OrderDiscount,
    OrderRequest,
    PercentOff,
    PricedOrder,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    RoundingMode,
    RuleSelector,
    TargetTotal,
    Tier,
    TierMode,
    VolumeTiers,
)
from crmcore.testing import strategies as cst
from tests.pricing.pricing_helpers import default_list, engine, order

SKUS = ["DRILL", "SAW", "HAMMER", "SCREW", "SETUP", "BIT"]
RULES = [
    PriceRule(
        "slab",
        VolumeTiers(
            [Tier(3, percent_off=Percent(7)), Tier(10, percent_off=Percent(15))], TierMode.SLAB
        ),
        RuleSelector(skus={"DRILL"}),
    ),
    PriceRule("b2g1", FreeItems(2, 1), RuleSelector(skus={"HAMMER"})),
    PriceRule("bits", FreeItems(3, 1, sku="BIT", max_free=2), RuleSelector(skus={"SAW"})),
    PriceRule(
        "tools", DiscountPercent(Percent("3.3")), RuleSelector(groups={"tools"}), stackable=True
    ),
    PriceRule("kg", DiscountPerUnit(Money("0.37", "CNY")), RuleSelector(skus={"SCREW"})),
]
POLICIES = [
    PricingPolicy(default_tax_rate=Percent(13)),
    PricingPolicy(default_tax_rate=Percent("7.5"), cash_rounding=CashRounding("0.05")),
    PricingPolicy(default_tax_rate=Percent(0), cash_rounding=CashRounding(1, RoundingMode.DOWN)),
]

quantities = st.one_of(
    st.integers(1, 40).map(Decimal),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3),
)
lines = st.lists(
    st.builds(
        LineRequest,
        sku=st.sampled_from(SKUS),
        quantity=quantities,
        discount=st.one_of(st.none(), cst.percents().map(PercentOff)),
    ),
    min_size=1,
    max_size=8,
)


def engines(inclusive: bool, policy: PricingPolicy) -> PricingEngine:
    return engine(RULES, policy=policy, lists=[default_list(tax_inclusive=inclusive)])


def check_totals(priced: PricedOrder) -> None:
    currency = priced.request.currency
    zero = Money.zero(currency)
    assert sum((line.order_discount_share for line in priced.lines), zero) == priced.order_discount
    for line in priced.lines:
        assert line.net_amount >= zero
        assert line.tax >= zero
        assert zero <= line.order_discount_share <= line.amount
        assert line.total == line.net_amount + line.tax
        assert line.amount.is_rounded
        assert line.amount - line.order_discount_share == (
            line.total if line.tax_inclusive else line.net_amount
        )
    assert priced.net_total == sum((line.net_amount for line in priced.lines), zero)
    assert priced.tax_total == sum((line.tax for line in priced.lines), zero)
    assert priced.grand_total == priced.net_total + priced.tax_total + priced.rounding_adjustment
    assert priced.subtotal - priced.order_discount == sum(
        (line.amount - line.order_discount_share for line in priced.lines), zero
    )


@given(
    lines=lines,
    inclusive=st.booleans(),
    policy=st.sampled_from(POLICIES),
    kind=st.sampled_from(["none", "percent", "amount", "target"]),
    fraction=st.decimals(min_value=0, max_value=1, places=4),
    percent=cst.percents(),
)
def test_order_discounts_add_up_and_targets_are_hit(
    lines: list[LineRequest],
    inclusive: bool,
    policy: PricingPolicy,
    kind: str,
    fraction: Decimal,
    percent: Percent,
) -> None:
    pricing = engines(inclusive, policy)
    plain = pricing.price(order(*lines))
    check_totals(plain)
    pool = sum((line.amount.amount for line in plain.lines if line.discountable), Decimal(0))
    off = (pool * fraction).quantize(Decimal("0.01"), ROUND_DOWN)
    discount: OrderDiscount | None = None
    if kind == "percent":
        discount = PercentOff(percent)
    elif kind == "amount":
        discount = AmountOff(Money(off, "CNY"))
    elif kind == "target":
        discount = TargetTotal(plain.subtotal - Money(off, "CNY"))
    request = order(*lines, discount=discount)
    priced = pricing.price(request)
    check_totals(priced)
    if kind in ("amount", "target"):
        assert priced.order_discount == Money(off, "CNY")
    if isinstance(discount, TargetTotal):
        basis = priced.net_total + priced.tax_total if inclusive else priced.net_total
        assert basis == discount.total
    assert pricing.price(request) == priced


class DraftOrder(RuleBasedStateMachine):
    """A salesperson edits a draft: lines come and go, quantities and prices change."""

    def __init__(self) -> None:
        super().__init__()
        self.pricing = engines(False, POLICIES[0])
        self.lines: list[LineRequest] = []
        self.discount: OrderDiscount | None = None

    def request(self) -> OrderRequest:
        return order(*self.lines, discount=self.discount)

    @rule(sku=st.sampled_from(SKUS), quantity=quantities)
    def add_line(self, sku: str, quantity: Decimal) -> None:
        self.lines.append(LineRequest(sku, quantity))

    @precondition(lambda self: self.lines)
    @rule(data=st.data())
    def remove_line(self, data: st.DataObject) -> None:
        self.lines.pop(data.draw(st.integers(0, len(self.lines) - 1)))

    @precondition(lambda self: self.lines)
    @rule(data=st.data(), quantity=quantities)
    def change_quantity(self, data: st.DataObject, quantity: Decimal) -> None:
        i = data.draw(st.integers(0, len(self.lines) - 1))
        old = self.lines[i]
        self.lines[i] = LineRequest(old.sku, quantity, old.unit_price, old.discount)

    @precondition(lambda self: self.lines)
    @rule(data=st.data(), price=cst.money("CNY", "0", "500"))
    def override_price(self, data: st.DataObject, price: Money) -> None:
        i = data.draw(st.integers(0, len(self.lines) - 1))
        self.lines[i] = LineRequest(self.lines[i].sku, self.lines[i].quantity, unit_price=price)

    @rule(percent=st.one_of(st.none(), cst.percents()))
    def set_order_discount(self, percent: Percent | None) -> None:
        self.discount = None if percent is None else PercentOff(percent)

    @invariant()
    def priced_draft_adds_up_and_overrides_hold(self) -> None:
        priced = self.pricing.price(self.request())
        check_totals(priced)
        for request, line in zip(self.lines, priced.lines, strict=False):
            if request.unit_price is not None:
                assert line.amount == (request.unit_price * request.quantity).round()
        assert self.pricing.price(self.request()) == priced


TestDraftOrder = DraftOrder.TestCase
