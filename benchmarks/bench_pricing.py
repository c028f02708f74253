"""Pricing: orders of 10 lines against rule books of 100, 1,000 and 10,000 rules on ONE broad
product group.

Every book holds the same 23 company-wide rules (20 on product groups, 3 on everything) and
then weekly, regional promotions on the root group ``tools`` that every product sits under:
each runs for 7 days, most for one region, some for a coupon code or from a minimum quantity.
The larger the book, the longer the calendar it covers, so about 30 promotions are valid on
any day whatever the size of the book (a company keeping years of weekly promotions). Only
the index keeps the larger books as fast: every promotion selects every line.

Goals: time(10,000 rules) / time(100) <= 1.5, and under 1 ms per 10-line order.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
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
REGIONS = ("R0", "R1", "R2", "R3")
ON = date(2026, 3, 2)
#: Promotions valid on any one day, whatever the size of the book.
VALID_PER_DAY = 30
WEEK = 7


def _catalog() -> Catalog:
    groups = [ProductGroup("tools")]
    groups += [ProductGroup(f"P{p}", parent="tools") for p in range(PARENTS)]
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
        Customer(
            f"C{i:05d}",
            group=CUSTOMER_GROUPS[i % len(CUSTOMER_GROUPS)],
            region=REGIONS[i % len(REGIONS)],
        )
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
    """``size`` rules: the company-wide rules, then weekly promotions on the group ``tools``."""
    rng = random.Random(seed)
    rules = _company_rules()
    promotions = max(1, size - len(rules))
    span = max(WEEK, promotions * WEEK // VALID_PER_DAY)  # days the calendar covers
    first = ON - timedelta(days=span // 2)
    while len(rules) < size:
        n = len(rules)
        start = first + timedelta(days=rng.randrange(span))
        draw = rng.random()
        regions = {rng.choice(REGIONS)} if draw < 0.7 else set()
        codes = {"SPRING"} if 0.7 <= draw < 0.8 else set()
        conditions = RuleConditions(
            min_quantity=rng.randint(2, 20) if rng.random() < 0.3 else None,
            valid_from=start,
            valid_to=start + timedelta(days=WEEK - 1),
        )
        rules.append(
            PriceRule(
                f"w{n:06d}",
                DiscountPercent(Percent(rng.randint(1, 15))),
                RuleSelector(groups={"tools"}, regions=regions, codes=codes),
                conditions,
                priority=rng.randint(0, 5),
                stackable=rng.random() < 0.1,
            )
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
    start = time.process_time()
    total = Decimal(0)
    for request in requests:
        total += engine.price(request).grand_total.amount
    return time.process_time() - start, total


def engines(sizes: tuple[int, ...]) -> dict[int, PricingEngine]:
    """One engine per book size over the same catalog, price list and policy."""
    catalog, price_list = _catalog(), _price_list()
    policy = PricingPolicy(
        default_tax_rate=Percent(13),
        minimum_margin=Percent(10),
        authorities=[DiscountAuthority("sales", Percent(10), Percent(8))],
    )
    return {n: PricingEngine(catalog, [price_list], rule_book(n), policy) for n in sizes}


def run(quick: bool = False) -> None:
    count = 50 if quick else 2_000
    rounds = 1 if quick else 5
    sizes = (100, 1_000, 10_000)
    built = engines(sizes)
    requests = orders(count)
    times: dict[int, list[float]] = {n: [] for n in sizes}
    totals: dict[int, Decimal] = {}
    for engine in built.values():
        _time(engine, requests[: max(1, count // 20)])  # warm up
    # Interleaved rounds, median per book: the machine is shared, the order must not matter.
    for _ in range(rounds):
        for size, engine in built.items():
            elapsed, totals[size] = _time(engine, requests)
            times[size].append(elapsed)
    median = {n: statistics.median(t) for n, t in times.items()}
    valid = {n: sum(1 for r in built[n].rules.rules if _valid(r, ON)) for n in sizes}
    rows = [
        (
            f"{n:,} rules",
            valid[n],
            count,
            median[n],
            median[n] / count * 1e3,
            f"{totals[n]:,}",
        )
        for n in sizes
    ]
    print(
        table(
            f"pricing: {count:,} orders x 10 lines, one broad product group, CPU time, median of "
            f"{rounds} (goals: time(10,000 rules) / time(100) <= 1.5; < 1 ms per order)",
            ["rule book", "valid on the day", "orders", "seconds", "ms/order", "Σ grand totals"],
            rows,
        )
    )
    print(f"ms per 10-line order at 10,000 rules: {median[10_000] / count * 1e3:.3f}")
    print(f"ratio time(10,000 rules) / time(100 rules): {median[10_000] / median[100]:.2f}")


def _valid(rule: PriceRule, on: date) -> bool:
    window = rule.conditions
    return (window.valid_from is None or window.valid_from <= on) and (
        window.valid_to is None or on <= window.valid_to
    )
