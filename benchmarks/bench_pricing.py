"""Pricing: orders of 10 lines against a rule book of 100 and of 10,000 rules.

Both books hold the same 23 company-wide promotions (20 on product groups, 3 on everything);
the rest are customer agreements (customer × SKU, customer group × SKU, customer × group), the
way rule books grow in practice. The goal is time(10,000) / time(100) <= 1.5: looking up a
line's rules goes through the index, it does not scan the book.
"""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal

from benchmarks._harness import table
from crmcore.money import Money, Percent
from crmcore.pricing import (
    AmountOff,
    Catalog,
    Customer,
    DiscountAuthority,
    DiscountPercent,
    DiscountPerUnit,
    LineRequest,
    OrderDiscount,
    OrderRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    Product,
    ProductGroup,
    RuleConditions,
    RuleSelector,
    Tier,
    TierMode,
    VolumeTiers,
)

SKUS = 2_000
PARENTS, CHILDREN = 10, 5
CUSTOMERS = 2_000
CUSTOMER_GROUPS = ("gold", "silver", "bronze", "retail", "partner")
ON = date(2026, 3, 2)


def _catalog() -> Catalog:
    groups = [ProductGroup(f"P{p}") for p in range(PARENTS)]
    groups += [
        ProductGroup(f"P{p}-{c}", parent=f"P{p}") for p in range(PARENTS) for c in range(CHILDREN)
    ]
    products = [
        Product(
            f"SKU{i:05d}", group=f"P{i % PARENTS}-{i % CHILDREN}", cost=Money(20 + i % 50, "CNY")
        )
        for i in range(SKUS)
    ]
    customers = [
        Customer(f"C{i:05d}", group=CUSTOMER_GROUPS[i % len(CUSTOMER_GROUPS)], region=f"R{i % 4}")
        for i in range(CUSTOMERS)
    ]
    return Catalog(products, groups, customers)


def _price_list() -> PriceList:
    return PriceList(
        "STD", "CNY", [PriceListItem(f"SKU{i:05d}", 50 + i % 200) for i in range(SKUS)]
    )


def _company_rules() -> list[PriceRule]:
    rules = [
        PriceRule(
            f"promo-{g}",
            DiscountPercent(Percent(2 + g % 5)),
            RuleSelector(groups={f"P{g % PARENTS}-{g % CHILDREN}"}),
            priority=g % 3,
        )
        for g in range(20)
    ]
    rules.append(
        PriceRule(
            "all-volume",
            VolumeTiers(
                [Tier(10, percent_off=Percent(3)), Tier(25, percent_off=Percent(6))], TierMode.SLAB
            ),
            stackable=True,
        )
    )
    rules.append(
        PriceRule(
            "all-big",
            DiscountPercent(Percent(1)),
            conditions=RuleConditions(min_order_amount=Money(20000, "CNY")),
            stackable=True,
        )
    )
    rules.append(
        PriceRule(
            "all-coupon",
            DiscountPerUnit(Money(1, "CNY")),
            RuleSelector(codes={"SPRING"}),
            priority=9,
        )
    )
    return rules


def rule_book(size: int, seed: int = 7) -> list[PriceRule]:
    """``size`` rules: the company-wide promotions, then customer agreements."""
    rng = random.Random(seed)
    rules = _company_rules()
    while len(rules) < size:
        n = len(rules)
        draw = rng.random()
        percent = DiscountPercent(Percent(rng.randint(1, 15)))
        sku = f"SKU{rng.randrange(SKUS):05d}"
        customer = f"C{rng.randrange(CUSTOMERS):05d}"
        if draw < 0.6:
            selector = RuleSelector(skus={sku}, customers={customer})
        elif draw < 0.85:
            selector = RuleSelector(skus={sku}, customer_groups={rng.choice(CUSTOMER_GROUPS)})
        else:
            group = (
                f"P{rng.randrange(PARENTS)}"
                if rng.random() < 0.3
                else f"P{rng.randrange(PARENTS)}-{rng.randrange(CHILDREN)}"
            )
            selector = RuleSelector(groups={group}, customers={customer})
        conditions = (
            RuleConditions(min_quantity=rng.randint(1, 20))
            if rng.random() < 0.3
            else RuleConditions()
        )
        rules.append(
            PriceRule(f"r{n:06d}", percent, selector, conditions, priority=rng.randint(0, 5))
        )
    return rules[:size]


def orders(count: int, seed: int = 11) -> list[OrderRequest]:
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        lines = [
            LineRequest(f"SKU{rng.randrange(SKUS):05d}", rng.randint(1, 40)) for _ in range(10)
        ]
        draw = rng.random()
        discount: OrderDiscount | None = None
        if draw < 0.3:
            discount = PercentOff(Percent(rng.randint(1, 10)))
        elif draw < 0.4:
            discount = AmountOff(Money(rng.randint(1, 100), "CNY"))
        result.append(
            OrderRequest(
                f"C{rng.randrange(CUSTOMERS):05d}",
                "CNY",
                ON,
                lines,
                order_discount=discount,
                codes=frozenset({"SPRING"}) if rng.random() < 0.1 else frozenset(),
                roles=frozenset({"sales"}),
            )
        )
    return result


def _time(engine: PricingEngine, requests: list[OrderRequest]) -> tuple[float, Decimal]:
    start = time.perf_counter()
    total = Decimal(0)
    for request in requests:
        total += engine.price(request).grand_total.amount
    return time.perf_counter() - start, total


def run(quick: bool = False) -> None:
    count = 200 if quick else 20_000
    rounds = 1 if quick else 2
    catalog, price_list = _catalog(), _price_list()
    policy = PricingPolicy(
        default_tax_rate=Percent(13),
        minimum_margin=Percent(10),
        authorities=[DiscountAuthority("sales", Percent(10), Percent(8))],
    )
    requests = orders(count)
    sizes = (100, 10_000)
    engines = {n: PricingEngine(catalog, [price_list], rule_book(n), policy) for n in sizes}
    times = dict.fromkeys(sizes, float("inf"))
    totals: dict[int, Decimal] = {}
    for engine in engines.values():
        _time(engine, requests[: max(1, count // 20)])  # warm up
    # Interleaved rounds, best time per book: the machine is shared, the order must not matter.
    for _ in range(rounds):
        for size, engine in engines.items():
            elapsed, totals[size] = _time(engine, requests)
            times[size] = min(times[size], elapsed)
    lines = count * 10
    rows = [
        (f"{n:,} rules", count, lines, times[n], lines / times[n], f"{totals[n]:,}") for n in sizes
    ]
    print(
        table(
            f"pricing: {count:,} orders x 10 lines, best of {rounds} "
            "(goal: time(10,000 rules) / time(100) <= 1.5)",
            ["rule book", "orders", "lines", "seconds", "lines/s", "Σ grand totals"],
            rows,
        )
    )
    print(f"ratio time(10,000 rules) / time(100 rules): {times[10_000] / times[100]:.2f}")
