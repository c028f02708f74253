"""Reconciliation properties over random books of real orders, receivables and leads:
per-owner sums == per-department sums == per-customer sums == the total row; the money of
every row adds up; campaign figures never exceed the period's totals; order of input and
streaming do not change a report."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from crmcore.orders import Order
from crmcore.receivables import Receivable
from crmcore.reports import (
    SalesReport,
    campaign_report,
    orders_by_customer,
    orders_by_tier,
    sales_by_department,
    sales_by_owner,
)
from tests.reports.report_support import (
    ANN,
    BOB,
    CAL,
    cny,
    confirmed_order,
    convert,
    lead,
    opportunity,
    pay,
    pool,
    refund,
    sale,
    utc,
)

OWNERS = (ANN, BOB, CAL)
CUSTOMERS = ("acme", "globex", "initech")
START, END, AS_OF = date(2026, 3, 1), date(2026, 4, 1), date(2026, 3, 31)
FIGURES = ("confirmed_total", "returns", "received", "refunded", "outstanding", "invoiced")


@attrs.frozen
class OrderSpec:
    owner: int
    department: str | None
    customer: str
    widgets: int
    day: int  # days since 15 February
    paid_share: int  # percent of the total paid (0 = nothing)
    refund_share: int
    cancelled: bool
    with_receivable: bool


order_specs = st.builds(
    OrderSpec,
    owner=st.integers(0, 2),
    department=st.sampled_from(["east", "west", None]),
    customer=st.sampled_from(CUSTOMERS),
    widgets=st.integers(1, 7),
    day=st.integers(0, 60),
    paid_share=st.sampled_from([0, 30, 100]),
    refund_share=st.sampled_from([0, 50]),
    cancelled=st.booleans(),
    with_receivable=st.booleans(),
)


def when(day: int) -> datetime:
    return datetime(2026, 2, 15, 9) + timedelta(days=day)


def build(specs: list[OrderSpec]) -> list[Order | tuple[Order, Receivable | None]]:
    sales: list[Order | tuple[Order, Receivable | None]] = []
    for i, spec in enumerate(specs):
        owner = OWNERS[spec.owner]
        on = when(spec.day)
        if spec.cancelled:
            order = confirmed_order(
                f"SO-{i}",
                owner,
                customer=spec.customer,
                widgets=spec.widgets,
                on=on,
                department=spec.department,
            )
            order.cancel(owner, at=when(spec.day + 1), reason="changed plans")
            sales.append(order)
            continue
        if not spec.with_receivable:
            order = confirmed_order(
                f"SO-{i}",
                owner,
                customer=spec.customer,
                widgets=spec.widgets,
                on=on,
                department=spec.department,
            )
            sales.append((order, None))
            continue
        order, receivable = sale(
            f"SO-{i}",
            owner,
            customer=spec.customer,
            widgets=spec.widgets,
            on=on,
            department=spec.department,
        )
        if spec.paid_share:
            paid = cny(spec.widgets * spec.paid_share)  # widgets × 100 × share %
            pay(receivable, owner, paid, when(spec.day + 2), when(spec.day + 3))
            if spec.refund_share:
                refund(
                    receivable,
                    owner,
                    cny(spec.widgets * spec.paid_share * spec.refund_share // 100),
                    when(spec.day + 4),
                )
        sales.append((order, receivable))
    return sales


def columns(report: SalesReport) -> dict[str, object]:
    sums = {name: sum((getattr(r, name) for r in report.rows), cny(0)) for name in FIGURES}
    return {"orders": sum(r.orders for r in report.rows), **sums}


@given(st.lists(order_specs, max_size=10))
def test_per_owner_per_department_and_per_customer_reconcile(specs: list[OrderSpec]) -> None:
    sales = build(specs)
    by_owner = sales_by_owner(sales, start=START, end=END, as_of=AS_OF, currency="CNY")
    by_department = sales_by_department(sales, start=START, end=END, as_of=AS_OF, currency="CNY")
    assert by_owner.total == by_department.total
    assert by_owner.total is not None
    total = {"orders": by_owner.total.orders, **{n: getattr(by_owner.total, n) for n in FIGURES}}
    assert columns(by_owner) == columns(by_department) == total
    for row in (*by_owner.rows, by_owner.total):
        # nothing overpaid here: what is outstanding is the rest of the net amount
        assert row.outstanding == row.confirmed_total - row.returns - row.received + row.refunded
        assert row.orders > 0 or row is by_owner.total
    orders = [s if isinstance(s, Order) else s[0] for s in sales]
    customers = orders_by_customer(orders, start=START, end=END, as_of=AS_OF, currency="CNY")
    tiers = orders_by_tier(
        orders, start=START, end=END, as_of=AS_OF, currency="CNY", tiers={"acme": "gold"}
    )
    assert customers.total is not None
    assert tiers.total is not None
    assert customers.total.orders == tiers.total.orders == by_owner.total.orders
    assert customers.total.total == tiers.total.total == by_owner.total.confirmed_total
    assert sum((r.total for r in customers.rows), cny(0)) == customers.total.total


@given(st.lists(order_specs, max_size=8), st.randoms(use_true_random=False))
def test_order_of_input_and_streaming_do_not_matter(
    specs: list[OrderSpec], rng: random.Random
) -> None:
    sales = build(specs)
    shuffled = list(sales)
    rng.shuffle(shuffled)
    expected = sales_by_owner(sales, start=START, end=END, as_of=AS_OF, currency="CNY")
    assert (
        sales_by_owner(iter(shuffled), start=START, end=END, as_of=AS_OF, currency="CNY")
        == expected
    )


lead_specs = st.lists(
    st.tuples(
        st.sampled_from(["expo", "web", None]),  # campaign
        st.sampled_from([None, *CUSTOMERS]),  # converted to
        st.integers(0, 40),  # conversion day
        st.sampled_from([None, "100", "250"]),  # opportunity amount
    ),
    max_size=8,
)


@given(st.lists(order_specs, max_size=8), lead_specs, st.randoms(use_true_random=False))
def test_campaign_figures_never_exceed_the_totals(
    specs: list[OrderSpec],
    leads_spec: list[tuple[str | None, str | None, int, str | None]],
    rng: random.Random,
) -> None:
    sales = build(specs)
    p = pool()
    leads, opportunities = [], []
    for i, (campaign, customer, day, amount) in enumerate(leads_spec):
        the_lead = lead(f"L{i}", campaign, utc(1), p)
        if customer is not None:
            convert(p, the_lead, customer, utc(2) + timedelta(days=day), existing=True)
        if amount is not None:
            opportunities.append(opportunity(f"OPP-{i}", amount, utc(2), lead_id=f"L{i}"))
        leads.append(the_lead)
    report = campaign_report(
        leads, opportunities, sales, start=START, end=END, as_of=AS_OF, currency="CNY"
    )
    by_owner = sales_by_owner(sales, start=START, end=END, as_of=AS_OF, currency="CNY")
    assert by_owner.total is not None
    assert report.total is not None
    assert report.all_orders == by_owner.total.orders
    assert report.all_order_amount == by_owner.total.confirmed_total
    assert report.all_received == by_owner.total.received
    assert report.total.orders <= report.all_orders
    assert report.total.order_amount <= by_owner.total.confirmed_total
    assert report.total.received <= by_owner.total.received
    assert report.total.leads == len(leads)
    assert report.total.customers <= report.total.converted_leads <= report.total.leads
    assert report.total.opportunities == len(opportunities)
    for name in ("leads", "converted_leads", "customers", "opportunities", "orders"):
        assert sum(getattr(r, name) for r in report.rows) == getattr(report.total, name)
    for name in ("opportunity_amount", "order_amount", "received"):
        assert sum((getattr(r, name) for r in report.rows), cny(0)) == getattr(report.total, name)
    # deterministic: the order of the leads, opportunities and sales does not change it
    rng.shuffle(leads)
    rng.shuffle(sales)
    again = campaign_report(
        leads,
        [*opportunities, *opportunities],
        sales,
        start=START,
        end=END,
        as_of=AS_OF,
        currency="CNY",
    )
    assert again == report
