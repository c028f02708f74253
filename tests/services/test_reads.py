"""The read side: get and list every record kind under one record-access rule, with
filters and paging; the aging and the forecast over what the user may see."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crmcore.errors import ConfigError, NotFound, PermissionDenied, ValidationError
from crmcore.forecast import OpportunityStatus
from crmcore.money import Percent
from crmcore.orders import OrderStatus
from crmcore.pricing import LineRequest, PercentOff
from crmcore.services import MAX_PAGE, Page, Period
from crmcore.workflow import ApprovalStatus
from tests.services.helpers import ACTORS, ANN, BOB, DAN, FAY, MIA, World, cny, memory_world
from tests.services.helpers import USERS as PEOPLE

MKT = next(u for u in PEOPLE if u.id == "mkt").as_actor()
SID = next(u for u in PEOPLE if u.id == "sid").as_actor()


def _world(**changes: object) -> tuple[World, dict[str, str]]:
    """Ann: two orders (acme confirmed, zen draft) and a deal; Bob: one order waiting for
    approval; a lead in the east pool."""
    world = memory_world(**changes)
    crm, ids = world.crm, {}
    first = crm.orders.draft(ANN, customer="acme", currency="CNY", lines=[LineRequest("DRILL", 2)])
    crm.orders.price(ANN, first.id)
    crm.orders.submit(ANN, first.id)
    world.clock.advance(days=3)
    second = crm.orders.draft(ANN, customer="zen", currency="CNY", lines=[LineRequest("SAW", 1)])
    world.clock.advance(days=3)
    third = crm.orders.draft(BOB, customer="acme", currency="CNY", lines=[LineRequest("SAW", 3)])
    crm.orders.set_discount(BOB, third.id, PercentOff(Percent(20)))
    crm.orders.price(BOB, third.id)
    approval = crm.orders.submit(BOB, third.id).approval_id
    assert approval is not None
    deal = crm.opportunities.create(ANN, cny("90000"), expected_close=date(2026, 5, 31))
    lead = crm.leads.create(BOB, "Li Lei", source="web", region="Shanghai")
    ids.update(
        first=first.id,
        second=second.id,
        third=third.id,
        approval=approval,
        deal=deal.id,
        lead=lead.id,
    )
    return world, ids


def test_each_sees_their_own_their_team_or_what_their_roles_are_granted() -> None:
    world, ids = _world()
    q = world.crm.queries
    assert [o.id for o in q.list_orders(ANN).items] == [ids["first"], ids["second"]]
    assert [o.id for o in q.list_orders(BOB).items] == [ids["third"]]
    assert q.list_orders(FAY).total == 3  # finance: granted every order and receivable
    assert q.list_orders(MIA).total == 3  # ann and bob report to mia: her team
    assert q.list_orders(MKT).total == 0
    assert q.get_order(ANN, ids["first"]).status is OrderStatus.CONFIRMED
    with pytest.raises(NotFound, match=f"no order '{ids['first']}' that bob may see"):
        q.get_order(BOB, ids["first"])
    with pytest.raises(PermissionDenied, match=r"may not lead\.view"):
        q.list_leads(FAY)


def test_a_manager_sees_the_team_and_finance_only_the_money_records() -> None:
    world, ids = _world()
    q = world.crm.queries
    assert q.get_opportunity(MIA, ids["deal"]).owner_id == "ann"
    assert q.get_opportunity(DAN, ids["deal"]).owner_id == "ann"  # admin: everything
    with pytest.raises(NotFound, match="that fay may see"):
        q.get_opportunity(FAY, ids["deal"])


def test_filters_and_paging() -> None:
    world, ids = _world()
    q = world.crm.queries
    assert [o.id for o in q.list_orders(FAY, customer="acme").items] == [
        ids["first"],
        ids["third"],
    ]
    assert [o.id for o in q.list_orders(FAY, status=OrderStatus.DRAFT).items] == [ids["second"]]
    assert [o.id for o in q.list_orders(FAY, owner_id="bob").items] == [ids["third"]]
    later = Period(start=date(2026, 3, 4))
    assert [o.id for o in q.list_orders(FAY, period=later).items] == [ids["second"], ids["third"]]
    assert q.list_orders(FAY, period=Period(end=date(2026, 3, 1))).total == 0
    page = q.list_orders(FAY, offset=1, limit=1)
    assert page == Page((q.get_order(FAY, ids["second"]),), 3, 1, 1)
    assert page.has_more
    assert not q.list_orders(FAY, offset=2, limit=1).has_more
    assert q.list_orders(FAY, offset=5).items == ()


@pytest.mark.parametrize(
    ("paging", "message"),
    [
        ({"offset": -1}, "offset: expected a whole number >= 0, got -1"),
        ({"limit": 0}, f"limit: expected a whole number from 1 to {MAX_PAGE}, got 0"),
        ({"limit": MAX_PAGE + 1}, f"got {MAX_PAGE + 1}"),
        ({"limit": True}, "limit: expected int, got bool True"),
        ({"period": (1, 2)}, r"period: expected Period or None, got tuple \(1, 2\)"),
    ],
)
def test_bad_paging_is_refused(paging: dict[str, object], message: str) -> None:
    world, _ = _world()
    with pytest.raises(ValidationError, match=message):
        world.crm.queries.list_orders(FAY, **paging)  # type: ignore[arg-type]


def test_a_period_is_checked_and_inclusive() -> None:
    with pytest.raises(ValidationError, match="period: end 2026-03-01 is before start 2026-03-02"):
        Period(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValidationError, match=r"period\.start: expected a date"):
        Period("2026-03-01")  # type: ignore[arg-type]
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert date(2026, 3, 31) in march
    assert date(2026, 4, 1) not in march
    assert None not in march


def test_receivables_and_their_aging_follow_the_same_rule() -> None:
    world, ids = _world()
    q = world.crm.queries
    (mine,) = q.list_receivables(ANN).items
    assert mine.id == f"AR-{ids['first']}"
    assert q.list_receivables(BOB).total == 0
    assert q.list_receivables(FAY, unpaid=True, customer="acme").total == 1
    assert q.list_receivables(FAY, period=Period(start=date(2026, 3, 3))).total == 0
    assert q.get_receivable(ANN, mine.id).amount == cny("226.00")
    with pytest.raises(NotFound):
        q.get_receivable(BOB, mine.id)
    as_of = date(2026, 3, 2) + timedelta(days=10)
    report = q.aging(ANN, as_of)
    assert [(r.group, r.total) for r in report.rows] == [("ann", cny("226.00"))]
    assert q.aging(BOB, as_of).rows == ()
    assert q.aging(FAY, as_of, customer="zen").rows == ()


def test_leads_opportunities_and_the_forecast() -> None:
    world, ids = _world()
    q = world.crm.queries
    assert [lead.id for lead in q.list_leads(DAN, pool_id="east").items] == [ids["lead"]]
    # waiting in the east pool: its members (ann, bob) and admins (mia, dan) see it, so they
    # can claim or assign it; a salesperson outside the pool does not
    for member in (ANN, BOB, MIA):
        assert [lead.id for lead in q.list_leads(member).items] == [ids["lead"]]
        assert q.get_lead(member, ids["lead"]).id == ids["lead"]
    mkt = ACTORS["mkt"]
    assert q.list_leads(mkt).total == 0
    with pytest.raises(NotFound, match="that mkt may see"):
        q.get_lead(mkt, ids["lead"])
    # once Ann holds it, it is hers (and her managers'): Bob no longer sees it
    world.crm.leads.claim(ANN, ids["lead"])
    assert q.list_leads(BOB).total == 0
    with pytest.raises(NotFound, match="that bob may see"):
        q.get_lead(BOB, ids["lead"])
    assert q.get_lead(MIA, ids["lead"]).owner_id == "ann"
    assert [o.id for o in q.list_opportunities(ANN, status=OpportunityStatus.OPEN).items] == [
        ids["deal"]
    ]
    may = Period(date(2026, 5, 1), date(2026, 5, 31))
    assert q.list_opportunities(ANN, period=may, stage="qualify").total == 1
    assert q.list_opportunities(ANN, stage="proposal").total == 0
    assert q.list_opportunities(BOB).total == 0
    table = q.forecast(ANN)
    assert table.total.count == 1
    assert table.total.amount == cny("90000")
    assert q.forecast(BOB).total.count == 0


def test_the_forecast_needs_a_sales_process() -> None:
    world = memory_world(sales_process=None)
    with pytest.raises(ConfigError, match="sales_process: required"):
        world.crm.queries.forecast(ANN)


def test_approvals_are_seen_by_the_submitter_their_team_the_approvers_and_admins() -> None:
    world, ids = _world()
    q = world.crm.queries
    for who in (BOB, MIA, DAN):
        assert [a.id for a in q.list_approvals(who).items] == [ids["approval"]]
    for who in (ANN, SID, FAY):
        assert q.list_approvals(who).total == 0
    assert q.get_approval(BOB, ids["approval"]).status is ApprovalStatus.PENDING
    assert q.list_approvals(DAN, kind="order", status=ApprovalStatus.PENDING).total == 1
    assert q.list_approvals(DAN, subject_id=ids["first"]).total == 0
    assert q.list_approvals(DAN, period=Period(end=date(2026, 3, 1))).total == 0
    with pytest.raises(NotFound, match="that ann may see"):
        q.get_approval(ANN, ids["approval"])
