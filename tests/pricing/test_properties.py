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
    LineDiscount,
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
    UnitAmountOff,
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
line_discounts: st.SearchStrategy[LineDiscount] = st.one_of(
    cst.percents().map(PercentOff),
    # below every paid unit price in the book (bits 9.67 after the tools rule)
    cst.money("CNY", "0", "5").map(UnitAmountOff),
)
lines = st.lists(
    st.builds(
        LineRequest,
        sku=st.sampled_from(SKUS),
        quantity=quantities,
        discount=st.one_of(st.none(), line_discounts),
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


def check_unit_discounts_skip_free_hammers(lines: list[LineRequest], priced: PricedOrder) -> None:
    """A per-unit manual discount comes off the paid hammers only (buy 2 get 1 makes the rest
    free): amount = price after the rules − discount × (quantity − free units), rounded once."""
    b2g1 = FreeItems(2, 1)
    for request, line in zip(lines, priced.lines, strict=False):
        if request.sku != "HAMMER" or not isinstance(request.discount, UnitAmountOff):
            continue
        off = request.discount.amount
        if request.unit_price is not None:
            # an override replaces the rules' price, free units included
            expected = (request.unit_price - off) * request.quantity
        else:
            expected = line.rule_amount - off * (
                request.quantity - b2g1.free_units(request.quantity)
            )
        assert line.amount == expected.round()


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
    check_unit_discounts_skip_free_hammers(lines, plain)
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

    @precondition(lambda self: self.lines)
    @rule(data=st.data(), discount=line_discounts)
    def discount_line(self, data: st.DataObject, discount: LineDiscount) -> None:
        i = data.draw(st.integers(0, len(self.lines) - 1))
        old = self.lines[i]
        if isinstance(discount, UnitAmountOff) and old.unit_price is not None:
            discount = UnitAmountOff(min(discount.amount, old.unit_price))
        self.lines[i] = LineRequest(old.sku, old.quantity, old.unit_price, discount)

    @rule(percent=st.one_of(st.none(), cst.percents()))
    def set_order_discount(self, percent: Percent | None) -> None:
        self.discount = None if percent is None else PercentOff(percent)

    @invariant()
    def priced_draft_adds_up_and_overrides_hold(self) -> None:
        priced = self.pricing.price(self.request())
        check_totals(priced)
        for request, line in zip(self.lines, priced.lines, strict=False):
            if request.unit_price is not None:
                expected = request.unit_price * request.quantity
                if isinstance(request.discount, PercentOff):
                    expected = expected * (1 - request.discount.percent.fraction)
                elif isinstance(request.discount, UnitAmountOff):
                    expected = expected - request.discount.amount * request.quantity
                assert line.amount == expected.round()
        check_unit_discounts_skip_free_hammers(self.lines, priced)
        assert self.pricing.price(self.request()) == priced


TestDraftOrder = DraftOrder.TestCase


# -- slab tiers with fractional and sub-unit starts ---------------------------------------------
tier_starts = st.lists(
    st.one_of(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1.5"), places=2),
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal(12), places=1),
        st.integers(1, 12).map(Decimal),
    ),
    min_size=1,
    max_size=4,
    unique=True,
).map(sorted)


@st.composite
def slab_tiers(draw: st.DrawFn) -> VolumeTiers:
    """Slab tiers from increasing starts (at most one at or below the first unit)."""
    starts = draw(tier_starts)
    at_first = [s for s in starts if s <= 1]
    starts = at_first[-1:] + [s for s in starts if s > 1]
    tiers = []
    for start in starts:
        if draw(st.booleans()):
            tiers.append(Tier(start, percent_off=draw(cst.percents())))
        else:
            tiers.append(Tier(start, unit_price=draw(cst.money("CNY", "0", "150"))))
    return VolumeTiers(tiers, TierMode.SLAB)


def slab_oracle(tiers: VolumeTiers, unit: Decimal, quantity: Decimal) -> Decimal:
    """Price each slice of (0, quantity] by the tier it lies in: tier i holds the slices from
    its start − 1 to the next start − 1, clipped to (0, quantity]; before the first, the list."""

    def clip(x: Decimal) -> Decimal:
        return min(max(x, Decimal(0)), quantity)

    starts = [clip(t.min_quantity - 1) for t in tiers.tiers] + [quantity]
    total = unit * starts[0]
    for tier, low, high in zip(tiers.tiers, starts, starts[1:], strict=False):
        if tier.percent_off is not None:
            total += unit * (1 - tier.percent_off.fraction) * (high - low)
        else:
            assert tier.unit_price is not None
            total += tier.unit_price.amount * (high - low)
    return total


@given(tiers=slab_tiers(), quantity=quantities, more=quantities)
def test_slab_tiers_price_every_slice_once_and_never_below_zero(
    tiers: VolumeTiers, quantity: Decimal, more: Decimal
) -> None:
    pricing = engine([PriceRule("slab", tiers, RuleSelector(skus={"DRILL"}))])
    line = pricing.price(order(("DRILL", quantity))).lines[0]
    assert line.amount == Money(slab_oracle(tiers, Decimal(100), quantity), "CNY").round()
    assert line.amount >= Money.zero("CNY")
    if all(t.percent_off is not None for t in tiers.tiers):
        # percent tiers never raise the price, and more units never cost less
        assert line.amount <= line.list_amount
        bigger = pricing.price(order(("DRILL", quantity + more))).lines[0]
        assert bigger.amount >= line.amount
