"""A visit from plan to check-out: tolerances, required actions, durations, co-visits, and
refusals that change nothing."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest

from crmcore.errors import (
    CrmError,
    InvalidTransition,
    InvariantViolation,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.visits import (
    CoVisitRequested,
    Visit,
    VisitCheckedOut,
    VisitOutsideTolerance,
    VisitStatus,
    from_data,
    to_data,
)

from .visits_helpers import ALICE, AT, BASE, BOB, MARY, MONDAY, STOCK, catalog, north, rules, visit

MIN = timedelta(minutes=1)


def test_a_visit_inside_the_tolerance_with_its_actions_and_duration() -> None:
    v = visit()
    stamp = v.check_in_at(ALICE, north(1), rules(), at=AT)
    assert (stamp.distance_m, stamp.outside_tolerance) == (Decimal("111.20"), False)
    assert v.status is VisitStatus.IN_PROGRESS
    v.record_action(ALICE, "stock", STOCK, catalog(), rules(), at=AT + 5 * MIN)
    v.record_action(
        ALICE, "shelf", {"photo": "img://shelf/1"}, catalog(), rules(), at=AT + 6 * MIN
    )
    v.add_note(ALICE, "Buyer wants the spring catalogue", at=AT + 7 * MIN)
    out = v.check_out_at(
        ALICE, north(1), rules(), catalog(), at=AT + 42 * MIN + timedelta(seconds=30)
    )
    assert v.status is VisitStatus.COMPLETED
    assert v.duration_s == 42 * 60 + 30
    assert out.distance_m == Decimal("111.20")
    assert not v.overlong
    assert not v.outside_tolerance
    assert [c.to_status.value for c in v.history] == ["planned", "in_progress", "completed"]
    names = [e.event_name for e in v.pull_events()]
    assert names == [
        "VisitCheckedIn",
        "VisitActionRecorded",
        "VisitActionRecorded",
        "VisitNoted",
        "VisitCheckedOut",
    ]


def test_a_check_in_outside_the_tolerance_is_flagged_and_reported() -> None:
    v = visit()
    stamp = v.check_in_at(ALICE, north(2), rules(), at=AT)  # 222.39 m > 200 m
    assert (stamp.distance_m, stamp.outside_tolerance) == (Decimal("222.39"), True)
    flagged = [e for e in v.pull_events() if isinstance(e, VisitOutsideTolerance)]
    assert len(flagged) == 1
    assert (flagged[0].step, flagged[0].distance_m, flagged[0].tolerance_m) == (
        "check-in",
        Decimal("222.39"),
        Decimal("200"),
    )
    assert v.outside_tolerance


def test_by_policy_a_check_in_outside_the_tolerance_is_refused_and_nothing_recorded() -> None:
    v = visit()
    before = copy.deepcopy(v)
    with pytest.raises(ValidationError, match=r"location: check-in 222.39 m from the customer"):
        v.check_in_at(ALICE, north(2), rules(outside="refuse"), at=AT)
    assert v == before
    assert v.peek_events() == []
    v.check_in_at(ALICE, north(1), rules(outside="refuse"), at=AT)  # 111.20 m is fine


def test_check_out_waits_for_every_required_action_of_the_department() -> None:
    v = visit(department="retail")
    v.check_in_at(ALICE, BASE, rules(), at=AT)
    v.record_action(ALICE, "stock", STOCK, catalog(), rules(), at=AT + MIN)
    before = copy.deepcopy(v)
    with pytest.raises(InvariantViolation, match=r"required actions missing: \['campaign'\]"):
        v.check_out_at(ALICE, BASE, rules(), catalog(), at=AT + 30 * MIN)
    assert v == before
    v.record_action(
        ALICE,
        "campaign",
        {"executed": True, "display": "end cap"},
        catalog(),
        rules(),
        at=AT + 31 * MIN,
    )
    v.check_out_at(ALICE, BASE, rules(), catalog(), at=AT + 32 * MIN)
    assert v.status is VisitStatus.COMPLETED


def test_a_corrected_action_is_a_new_revision_and_the_first_stays() -> None:
    v = visit()
    v.check_in_at(ALICE, BASE, rules(), at=AT)
    v.record_action(ALICE, "stock", STOCK, catalog(), rules(), at=AT + MIN)
    v.record_action(ALICE, "stock", {"counts": {"SKU-1": 11}}, catalog(), rules(), at=AT + 2 * MIN)
    assert [(r.revision, r.data["counts"]) for r in v.actions] == [
        (1, {"SKU-1": 12, "SKU-2": 0}),
        (2, {"SKU-1": 11}),
    ]
    assert v.current_actions()["stock"].revision == 2


def test_too_short_is_refused_and_overlong_is_flagged() -> None:
    v = visit()
    v.check_in_at(ALICE, BASE, rules(), at=AT)
    v.record_action(ALICE, "stock", STOCK, catalog(), rules(), at=AT + MIN)
    with pytest.raises(InvariantViolation, match="after 9 min 59 s; the minimum is 10 min"):
        v.check_out_at(ALICE, BASE, rules(), catalog(), at=AT + 10 * MIN - timedelta(seconds=1))
    v.check_out_at(ALICE, BASE, rules(), catalog(), at=AT + 121 * MIN)
    assert v.overlong
    assert v.duration_s == 7260
    (out,) = [e for e in v.pull_events() if isinstance(e, VisitCheckedOut)]
    assert out.overlong
    assert out.duration_s == 7260


def test_without_required_check_in_a_visit_can_be_finished_directly() -> None:
    loose = rules(check_in="optional", check_out="optional", min_minutes=None)
    v = visit()
    v.record_action(ALICE, "stock", STOCK, catalog(), loose, at=AT)
    v.check_out_at(ALICE, None, loose, catalog(), at=AT + 5 * MIN)
    assert v.status is VisitStatus.COMPLETED
    assert v.duration_s is None
    assert v.check_out is not None
    assert v.check_out.location is None


def test_check_in_switched_off_or_without_a_required_location() -> None:
    v = visit()
    with pytest.raises(InvalidTransition, match="check-in is switched off"):
        v.check_in_at(ALICE, BASE, rules(check_in="off"), at=AT)
    with pytest.raises(ValidationError, match="location: the rules require a location"):
        v.check_in_at(ALICE, None, rules(), at=AT)
    with pytest.raises(ValidationError, match="location: check-out locations are off"):
        v.check_out_at(ALICE, BASE, rules(check_in="optional", check_out="off"), catalog(), at=AT)


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (lambda v: v.check_in_at(BOB, BASE, rules(), at=AT), PermissionDenied, "only its owner"),
        (
            lambda v: v.check_in_at(ALICE, BASE, rules(), at=AT + timedelta(days=1)),
            ValidationError,
            "at: visit v1 is planned for 2026-03-02, not 2026-03-03",
        ),
        (
            lambda v: v.record_action(ALICE, "stock", STOCK, catalog(), rules(), at=AT),
            InvalidTransition,
            "check in before you record an action",
        ),
        (
            lambda v: v.check_out_at(ALICE, BASE, rules(), catalog(), at=AT),
            InvalidTransition,
            "check in before you check out",
        ),
        (lambda v: v.cancel(ALICE, " ", at=AT), ValidationError, "reason: required"),
        (lambda v: v.add_note(BOB, "hi", at=AT), PermissionDenied, "only the owner alice"),
        (lambda v: v.add_note(ALICE, "", at=AT), ValidationError, "text: a note must be"),
        (
            lambda v: v.check_in_at(ALICE, BASE, rules(), at=AT.replace(tzinfo=None)),
            ValidationError,
            "at: expected an aware datetime",
        ),
        (
            lambda v: v.check_in_at("alice", BASE, rules(), at=AT),
            ValidationError,
            "actor: expected an Actor",
        ),
        (
            lambda v: v.check_in_at(ALICE, (31, 121), rules(), at=AT),
            ValidationError,
            "location: expected a GeoPoint",
        ),
        (
            lambda v: v.request_co_visit(ALICE, "alice", at=AT),
            ValidationError,
            "colleague_id: alice owns the visit",
        ),
        (
            lambda v: v.co_visit_check_in(BOB, BASE, rules(), at=AT),
            PermissionDenied,
            "bob was not asked to join",
        ),
        (
            lambda v: v.check_in_at(ALICE, BASE, rules(), at=AT - timedelta(days=4)),
            ValidationError,
            "is before visit v1.s last change",
        ),
    ],
)
def test_refused_commands_name_the_problem_and_change_nothing(
    command: object, error: type[CrmError], message: str
) -> None:
    v = visit()
    before = copy.deepcopy(v)
    with pytest.raises(error, match=message):
        command(v)  # type: ignore[operator]
    assert v == before
    assert v.peek_events() == []


def test_a_cancelled_visit_takes_nothing_more_and_keeps_its_history() -> None:
    v = visit()
    v.cancel(MARY, "customer closed for inventory", at=AT)
    assert v.history[-1].reason == "customer closed for inventory"
    with pytest.raises(InvalidTransition, match="cannot check in a visit that is cancelled"):
        v.check_in_at(ALICE, BASE, rules(), at=AT + MIN)
    with pytest.raises(InvalidTransition, match="cancelled, no more notes"):
        v.add_note(ALICE, "late note", at=AT + MIN)


def test_a_co_visit_joins_checks_in_and_rates_once() -> None:
    v = visit()
    v.request_co_visit(ALICE, "mary", at=AT - timedelta(hours=1))
    (requested,) = v.pull_events()
    assert isinstance(requested, CoVisitRequested)
    assert requested.colleague_id == "mary"
    with pytest.raises(InvariantViolation, match="mary is already asked"):
        v.request_co_visit(ALICE, "mary", at=AT - timedelta(hours=1))
    v.check_in_at(ALICE, BASE, rules(), at=AT)
    with pytest.raises(InvalidTransition, match="mary must check in first"):
        v.co_visit_feedback(MARY, 4, "good", at=AT + MIN)
    stamp = v.co_visit_check_in(MARY, north(5), rules(), at=AT + 2 * MIN)
    assert (stamp.distance_m, stamp.outside_tolerance) == (Decimal("555.98"), True)
    v.add_note(MARY, "Alice handled the price objection well", at=AT + 3 * MIN)
    with pytest.raises(ValidationError, match=r"rating: expected a whole number 1\.\.5, got 6"):
        v.co_visit_feedback(MARY, 6, "great", at=AT + 4 * MIN)
    co = v.co_visit_feedback(MARY, 4, "Clear pitch; follow up on the display", at=AT + 4 * MIN)
    assert (co.rating, co.rated_at) == (4, AT + 4 * MIN)
    with pytest.raises(InvalidTransition, match="already gave feedback"):
        v.co_visit_feedback(MARY, 5, "again", at=AT + 5 * MIN)
    assert [n.by for n in v.notes] == ["mary"]


def test_a_visit_loads_back_equal_with_typed_action_values() -> None:
    v = visit()
    v.check_in_at(ALICE, BASE, rules(), at=AT)
    v.record_action(
        ALICE, "prices", {"seen": {"SKU-1": Money("12.50", "CNY")}}, catalog(), rules(), at=AT
    )
    v.request_co_visit(ALICE, "bob", at=AT + MIN)
    v.pull_events()
    import json

    again = from_data(Visit, json.loads(json.dumps(to_data(v))))
    assert again == v
    assert again.actions[0].data["seen"]["SKU-1"] == Money("12.50", "CNY")


def test_schedule_refuses_a_datetime_day_and_a_missing_site() -> None:
    with pytest.raises(ValidationError, match="day: expected a date"):
        Visit.schedule("v", owner_id="a", customer_id="c", site=BASE, day=AT, by=ALICE, at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="site: expected a GeoPoint"):
        Visit.schedule("v", owner_id="a", customer_id="c", site=None, day=MONDAY, by=ALICE, at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="actor: expected an Actor"):
        Visit.schedule("v", owner_id="a", customer_id="c", site=BASE, day=MONDAY, by=Actor, at=AT)  # type: ignore[arg-type]
