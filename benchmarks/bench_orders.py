"""The order lifecycle in the domain: orders per second with 1 and with 100 lines.

One cycle = draft → price → submit (confirmed) → ship everything → confirm receipt → open
the receivable → return one unit of the first line → save to JSON and load back. The ratio
compares the time per line of a 100-line order with a 1-line order (goal ≤ 1.0: the fixed
cost of an order is spread over its lines, nothing grows faster than the lines).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from benchmarks._harness import best_time, table
from crmcore.money import Money, Percent
from crmcore.orders import Order, open_receivable
from crmcore.ports import Actor
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountAuthority,
    LineRequest,
    PercentOff,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import DueRule, PaymentTerms, Portion, TermLine
from crmcore.serialization import from_dict, to_dict

SALES = Actor("sally", {"sales"})
SHIPPING = Actor("sam", {"shipping"})
T0 = datetime(2026, 3, 2, 9)
SKUS = [f"SKU-{i:03d}" for i in range(100)]
TERMS = PaymentTerms(
    "30/70",
    [TermLine(Portion.percent(30), DueRule.net(0)), TermLine(Portion.balance(), DueRule.net(30))],
)


def _engine() -> PricingEngine:
    catalog = Catalog(
        products=[Product(sku, sku, cost=Money(50, "CNY")) for sku in SKUS],
        customers=[Customer("acme", group="gold")],
    )
    items = [PriceListItem(sku, str(100 + i)) for i, sku in enumerate(SKUS)]
    policy = PricingPolicy(
        default_tax_rate=Percent(13),
        authorities=[DiscountAuthority("sales", Percent(10), Percent(8))],
    )
    return PricingEngine(catalog, [PriceList("STD", "CNY", items)], RuleBook([]), policy)


def _cycle(engine: PricingEngine, lines: list[LineRequest], n: int) -> str:
    order = Order.draft(
        f"SO-{n}",
        customer="acme",
        owner_id="sally",
        currency="CNY",
        actor=SALES,
        at=T0,
        lines=lines,
        order_discount=PercentOff(Percent(5)),
    )
    step = timedelta(minutes=1)
    order.price(engine, SALES, at=T0 + step, on=date(2026, 3, 2))
    order.submit(SALES, at=T0 + 2 * step, approval_required=False)
    order.ship_remaining(SHIPPING, at=T0 + 3 * step)
    order.confirm_receipt(SHIPPING, at=T0 + 4 * step)
    receivable = open_receivable(order, TERMS, f"AR-{n}", actor=SALES, at=T0 + 4 * step)
    note = order.record_return(SALES, {0: 1}, at=T0 + 5 * step, reason="damaged")
    receivable.record_return(SALES, note.amount, reason=note.reason, at=T0 + 5 * step)
    text = json.dumps(to_dict(order))
    loaded = from_dict(Order, json.loads(text))
    assert loaded.net_amount == order.net_amount
    return text


def run(quick: bool = False) -> None:
    engine = _engine()
    orders = {1: 20, 100: 2} if quick else {1: 400, 100: 8}
    repeat = 2 if quick else 3
    rows = []
    per_line: dict[int, float] = {}
    for size, count in orders.items():
        lines = [LineRequest(sku, 2 + i % 3) for i, sku in enumerate(SKUS[:size])]
        size_bytes = len(_cycle(engine, lines, 0))

        def batch(lines: list[LineRequest] = lines, count: int = count) -> None:
            for n in range(count):
                _cycle(engine, lines, n)

        seconds = best_time(batch, repeat=repeat) / count
        per_line[size] = seconds / size
        rows.append(
            (f"{size} line{'s' if size > 1 else ''}", count, seconds * 1e3, 1 / seconds,
             size / seconds, size_bytes)
        )  # fmt: skip
    print(
        table(
            f"orders: full domain lifecycle per order, best of {repeat} "
            "(goal: time per line at 100 lines / at 1 line <= 1.0)",
            ["order size", "orders", "ms/order", "orders/s", "lines/s", "JSON bytes"],
            rows,
        )
    )
    print(f"ratio time per line (100 lines) / (1 line): {per_line[100] / per_line[1]:.3f}")
