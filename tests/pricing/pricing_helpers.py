"""Builders shared by the pricing tests: a small catalog, lists and engine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from crmcore.money import Money, Percent
from crmcore.pricing import (
    Catalog,
    Customer,
    LineRequest,
    OrderDiscount,
    OrderRequest,
    PriceList,
    PriceListItem,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    Product,
    ProductGroup,
)

ON = date(2026, 3, 2)


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def catalog() -> Catalog:
    """Tools (hand tools < tools), a fastener, a service that may not be discounted."""
    return Catalog(
        products=[
            Product("DRILL", "Drill", group="power", cost=cny(60)),
            Product("SAW", "Saw", group="power", cost=cny(150), minimum_price=cny(170)),
            Product("HAMMER", "Hammer", group="hand"),
            Product("SCREW", "Screws per kg", group="fasteners", unit="kg"),
            Product("SETUP", "Set-up service", discountable=False, tax_rate=Percent(6)),
            Product("BIT", "Drill bit", group="power"),
        ],
        groups=[
            ProductGroup("tools"),
            ProductGroup("power", parent="tools"),
            ProductGroup("hand", parent="tools"),
            ProductGroup("fasteners"),
        ],
        customers=[
            Customer("acme", group="gold", region="east", tags={"key-account"}),
            Customer("bolt", group="silver", region="west"),
            Customer("walkin"),
        ],
    )


def default_list(**kwargs: object) -> PriceList:
    return PriceList(
        "STD",
        "CNY",
        items=[
            PriceListItem("DRILL", "100"),
            PriceListItem("SAW", "200"),
            PriceListItem("HAMMER", "30"),
            PriceListItem("SCREW", "12.40"),
            PriceListItem("SETUP", "50"),
            PriceListItem("BIT", "10"),
        ],
        **kwargs,  # type: ignore[arg-type]
    )


def engine(
    rules: Iterable[PriceRule] = (),
    policy: PricingPolicy | None = None,
    lists: Iterable[PriceList] | None = None,
) -> PricingEngine:
    return PricingEngine(
        catalog(),
        list(lists) if lists is not None else [default_list()],
        list(rules),
        policy or PricingPolicy(),
    )


def order(
    *lines: tuple[str, int | str | Decimal] | LineRequest,
    customer: str = "acme",
    discount: OrderDiscount | None = None,
    on: date = ON,
    codes: Iterable[str] = (),
    roles: Iterable[str] = (),
    currency: str = "CNY",
) -> OrderRequest:
    built = [
        line if isinstance(line, LineRequest) else LineRequest(line[0], line[1]) for line in lines
    ]
    return OrderRequest(
        customer,
        currency,
        on,
        built,
        order_discount=discount,
        codes=frozenset(codes),
        roles=frozenset(roles),
    )
