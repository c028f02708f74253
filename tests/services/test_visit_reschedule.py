"""Rescheduling a planned visit through the services on both adapters: the visit moves to
another day, leaves its plan (whose route is re-measured) and joins that day's plan, and
every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crmcore.errors import InvalidTransition, InvariantViolation, PermissionDenied, ValidationError
from crmcore.visits import DayChange, VisitStatus
from tests.services.helpers import ANN, BOB, MIA, World, memory_world, sqlite_world
from tests.services.test_visit_services import MONDAY, OFFICE, SETTINGS, north

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Ann's customers acme (0.001 deg north of the office), lin (0.003), cb (0.005)."""
    made = (
        memory_world(visits=SETTINGS)
        if request.param == "memory"
        else sqlite_world(tmp_path, visits=SETTINGS)
    )
    for customer, where in (("acme", 1), ("lin", 3), ("cb", 5)):
        made.crm.visits.register_customer(
            MIA, customer, customer.title(), north(where), owner_id="ann", tier="A"
        )
    made.sent()
    yield made
    close = getattr(made.storage, "close", None)
    if close is not None:
        close()


def _plans(world: World) -> tuple[dict[str, str], str]:
    """Monday: acme, lin, cb from the office; Tuesday: cb only."""
    monday = world.crm.visits.plan_day(
        MIA, "ann", MONDAY, ["acme", "lin", "cb"], start=OFFICE, optimise=False
    )
    tuesday = world.crm.visits.plan_day(MIA, "ann", TUESDAY, ["cb"], start=OFFICE)
    world.sent()
    return {s.customer_id: s.visit_id for s in monday.stops}, tuesday.id


def test_a_visit_moved_to_a_planned_day_joins_its_route(world: World) -> None:
    ids, tuesday_plan = _plans(world)
    crm = world.crm
    # Monday's route office -> acme -> lin -> cb: 111.20 + 222.39 + 222.39 = 555.98 m
    assert crm.visits.plan_of(ANN, "ann", MONDAY).distance_m == Decimal("555.98")
    change = crm.visits.reschedule(MIA, ids["lin"], TUESDAY, "customer closed on Monday")
    assert change == DayChange(
        MONDAY, TUESDAY, "mia", world.clock.now(), "customer closed on Monday", change.from_plan
    )
    monday = crm.visits.plan_of(ANN, "ann", MONDAY)
    tuesday = crm.visits.plan_of(ANN, "ann", TUESDAY)
    assert change.from_plan == monday.id
    # Monday now office -> acme -> cb: 111.20 + 444.78 = 555.98 m (cb lies past lin)
    assert monday.order == ("acme", "cb")
    assert monday.distance_m == Decimal("555.98")
    # Tuesday office -> cb -> lin: 555.98 + 222.39 = 778.37 m
    assert tuesday.order == ("cb", "lin")
    assert tuesday.distance_m == Decimal("778.37")
    (moved,) = [v for v in crm.visits.visits_of(ANN, "ann", TUESDAY) if v.customer_id == "lin"]
    assert (moved.id, moved.day, moved.plan_id) == (ids["lin"], TUESDAY, tuesday_plan)
    assert moved.status is VisitStatus.PLANNED
    assert [v.customer_id for v in crm.visits.visits_of(ANN, "ann", MONDAY)] == ["acme", "cb"]
    assert world.sent() == [("ann", "visit rescheduled")]


def test_a_visit_moved_to_a_day_without_plan_stands_alone(world: World) -> None:
    ids, _ = _plans(world)
    crm = world.crm
    crm.visits.reschedule(ANN, ids["acme"], WEDNESDAY, "asked for Wednesday")
    (alone,) = crm.visits.visits_of(ANN, "ann", WEDNESDAY)
    assert (alone.id, alone.plan_id, len(alone.reschedules)) == (ids["acme"], None, 1)
    assert crm.visits.plan_of(ANN, "ann", MONDAY).order == ("lin", "cb")
    assert world.sent() == []  # Ann moved her own visit: nobody else to tell
    # and it can move again, onto Tuesday's plan; its history keeps both moves
    world.clock.advance(minutes=5)
    crm.visits.reschedule(ANN, ids["acme"], TUESDAY, "Wednesday is full")
    (twice,) = [v for v in crm.visits.visits_of(ANN, "ann", TUESDAY) if v.id == ids["acme"]]
    assert [(r.from_day, r.to_day) for r in twice.reschedules] == [
        (MONDAY, WEDNESDAY),
        (WEDNESDAY, TUESDAY),
    ]
    assert crm.visits.plan_of(ANN, "ann", TUESDAY).order == ("cb", "acme")


def test_rescheduling_refusals_change_nothing(world: World) -> None:
    ids, _ = _plans(world)
    crm = world.crm
    crm.visits.check_in(ANN, ids["acme"], OFFICE)
    world.sent()
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match=r"bob may not write visit [\w-]+: it belongs"):
        crm.visits.reschedule(BOB, ids["lin"], TUESDAY, "mine now")
    with pytest.raises(InvalidTransition, match="cannot reschedule a visit that is in_progress"):
        crm.visits.reschedule(ANN, ids["acme"], TUESDAY, "later")
    with pytest.raises(InvariantViolation, match="plan on 2026-03-03 already visits cb"):
        crm.visits.reschedule(ANN, ids["cb"], TUESDAY, "twice")
    with pytest.raises(ValidationError, match=r"day: visit [\w-]+ is already on 2026-03-02"):
        crm.visits.reschedule(ANN, ids["lin"], MONDAY, "same day")
    with pytest.raises(ValidationError, match=r"day: 2026-03-01 is in the past"):
        crm.visits.reschedule(ANN, ids["lin"], date(2026, 3, 1), "yesterday")
    with pytest.raises(ValidationError, match="reason: required to reschedule"):
        crm.visits.reschedule(ANN, ids["lin"], TUESDAY, "  ")
    with pytest.raises(ValidationError, match="day"):
        crm.visits.reschedule(ANN, ids["lin"], "2026-03-04", "a string")  # type: ignore[arg-type]
    assert world.snapshot() == before
    assert world.sent() == []


def test_a_cancelled_or_finished_visit_cannot_move(world: World) -> None:
    ids, _ = _plans(world)
    crm = world.crm
    crm.visits.cancel(ANN, ids["lin"], "customer moved")
    with pytest.raises(InvalidTransition, match="cannot reschedule a visit that is cancelled"):
        crm.visits.reschedule(ANN, ids["lin"], TUESDAY, "try again")
