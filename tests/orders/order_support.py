"""Shared catalog, engine, actors and order factories for the orders tests."""

from __future__ import annotations

from datetime import date, datetime

from crmcore.money import Money, Percent
from crmcore.orders import Order
from crmcore.ports import Actor
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountAuthority,
    LineRequest,
    OrderDiscount,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    ProductGroup,
    RuleBook,
)
from crmcore.receivables import DueRule, PaymentTerms, Portion, TermLine

SALES = Actor("sally", {"sales"})
SALES2 = Actor("tom", {"sales"})
MANAGER = Actor("mei", {"manager"})
SHIPPING = Actor("sam", {"shipping"})
FINANCE = Actor("fiona", {"finance"})
ACTORS = (SALES, SALES2, MANAGER, SHIPPING, FINANCE)

CATALOG = Catalog(
    products=[
        Product("DRILL", "Cordless drill", group="tools", cost=Money(60, "CNY")),
        Product("SAW", "Circular saw", group="tools", cost=Money(150, "CNY")),
        Product("BIT", "Drill bit set", group="tools"),
    ],
    groups=[ProductGroup("tools")],
    customers=[Customer("acme", group="gold"), Customer("globex", group="silver")],
)
PRICE_LISTS = [
    PriceList(
        "STD",
        "CNY",
        [PriceListItem("DRILL", "100"), PriceListItem("SAW", "200"), PriceListItem("BIT", "10")],
    )
]
POLICY = PricingPolicy(
    default_tax_rate=Percent(13),
    minimum_margin=Percent(15),
    authorities=[
        DiscountAuthority("sales", Percent(10), Percent(8)),
        DiscountAuthority("manager", Percent(25), Percent(15)),
    ],
)
ENGINE = PricingEngine(CATALOG, PRICE_LISTS, RuleBook([]), POLICY)
TERMS = PaymentTerms(
    "50/50",
    [
        TermLine(Portion.percent(50), DueRule.net(0)),
        TermLine(Portion.balance(), DueRule.net(30)),
    ],
)
DAY = date(2026, 3, 2)


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour)


def drills_and_saws() -> list[LineRequest]:
    """DRILL × 3 (300.00) and SAW × 2 (400.00) at list price."""
    return [LineRequest("DRILL", 3), LineRequest("SAW", 2)]


def new_order(
    id: str = "SO-1",
    *,
    lines: list[LineRequest] | None = None,
    discount: OrderDiscount | None = None,
    owner: Actor = SALES,
    customer: str = "acme",
) -> Order:
    return Order.draft(
        id,
        customer=customer,
        owner_id=owner.user_id,
        currency="CNY",
        department="east",
        actor=owner,
        at=at(2),
        lines=drills_and_saws() if lines is None else lines,
        order_discount=discount,
    )


def priced_order(**kwargs: object) -> Order:
    order = new_order(**kwargs)  # type: ignore[arg-type]
    order.price(ENGINE, SALES, at=at(2, 10))
    return order


def confirmed_order(**kwargs: object) -> Order:
    order = priced_order(**kwargs)
    order.submit(SALES, at=at(2, 11), approval_required=False)
    return order


def received_order(**kwargs: object) -> Order:
    order = confirmed_order(**kwargs)
    order.ship_remaining(SHIPPING, at=at(3))
    order.confirm_receipt(SHIPPING, at=at(5))
    return order
