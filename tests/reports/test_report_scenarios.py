"""The March 2026 book (see ``MarchBook``): every figure checked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import NotFound
from crmcore.leads import LeadStatus
from crmcore.money import Percent
from crmcore.pricing import Customer
from crmcore.receivables import CollectionsBy
from crmcore.reports import (
    NO_CAMPAIGN,
    NO_DEPARTMENT,
    campaign_report,
    collections_by_period,
    confirmed_in,
    lead_status_report,
    match_receivables,
    orders_by_customer,
    orders_by_tier,
    sales_by_department,
    sales_by_owner,
    sales_report,
)
from tests.reports.report_support import BOB, CAL, MarchBook, at, cny, confirmed_order

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}
END_OF_MARCH = date(2026, 3, 31)


@pytest.fixture(scope="module")
def book() -> MarchBook:
    return MarchBook()


def figures(row: object) -> tuple[object, ...]:
    names = ("orders", "confirmed_total", "returns", "received", "refunded", "outstanding")
    return (*(getattr(row, n) for n in names), row.invoiced)


def test_sales_per_employee_in_march(book: MarchBook) -> None:
    report = sales_by_owner(book.sales, **MARCH, as_of=END_OF_MARCH)
    assert [r.key for r in report.rows] == ["ann", "bob"]  # cal's orders: cancelled, draft
    ann, bob = report.rows
    assert figures(ann) == (
        2,
        cny("700.00"),
        cny("100.00"),
        cny("500.00"),
        cny("50.00"),
        cny("150.00"),
        cny("400.00"),
    )
    # SO-3's 100.00 is only recorded by 31 March (confirmed 3 April); SO-7 has no receivable
    assert figures(bob) == (2, cny(400), cny(0), cny(0), cny(0), cny(400), cny(0))
    assert report.total is not None
    assert figures(report.total) == (4, cny(1100), cny(100), cny(500), cny(50), cny(550), cny(400))
    assert report.row("bob") == bob
    assert report.currency is not None
    assert report.currency.code == "CNY"


def test_per_department_matches_per_employee(book: MarchBook) -> None:
    by_owner = sales_by_owner(book.sales, **MARCH, as_of=END_OF_MARCH)
    by_department = sales_by_department(book.sales, **MARCH, as_of=END_OF_MARCH)
    assert [r.key for r in by_department.rows] == ["east", "west"]
    assert figures(by_department.row("east")) == figures(by_owner.row("ann"))
    assert figures(by_department.row("west")) == figures(by_owner.row("bob"))
    assert by_department.total is not None
    assert by_owner.total is not None
    assert figures(by_department.total) == figures(by_owner.total)


def test_a_later_as_of_sees_later_facts_and_cancellations(book: MarchBook) -> None:
    april = sales_by_owner(book.sales, **MARCH, as_of=date(2026, 4, 30))
    assert april.row("bob").received == cny(100)
    assert april.row("bob").outstanding == cny(300)
    # as of 25 March SO-5 (cancelled on the 26th) was confirmed, without a department
    early = sales_report(book.sales, by="department", **MARCH, as_of=date(2026, 3, 25))
    assert early.row(NO_DEPARTMENT).orders == 1
    assert early.row(NO_DEPARTMENT).confirmed_total == cny(400)
    assert early.row(NO_DEPARTMENT).outstanding == cny(400)
    # and on the 20th only SO-1, SO-2 and SO-3 were confirmed; SO-1's return was known
    twentieth = sales_by_owner(book.sales, **MARCH, as_of=date(2026, 3, 20))
    assert twentieth.total is not None
    assert (twentieth.total.orders, twentieth.total.confirmed_total) == (3, cny(1000))


def test_confirmed_in_reads_the_cancellation_date(book: MarchBook) -> None:
    so5 = book.orders[4]
    assert confirmed_in(so5, date(2026, 3, 1), date(2026, 4, 1), date(2026, 3, 25))
    assert not confirmed_in(so5, date(2026, 3, 1), date(2026, 4, 1), date(2026, 3, 26))
    assert not confirmed_in(so5, date(2026, 3, 1), date(2026, 4, 1), None)
    assert confirmed_in(book.orders[0], date(2026, 3, 1), date(2026, 4, 1), None)
    assert not confirmed_in(book.orders[0], date(2026, 3, 3), date(2026, 4, 1), None)


def test_orders_per_customer_and_tier(book: MarchBook) -> None:
    customers = orders_by_customer(book.orders, **MARCH)
    assert [(r.key, r.orders, r.total) for r in customers.rows] == [
        ("acme", 2, cny(800)),
        ("globex", 1, cny(200)),
        ("initech", 1, cny(100)),
    ]
    assert customers.total is not None
    assert (customers.total.orders, customers.total.total) == (4, cny(1100))
    tiers = orders_by_tier(book.orders, **MARCH, tiers={"acme": "gold", "globex": "silver"})
    assert [(r.key, r.orders, r.total) for r in tiers.rows] == [
        ("(no tier)", 1, cny(100)),
        ("gold", 2, cny(800)),
        ("silver", 1, cny(200)),
    ]
    assert tiers.row("gold").orders == 2
    # as of the 25th, SO-5 (globex, 400.00) still counts
    assert orders_by_customer(book.orders, **MARCH, as_of=date(2026, 3, 25)).row(
        "globex"
    ).total == cny(600)


def test_tier_from_the_orders_pricing_customer() -> None:
    gold = confirmed_order(
        "T-1", BOB, customer=Customer("acme", group="gold"), widgets=2, on=at(3)
    )
    plain = confirmed_order("T-2", CAL, customer=Customer("initech"), widgets=1, on=at(4))
    report = orders_by_tier([gold, plain], **MARCH)
    assert [(r.key, r.total) for r in report.rows] == [("(no tier)", cny(100)), ("gold", cny(200))]
    overridden = orders_by_tier([gold], **MARCH, tiers={"acme": "platinum"})
    assert [r.key for r in overridden.rows] == ["platinum"]


def test_collections_by_month_against_targets(book: MarchBook) -> None:
    report = collections_by_period(
        book.receivables,
        as_of=date(2026, 4, 30),
        targets={"2026-03": cny(500), "2026-04": cny(200), "2026-05": cny(100)},
        owner_targets={("ann", "2026-03"): cny(400), ("bob", "2026-04"): cny(100)},
    )
    march, april, may = report.rows
    assert (march.received, march.refunded, march.collected, march.invoiced) == (
        cny(500),
        cny(50),
        cny(450),
        cny(400),
    )
    assert (march.target, march.gap, march.attainment) == (cny(500), cny(50), Percent("90.0"))
    assert (april.collected, april.gap, april.attainment) == (cny(100), cny(100), Percent(50))
    assert (may.collected, may.gap) == (cny(0), cny(100))
    assert report.total is not None
    assert (report.total.collected, report.total.target, report.total.gap) == (
        cny(550),
        cny(800),
        cny(250),
    )
    assert report.total.attainment == Percent("68.8")
    ann, bob = report.owners
    assert (ann.owner, ann.achieved, ann.gap, ann.percent) == (
        "ann",
        cny(450),
        cny(-50),
        Percent("112.5"),
    )
    assert (bob.owner, bob.achieved, bob.percent) == ("bob", cny(100), Percent(100))
    assert report.row("2026-04") == april
    with pytest.raises(NotFound, match="2026-06"):
        report.row("2026-06")


def test_collections_by_quarter_without_targets(book: MarchBook) -> None:
    report = collections_by_period(
        book.receivables, as_of=date(2026, 4, 30), by=CollectionsBy.QUARTER
    )
    assert [(r.period, r.collected, r.target, r.gap, r.attainment) for r in report.rows] == [
        ("2026-Q1", cny(450), None, None, None),
        ("2026-Q2", cny(100), None, None, None),
    ]
    assert report.owners == ()
    records = report.to_records()
    assert records[-1]["period"] == "total"
    assert records[-1]["collected"] == "550.00"
    assert records[0]["target"] is None


def test_zero_target_has_no_attainment(book: MarchBook) -> None:
    report = collections_by_period(
        book.receivables, as_of=date(2026, 3, 31), targets={"2026-03": cny(0)}
    )
    assert report.row("2026-03").attainment is None
    assert report.row("2026-03").gap == cny(-450)


def test_what_each_campaign_brought(book: MarchBook) -> None:
    report = campaign_report(
        book.leads, book.opportunities, book.sales, **MARCH, as_of=END_OF_MARCH
    )
    expo, web, none = report.rows
    # expo: L1 converted acme first (20 Feb): SO-1 and SO-3 are acme's, 300.00 received
    assert (expo.campaign, expo.leads, expo.converted_leads, expo.customers) == ("expo", 2, 1, 1)
    assert (expo.opportunities, expo.opportunity_amount) == (1, cny(600))
    assert (expo.orders, expo.order_amount, expo.received) == (2, cny(800), cny(300))
    # web: L3 → globex, L4 → acme again (first touch keeps acme with expo)
    assert (web.leads, web.converted_leads, web.customers, web.opportunities) == (2, 2, 1, 1)
    assert (web.opportunity_amount, web.orders, web.order_amount, web.received) == (
        cny(300),
        1,
        cny(200),
        cny(200),
    )
    assert (none.campaign, none.leads, none.orders, none.order_amount) == (
        NO_CAMPAIGN,
        1,
        0,
        cny(0),
    )
    assert report.row(None) == none
    assert report.row("web") == web
    assert report.total is not None
    assert (report.total.leads, report.total.converted_leads, report.total.customers) == (5, 3, 2)
    assert (report.total.orders, report.total.order_amount, report.total.received) == (
        3,
        cny(1000),
        cny(500),
    )
    # SO-7 (initech, no lead) belongs to no campaign
    assert (report.all_orders, report.all_order_amount, report.all_received) == (
        4,
        cny(1100),
        cny(500),
    )
    with pytest.raises(NotFound, match="fair"):
        report.row("fair")


def test_campaign_facts_after_as_of_do_not_count(book: MarchBook) -> None:
    # as of 24 February: L3 not yet converted, OPP-2 not yet opened, no order in March yet
    report = campaign_report(
        book.leads,
        book.opportunities,
        book.sales,
        start=date(2026, 2, 1),
        end=date(2026, 4, 1),
        as_of=date(2026, 2, 24),
        currency="CNY",
    )
    assert report.row("web").converted_leads == 0
    assert report.row("web").opportunities == 0
    assert report.row("expo").opportunity_amount == cny(600)
    assert report.total is not None
    assert report.total.orders == 0
    # in January none of the leads was captured yet
    january = campaign_report(
        book.leads,
        book.opportunities,
        book.sales,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        as_of=date(2026, 1, 31),
        currency="CNY",
    )
    assert january.rows == ()
    assert january.total is not None
    assert january.total.leads == 0


def test_orders_before_the_conversion_are_not_attributed(book: MarchBook) -> None:
    # only SO-1 (2 March) counts for acme when the first conversion is L4's (15 March)
    without_l1 = [lead for lead in book.leads if lead.id != "L1"]
    report = campaign_report(without_l1, [], book.sales, **MARCH, as_of=END_OF_MARCH)
    assert report.row("web").orders == 2  # SO-2 (globex) and SO-3 (acme, 20 March)
    assert report.row("web").order_amount == cny(500)


def test_leads_by_owner_and_status(book: MarchBook) -> None:
    report = lead_status_report(book.leads)
    assert report.count("ann", LeadStatus.CONVERTED) == 2
    assert report.count("bob", LeadStatus.ASSIGNED) == 1
    assert report.totals()["converted"] == 3
    assert report.totals()["total"] == 5
    records = report.to_records()
    assert records[-1]["owner"] == "total"
    assert records[-1]["assigned"] == 2
    assert len(report.to_records(total=False)) == 3
    assert "<table>" in report._repr_html_()


def test_records_and_html_for_notebooks(book: MarchBook) -> None:
    report = sales_by_owner(book.sales, **MARCH, as_of=END_OF_MARCH)
    records = report.to_records()
    assert records[0] == {
        "key": "ann",
        "currency": "CNY",
        "orders": 2,
        "confirmed_total": "700.00",
        "returns": "100.00",
        "received": "500.00",
        "refunded": "50.00",
        "outstanding": "150.00",
        "invoiced": "400.00",
    }
    assert records[-1]["key"] == "total"
    assert len(report.to_records(total=False)) == 2
    html = report._repr_html_()
    assert html.startswith("<table><caption>Sales by owner")
    assert "<td>ann</td>" in html
    for other in (
        orders_by_customer(book.orders, **MARCH),
        collections_by_period(book.receivables, as_of=END_OF_MARCH),
        campaign_report(book.leads, book.opportunities, book.sales, **MARCH, as_of=END_OF_MARCH),
    ):
        assert "<caption>" in other._repr_html_()
        assert other.to_records(total=False) == other.to_records()[:-1]
    with pytest.raises(NotFound, match="zed"):
        report.row("zed")
    with pytest.raises(NotFound, match="zed"):
        orders_by_customer(book.orders, **MARCH).row("zed")


def test_empty_reports() -> None:
    report = sales_by_owner([], **MARCH, as_of=END_OF_MARCH)
    assert (report.rows, report.total, report.currency) == ((), None, None)
    assert "no rows" in report._repr_html_()
    given = sales_by_owner([], **MARCH, as_of=END_OF_MARCH, currency="CNY")
    assert given.total is not None
    assert given.total.orders == 0
    assert given.total.outstanding == cny(0)
    assert orders_by_customer([], **MARCH).total is None
    empty = collections_by_period([], as_of=END_OF_MARCH)
    assert (empty.rows, empty.total) == ((), None)
    nothing = campaign_report([], [], [], **MARCH, as_of=END_OF_MARCH)
    assert (nothing.rows, nothing.total, nothing.all_order_amount) == ((), None, None)


def test_match_receivables_pairs_by_id(book: MarchBook) -> None:
    pairs = list(match_receivables(book.orders, book.receivables, lambda o: f"AR-{o.id}"))
    assert [(o.id, None if r is None else r.id) for o, r in pairs][:3] == [
        ("SO-1", "AR-SO-1"),
        ("SO-2", "AR-SO-2"),
        ("SO-3", "AR-SO-3"),
    ]
    assert pairs[6][1] is None
    report = sales_by_owner(pairs, **MARCH, as_of=END_OF_MARCH)
    assert report == sales_by_owner(book.sales, **MARCH, as_of=END_OF_MARCH)
