"""Campaign cost and ROI, and bookings quotas per salesperson, on the March book
(figures checked by hand in the comments)."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore.errors import CurrencyMismatch, NotFound, ValidationError
from crmcore.money import Money, Percent
from crmcore.reports import CampaignCost, Quota, campaign_report, quota_attainment
from tests.reports.report_support import MarchBook, cny

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}
END_OF_MARCH = date(2026, 3, 31)


@pytest.fixture(scope="module")
def book() -> MarchBook:
    return MarchBook()


def test_campaign_roi_is_received_less_actual_cost_over_actual_cost(book: MarchBook) -> None:
    costs = [
        CampaignCost("expo", planned=cny(250), actual=cny(200)),
        CampaignCost("web", planned=cny(300), actual=cny(400)),
        CampaignCost("fair", planned=cny(150)),  # budgeted, nothing spent, no leads yet
    ]
    report = campaign_report(
        book.leads, book.opportunities, book.sales, **MARCH, as_of=END_OF_MARCH, costs=costs
    )
    expo, fair, web = (report.row(c) for c in ("expo", "fair", "web"))
    # expo received 300.00 on SO-1/SO-3 for an actual cost of 200.00: (300 − 200) / 200
    assert (expo.planned_cost, expo.actual_cost, expo.roi) == (cny(250), cny(200), Percent(50))
    assert expo.cost_per_lead == cny(100)  # 200 / 2 leads
    assert expo.cost_per_customer == cny(200)  # 200 / 1 customer (acme)
    # web received 200.00 (SO-2) for 400.00: (200 − 400) / 400 = −50 %
    assert web.roi == Percent(-50)
    assert web.cost_per_customer == cny(400)
    # a campaign with a budget and no leads still shows, with no ROI until it costs something
    assert (fair.leads, fair.planned_cost, fair.actual_cost, fair.roi) == (0, cny(150), None, None)
    assert fair.cost_per_lead is None
    assert report.total is not None
    # total: costs 600 actual / 700 planned; received 500 → (500 − 600) / 600 = −16.7 %
    assert (report.total.planned_cost, report.total.actual_cost) == (cny(700), cny(600))
    assert report.total.roi == Percent("-16.7")
    record = expo.to_record()
    assert (record["planned_cost"], record["actual_cost"], record["roi"]) == (
        "250.00",
        "200.00",
        "50.0",
    )
    assert record["cost_per_lead"] == "100.00"
    assert report.row(None).to_record()["roi"] is None


def test_campaign_costs_without_costs_keep_the_old_figures(book: MarchBook) -> None:
    report = campaign_report(
        book.leads, book.opportunities, book.sales, **MARCH, as_of=END_OF_MARCH
    )
    assert report.row("expo").planned_cost is None
    assert report.row("expo").roi is None
    assert report.total is not None
    assert report.total.planned_cost is None


def test_campaign_costs_are_checked(book: MarchBook) -> None:
    run = lambda costs: campaign_report(  # noqa: E731
        book.leads, book.opportunities, book.sales, **MARCH, as_of=END_OF_MARCH, costs=costs
    )
    with pytest.raises(ValidationError, match=r"costs\[1\]: campaign 'expo' is given twice"):
        run([CampaignCost("expo", cny(1)), CampaignCost("expo", cny(2))])
    with pytest.raises(ValidationError, match="costs\\[0\\]: expected a CampaignCost"):
        run([("expo", 1)])
    with pytest.raises(CurrencyMismatch, match=r"costs\[0\] \(expo\)"):
        run([CampaignCost("expo", Money(100, "USD"))])
    with pytest.raises(ValidationError, match="planned: expected Money >= 0"):
        CampaignCost("expo", cny(-1))
    with pytest.raises(ValidationError, match="actual: expected Money >= 0"):
        CampaignCost("expo", cny(1), actual=100)  # type: ignore[arg-type]


def test_bookings_against_monthly_quotas(book: MarchBook) -> None:
    quotas = [
        Quota("ann", "2026-03", cny(1000)),
        Quota("bob", "2026-03", cny(400)),
        Quota("cal", "2026-03", cny(500)),
        Quota("ann", "2026-04", cny(800)),
    ]
    report = quota_attainment(book.sales, quotas, as_of=date(2026, 4, 30))
    assert [(r.period, r.owner_id) for r in report.rows] == [
        ("2026-03", "ann"),
        ("2026-03", "bob"),
        ("2026-03", "cal"),
        ("2026-04", "ann"),
    ]
    ann = report.row("ann", "2026-03")
    # SO-1 500.00 + SO-2 200.00 booked; 100.00 came back on SO-1 → 600.00 net of 1,000
    assert (ann.orders, ann.booked, ann.returns, ann.net_booked) == (
        2,
        cny(700),
        cny(100),
        cny(600),
    )
    assert (ann.gap, ann.attainment) == (cny(400), Percent(60))
    bob = report.row("bob", "2026-03")
    # SO-3 300.00 + SO-7 100.00: exactly the quota
    assert (bob.orders, bob.net_booked, bob.gap, bob.attainment) == (
        2,
        cny(400),
        cny(0),
        Percent(100),
    )
    cal = report.row("cal", "2026-03")
    # cal's SO-5 was cancelled and SO-6 never confirmed
    assert (cal.orders, cal.net_booked, cal.gap, cal.attainment) == (
        0,
        cny(0),
        cny(500),
        Percent(0),
    )
    april = report.row("ann", "2026-04")
    assert (april.orders, april.net_booked, april.attainment) == (0, cny(0), Percent(0))
    assert report.total is not None
    # team: 2,700 asked, 1,000 net booked (bob's SO-4 in April has no quota row) → 37.0 %
    assert (report.total.quota, report.total.net_booked) == (cny(2700), cny(1000))
    assert (report.total.gap, report.total.attainment) == (cny(1700), Percent(37))
    assert report.grain == "month"
    assert report.to_records()[0]["attainment"] == "60.0"
    assert "Bookings against quota" in report._repr_html_()
    with pytest.raises(NotFound, match="no quota of 'dan'"):
        report.row("dan", "2026-03")


def test_quarterly_quota_and_as_of(book: MarchBook) -> None:
    q1 = [Quota("ann", "2026-Q1", cny(2000)), Quota("bob", "2026-Q2", cny(0))]
    report = quota_attainment(book.sales, q1, as_of=date(2026, 4, 30))
    assert report.row("ann", "2026-Q1").net_booked == cny(600)
    assert report.row("ann", "2026-Q1").attainment == Percent(30)
    # bob's SO-4 (2 April, 100.00) is in Q2; a zero quota has no attainment
    assert report.row("bob", "2026-Q2").booked == cny(100)
    assert report.row("bob", "2026-Q2").attainment is None
    # as of 1 April, SO-4 was not confirmed yet
    early = quota_attainment(book.sales, q1, as_of=date(2026, 4, 1))
    assert early.row("bob", "2026-Q2").orders == 0
    yearly = quota_attainment(book.sales, [Quota("ann", "2026", cny(6000))], as_of=END_OF_MARCH)
    assert yearly.grain == "year"
    assert yearly.row("ann", "2026").attainment == Percent(10)


def test_quotas_are_checked(book: MarchBook) -> None:
    with pytest.raises(ValidationError, match="period: '2026-13' is not a month"):
        Quota("ann", "2026-13", cny(1))
    with pytest.raises(ValidationError, match="period: 'Q1' is not a month"):
        Quota("ann", "Q1", cny(1))
    with pytest.raises(ValidationError, match="amount: expected Money >= 0"):
        Quota("ann", "2026-03", cny(-5))
    with pytest.raises(ValidationError, match="mix month, quarter"):
        quota_attainment(
            [],
            [Quota("ann", "2026-03", cny(1)), Quota("bob", "2026-Q1", cny(1))],
            as_of=END_OF_MARCH,
        )
    with pytest.raises(ValidationError, match="'ann' has two quotas for '2026-03'"):
        quota_attainment(
            [],
            [Quota("ann", "2026-03", cny(1)), Quota("ann", "2026-03", cny(2))],
            as_of=END_OF_MARCH,
        )
    with pytest.raises(CurrencyMismatch):
        quota_attainment(
            book.sales,
            [Quota("ann", "2026-03", Money(1, "USD"))],
            as_of=END_OF_MARCH,
            currency="CNY",
        )
    empty = quota_attainment([], [], as_of=END_OF_MARCH)
    assert (empty.rows, empty.total, empty.currency) == ((), None, None)
