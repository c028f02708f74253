"""Visits through the services on both adapters: a manager plans a salesperson's Monday,
the visits are made (one outside the tolerance, one with a co-visit, one cancelled, one ad
hoc), and the figures — distances, durations, rates, gaps — are checked by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crmcore.errors import (
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money
from crmcore.serialization import from_dict
from crmcore.services import VisitSettings
from crmcore.visits import CustomerSelector, GeoPoint, Grain, VisitStatus
from tests.services.helpers import ANN, BOB, FAY, MIA, World, memory_world, sqlite_world
from tests.services.order_helpers import confirmed_order, draft_order

MONDAY = date(2026, 3, 2)
SETTINGS = from_dict(
    VisitSettings,
    {
        "rules": {"tolerance_m": "200", "min_minutes": 10, "max_minutes": 120},
        "actions": {
            "actions": [
                {
                    "id": "stock",
                    "required": True,
                    "fields": [{"name": "counts", "kind": "stock_counts"}],
                },
                {"id": "shelf", "fields": [{"name": "photo", "kind": "photo"}]},
            ]
        },
        "frequency": {"visits": {"A": 3, "B": 1}, "per": "month"},
        "nearby_radius_m": "150",
    },
)
STOCK = {"counts": {"DRILL": 4, "SAW": 1}}


def north(thousandths: int) -> GeoPoint:
    """0.001 degree of latitude north of the office is 111.20 m (R1 x pi / 180 / 1000)."""
    return GeoPoint(Decimal("31.2300") + Decimal(thousandths) / 1000, "121.4700")


OFFICE = north(0)


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The shared world (tests/services/conftest.py) with the visit settings and customers."""
    made = (
        memory_world(visits=SETTINGS)
        if request.param == "memory"
        else sqlite_world(tmp_path, visits=SETTINGS)
    )
    crm = made.crm
    for customer, where, tier in (("acme", 1, "A"), ("lin", 3, "A"), ("cb", 5, "B")):
        crm.visits.register_customer(
            MIA, customer, customer.title(), north(where), owner_id="ann", tier=tier, region="east"
        )
    crm.visits.register_customer(MIA, "zen", "Zen", north(8), owner_id="ann", tier="A")
    crm.visits.register_customer(BOB, "bobco", "Bobco", north(2), tier="B")
    made.sent()
    yield made
    close = getattr(made.storage, "close", None)
    if close is not None:
        close()


def _monday(world: World) -> dict[str, str]:
    """Mia plans Ann's Monday: cb, then every A customer of Ann's, in route order."""
    plan = world.crm.visits.plan_day(
        MIA,
        "ann",
        MONDAY,
        ["cb"],
        select=CustomerSelector(tiers={"A"}, owner_id="ann"),
        start=OFFICE,
    )
    return {s.customer_id: s.visit_id for s in plan.stops} | {"plan": plan.id}


def test_a_planned_monday_states_its_route_and_tells_the_salesperson(world: World) -> None:
    ids = _monday(world)
    plan = world.crm.visits.plan_of(ANN, "ann", MONDAY)
    assert plan.order == ("acme", "lin", "cb", "zen")
    # office->acme 0.001 deg, ->lin 0.002, ->cb 0.002, ->zen 0.003: 111.20 + 2 x 222.39 + 333.59
    assert [leg.distance_m for leg in plan.route.legs] == [
        Decimal("111.20"),
        Decimal("222.39"),
        Decimal("222.39"),
        Decimal("333.59"),
    ]
    assert plan.distance_m == Decimal("889.57")
    assert world.sent() == [("ann", "visit plan assigned to you")]
    visits = world.crm.visits.visits_of(ANN, "ann", MONDAY)
    assert sorted(v.id for v in visits) == sorted(v for k, v in ids.items() if k != "plan")
    assert {v.status for v in visits} == {VisitStatus.PLANNED}
    assert {v.department for v in visits} == {"east"}
    with pytest.raises(
        InvariantViolation, match="day: ann already has a visit plan on 2026-03-02"
    ):
        world.crm.visits.plan_day(MIA, "ann", MONDAY, ["acme"])


def _work_the_day(world: World, ids: dict[str, str]) -> None:
    crm, clock = world.crm, world.clock
    # 09:00 Acme, checked in 111.20 m away (inside 200 m), 30 minutes
    crm.visits.check_in(ANN, ids["acme"], OFFICE)
    clock.advance(minutes=10)
    crm.visits.record_action(ANN, ids["acme"], "stock", STOCK)
    clock.advance(minutes=20)
    crm.visits.check_out(ANN, ids["acme"], north(1))
    # 10:00 Lin, checked in from 333.59 m away (flagged); Mia joins; 45 minutes
    clock.advance(minutes=30)
    crm.visits.check_in(ANN, ids["lin"], north(6))
    crm.visits.request_co_visit(ANN, ids["lin"], "mia")
    crm.visits.co_visit_check_in(MIA, ids["lin"], north(3))
    crm.visits.record_action(ANN, ids["lin"], "stock", STOCK)
    clock.advance(minutes=45)
    crm.visits.co_visit_feedback(MIA, ids["lin"], 5, "Good opening; register the new shelf")
    crm.visits.check_out(ANN, ids["lin"], north(3))
    crm.visits.cancel(ANN, ids["cb"], "shop closed for stock-taking")
    # 14:00 an ad-hoc visit to Acme, 20 minutes
    clock.advance(hours=3, minutes=15)
    adhoc = crm.visits.visit_now(ANN, "acme", north(2))
    crm.visits.record_action(ANN, adhoc.id, "stock", STOCK)
    clock.advance(minutes=20)
    crm.visits.check_out(ANN, adhoc.id, north(1))


def test_a_worked_day_notifies_and_records_everything(world: World) -> None:
    ids = _monday(world)
    world.sent()
    _work_the_day(world, ids)
    assert world.sent() == [
        ("mia", "check-in outside tolerance"),
        ("mia", "co-visit requested"),
        ("ann", "co-visit feedback"),
    ]
    visits = {
        v.customer_id + ("*" if v.ad_hoc else ""): v
        for v in world.crm.visits.visits_of(MIA, "ann")
    }
    assert visits["acme"].duration_s == 1800
    assert visits["lin"].duration_s == 2700
    assert visits["acme*"].duration_s == 1200
    assert visits["lin"].check_in is not None
    assert visits["lin"].check_in.distance_m == Decimal("333.59")
    assert visits["lin"].outside_tolerance
    assert visits["lin"].co_visits[0].rating == 5
    assert visits["cb"].status is VisitStatus.CANCELLED
    assert visits["zen"].status is VisitStatus.PLANNED


def test_the_analysis_of_the_month_by_hand(world: World) -> None:
    _work_the_day(world, _monday(world))
    analysis = world.crm.visits.analysis(MIA, date(2026, 3, 1), date(2026, 3, 31))
    (row,) = analysis.rows
    assert (row.owner_id, row.period) == ("ann", "2026-03")
    assert (row.planned, row.completed, row.planned_completed, row.ad_hoc, row.cancelled) == (
        4,
        3,
        2,
        1,
        1,
    )
    assert row.completion_rate == Decimal("50.00")  # acme, lin of acme, lin, cb, zen
    assert (row.customers_planned, row.customers_covered) == (4, 2)
    assert (row.owned_customers, row.owned_covered, row.coverage) == (4, 2, Decimal("50.00"))
    assert row.outside_tolerance == 1
    assert row.average_minutes == Decimal("31.7")  # (30 + 45 + 20) / 3
    assert row.visits_per_day == Decimal("3.00")
    daily = world.crm.visits.analysis(MIA, MONDAY, MONDAY, grain=Grain.DAY, owner_id="ann")
    assert [r.period for r in daily.rows] == ["2026-03-02"]
    # Bob sees only his own visits (none)
    assert world.crm.visits.analysis(BOB, date(2026, 3, 1), date(2026, 3, 31)).rows == ()


def test_frequency_gaps_and_the_due_list_count_what_is_scheduled(world: World) -> None:
    ids = _monday(world)
    _work_the_day(world, ids)
    table = world.crm.visits.frequency(ANN, MONDAY)
    got = [(r.customer_id, r.required, r.done, r.scheduled, r.gap, r.due) for r in table.rows]
    assert got == [
        ("acme", 3, 2, 0, 1, 1),
        ("cb", 1, 0, 0, 1, 1),
        ("lin", 3, 1, 0, 2, 2),
        ("zen", 3, 0, 0, 3, 3),
    ]
    assert [d.customer_id for d in world.crm.visits.due(ANN, MONDAY)] == [
        "zen",
        "lin",
        "cb",
        "acme",
    ]
    # Ann reuses Monday's route next Monday: those visits are now scheduled this month
    copy = world.crm.visits.copy_plan(ANN, ids["plan"], MONDAY + timedelta(days=7))
    assert (copy.order, copy.distance_m, copy.copied_from) == (
        ("acme", "lin", "cb", "zen"),
        Decimal("889.57"),
        ids["plan"],
    )
    due = world.crm.visits.due(ANN, MONDAY)
    assert [(d.customer_id, d.due) for d in due] == [("zen", 2), ("lin", 1)]


def test_orders_after_visits_against_customers_not_visited(world: World) -> None:
    _work_the_day(world, _monday(world))
    confirmed_order(world)  # acme, 791.00, confirmed today (visited this morning)
    zen = draft_order(world, customer="zen")["order"]
    world.crm.orders.price(ANN, zen)
    world.crm.orders.submit(ANN, zen)  # zen: never visited
    outcome = world.crm.visits.outcome(MIA, date(2026, 3, 1), date(2026, 3, 31), owner_id="ann")
    visited, not_visited = outcome.groups
    assert (visited.customers, visited.orders, visited.amounts) == (
        2,
        1,
        (Money("791.00", "CNY"),),
    )
    assert (not_visited.customers, not_visited.orders, not_visited.amounts) == (
        2,
        1,
        (Money("791.00", "CNY"),),
    )


def test_customers_near_the_salesperson_are_their_own(world: World) -> None:
    near = world.crm.visits.nearby(ANN, north(2))
    assert [(n.customer_id, n.distance_m) for n in near] == [
        ("acme", Decimal("111.20")),
        ("lin", Decimal("111.20")),
    ]
    everyone = world.crm.visits.nearby(MIA, north(2), "10")
    assert [n.customer_id for n in everyone] == ["bobco"]


def test_refusals_change_nothing_and_send_nothing(world: World) -> None:
    ids = _monday(world)
    world.sent()
    before = world.snapshot()
    not_his = r"bob may not write visit [\w-]+: it belongs to ann"
    with pytest.raises(PermissionDenied, match=not_his):
        world.crm.visits.check_in(BOB, ids["acme"], OFFICE)
    not_his_plan = r"bob may not write visit_plan \(new\): it belongs to ann"
    with pytest.raises(PermissionDenied, match=not_his_plan):
        world.crm.visits.plan_day(BOB, "ann", MONDAY + timedelta(days=1), ["acme"])
    with pytest.raises(PermissionDenied, match=r"fay \(finance\) may not visit\.view"):
        world.crm.visits.analysis(FAY, MONDAY, MONDAY)
    with pytest.raises(PermissionDenied, match=r"bob may not read visit \(of ann\)"):
        world.crm.visits.visits_of(BOB, "ann")
    with pytest.raises(PermissionDenied, match="bob may not write visit"):
        world.crm.visits.cancel(BOB, ids["acme"], "no")
    with pytest.raises(ValidationError, match="owner_id: no user 'zoe' in the directory"):
        world.crm.visits.plan_day(MIA, "zoe", MONDAY, ["acme"])
    with pytest.raises(ValidationError, match="customer_ids: a plan needs at least one"):
        world.crm.visits.plan_day(MIA, "bob", MONDAY)
    with pytest.raises(NotFound):
        world.crm.visits.plan_day(MIA, "bob", MONDAY, ["nowhere"])
    with pytest.raises(ValidationError, match="location: the rules require a location"):
        world.crm.visits.check_in(ANN, ids["acme"], None)
    with pytest.raises(InvalidTransition, match="check in before you check out"):
        world.crm.visits.check_out(ANN, ids["acme"], OFFICE)
    with pytest.raises(ValidationError, match="end: 2026-03-01 is before start 2026-03-02"):
        world.crm.visits.analysis(MIA, MONDAY, date(2026, 3, 1))
    with pytest.raises(ValidationError, match="colleague_id: no user 'ghost'"):
        world.crm.visits.request_co_visit(ANN, ids["acme"], "ghost")
    assert world.snapshot() == before
