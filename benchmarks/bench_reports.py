"""The per-employee sales report over N orders and their receivables, at 10,000 and 100,000.

Every order is a real aggregate (drafted, priced, submitted and confirmed; its receivable
opened, most of them with a payment recorded and confirmed, some refunded, some invoiced),
built once before timing. The report streams them once, taking each receivable's balance on
the as-of date, so the time per order should not grow with N (time ratio ≈ the size ratio).
"""

from __future__ import annotations

import random
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
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import DueRule, PaymentTerms, Portion, Receivable, TermLine
from crmcore.reports import sales_by_owner

START, END, AS_OF = date(2026, 1, 1), date(2026, 7, 1), date(2026, 6, 30)
FINANCE = Actor("fiona", {"finance"})
TERMS = PaymentTerms(
    "30/70",
    [TermLine(Portion.percent(30), DueRule.net(0)), TermLine(Portion.balance(), DueRule.net(30))],
)


def _engine(customers: int) -> PricingEngine:
    return PricingEngine(
        Catalog(
            products=[Product(f"P{i}", f"Product {i}") for i in range(20)],
            customers=[Customer(f"C{i}", group=f"tier-{i % 3}") for i in range(customers)],
        ),
        [PriceList("STD", "CNY", [PriceListItem(f"P{i}", str(10 + 7 * i)) for i in range(20)])],
        RuleBook([]),
        PricingPolicy(
            default_tax_rate=Percent(13),
            authorities=[DiscountAuthority("sales", Percent(100), Percent(100))],
        ),
    )


def make_sales(n: int, seed: int = 11) -> list[tuple[Order, Receivable]]:
    """``n`` confirmed orders with receivables: 50 owners, 10 departments, 500 customers."""
    rng = random.Random(seed)
    engine = _engine(500)
    owners = [Actor(f"owner-{i:02d}", {"sales"}) for i in range(50)]
    sales = []
    for i in range(n):
        owner = rng.choice(owners)
        on = datetime(2026, 1, 1, 9) + timedelta(days=rng.randrange(170))
        order = Order.draft(
            f"SO-{i}",
            customer=f"C{rng.randrange(500)}",
            owner_id=owner.user_id,
            department=f"dept-{int(owner.user_id[-2:]) % 10}",
            currency="CNY",
            actor=owner,
            at=on,
            lines=[
                LineRequest(f"P{rng.randrange(20)}", rng.randrange(1, 9))
                for _ in range(rng.randrange(1, 4))
            ],
        )
        order.price(engine, owner, at=on)
        order.submit(owner, at=on, approval_required=False)
        receivable = open_receivable(order, TERMS, f"AR-{i}", actor=owner, at=on)
        total = receivable.amount
        roll = rng.random()
        if roll < 0.7:
            paid = total if roll < 0.4 else (total * Percent(30)).round()
            later = on + timedelta(days=rng.randrange(1, 20))
            p = receivable.record_payment(owner, paid, received_on=later.date(), at=later)
            receivable.confirm_payment(FINANCE, p.id, at=later + timedelta(hours=2))
            if roll < 0.05:
                back = later + timedelta(hours=3)
                r = receivable.request_refund(owner, Money("1.00", "CNY"), reason="fee", at=back)
                receivable.confirm_refund(FINANCE, r.id, at=back)
            if roll < 0.3:
                billed = later + timedelta(hours=4)
                inv = receivable.request_invoice(
                    owner, paid, title="Customer", tax_id="913100", address="Shanghai", at=billed
                )
                receivable.issue_invoice(FINANCE, inv.id, number=f"N{i}", at=billed)
        sales.append((order, receivable))
    return sales


def run(quick: bool = False) -> None:
    small, large = (200, 2_000) if quick else (10_000, 100_000)
    every = make_sales(large)
    rows = []
    times = {}
    for n in (small, large):
        sales = every[:n]
        seconds = best_time(
            lambda s=sales: sales_by_owner(s, start=START, end=END, as_of=AS_OF),  # type: ignore[misc]
            repeat=3,
        )
        report = sales_by_owner(sales, start=START, end=END, as_of=AS_OF)
        assert report.total is not None
        times[n] = seconds
        rows.append(
            [
                f"{n:,}",
                len(report.rows),
                round(seconds * 1000, 1),
                round(seconds / n * 1e6, 2),
                round(n / seconds),
                str(report.total.confirmed_total),
            ]
        )
    print(
        table(
            "reports: sales_by_owner over orders + receivables, best of 3 "
            "(goal: time ratio ≈ size ratio, i.e. linear)",
            ["orders", "owners", "ms", "µs/order", "orders/s", "confirmed total"],
            rows,
        )
    )
    ratio = times[large] / times[small]
    per_order = (times[large] / large) / (times[small] / small)
    print(f"time ratio {large:,} / {small:,}: {ratio:.2f} (size ratio {large // small})")
    print(f"ratio µs per order ({large:,}) / ({small:,}): {per_order:.2f} (goal ≈ 1)")
