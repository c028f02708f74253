"""Random sequences of visit commands: refusals change nothing, what was recorded is never
lost, and the status always agrees with the check-in and check-out recorded."""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmcore.errors import CrmError
from crmcore.ports import Actor
from crmcore.visits import Visit, VisitStatus, from_data, to_data

from .visits_helpers import ALICE, AT, BOB, MARY, STOCK, catalog, north, rules, visit

PEOPLE = st.sampled_from([ALICE, BOB, MARY])
RULES = st.sampled_from(
    [
        rules(),
        rules(outside="refuse"),
        rules(check_in="optional", check_out="optional", min_minutes=None, max_minutes=None),
    ]
)


class VisitMachine(RuleBasedStateMachine):
    """Drive one visit with any command by anyone at a clock that moves on."""

    def __init__(self) -> None:
        super().__init__()
        self.visit = visit(department="retail")
        self.now = AT
        self.before: Visit = copy.deepcopy(self.visit)
        self.events = 0
        self.refused = 0

    def _attempt(self, command: object) -> None:
        snapshot = copy.deepcopy(self.visit)
        pending = len(self.visit.peek_events())
        try:
            command()  # type: ignore[operator]
        except CrmError:
            self.refused += 1
            assert self.visit == snapshot, "a refused command changed the visit"
            assert len(self.visit.peek_events()) == pending
        self.before = snapshot

    @rule(minutes=st.integers(0, 50))
    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(who=PEOPLE, steps=st.integers(0, 4), r=RULES)
    def check_in(self, who: Actor, steps: int, r: object) -> None:
        self._attempt(lambda: self.visit.check_in_at(who, north(steps), r, at=self.now))  # type: ignore[arg-type]

    @rule(who=PEOPLE, action=st.sampled_from(["stock", "campaign", "shelf"]), r=RULES)
    def record(self, who: Actor, action: str, r: object) -> None:
        data = {
            "stock": STOCK,
            "campaign": {"executed": True, "display": "shelf"},
            "shelf": {"photo": "img://1"},
        }[action]
        self._attempt(
            lambda: self.visit.record_action(who, action, data, catalog(), r, at=self.now)  # type: ignore[arg-type]
        )

    @rule(who=PEOPLE, text=st.sampled_from(["ok", "", "met the buyer"]))
    def note(self, who: Actor, text: str) -> None:
        self._attempt(lambda: self.visit.add_note(who, text, at=self.now))

    @rule(who=PEOPLE, steps=st.integers(0, 4), r=RULES, with_location=st.booleans())
    def check_out(self, who: Actor, steps: int, r: object, with_location: bool) -> None:
        where = north(steps) if with_location else None
        self._attempt(
            lambda: self.visit.check_out_at(who, where, r, catalog(), at=self.now)  # type: ignore[arg-type]
        )

    @rule(who=PEOPLE, reason=st.sampled_from(["", "closed"]))
    def cancel(self, who: Actor, reason: str) -> None:
        self._attempt(lambda: self.visit.cancel(who, reason, at=self.now))

    @rule(who=PEOPLE, colleague=st.sampled_from(["bob", "mary", "alice"]))
    def ask(self, who: Actor, colleague: str) -> None:
        self._attempt(lambda: self.visit.request_co_visit(who, colleague, at=self.now))

    @rule(who=PEOPLE, steps=st.integers(0, 6), r=RULES)
    def join(self, who: Actor, steps: int, r: object) -> None:
        self._attempt(lambda: self.visit.co_visit_check_in(who, north(steps), r, at=self.now))  # type: ignore[arg-type]

    @rule(who=PEOPLE, rating=st.integers(0, 6))
    def rate(self, who: Actor, rating: int) -> None:
        self._attempt(lambda: self.visit.co_visit_feedback(who, rating, "noted", at=self.now))

    @precondition(lambda self: self.visit.peek_events())
    @rule()
    def commit(self) -> None:
        self.events += len(self.visit.pull_events())

    @invariant()
    def nothing_recorded_is_lost(self) -> None:
        v, b = self.visit, self.before
        for name in ("history", "actions", "notes"):
            now, then = getattr(v, name), getattr(b, name)
            assert now[: len(then)] == then, f"{name} lost or rewrote an entry"
        assert [c.user_id for c in v.co_visits][: len(b.co_visits)] == [
            c.user_id for c in b.co_visits
        ]

    @invariant()
    def status_agrees_with_the_stamps(self) -> None:
        v = self.visit
        assert v.history[-1].to_status is v.status
        if v.status is VisitStatus.IN_PROGRESS:
            assert v.check_in is not None
            assert v.check_out is None
        if v.status is VisitStatus.COMPLETED:
            assert v.check_out is not None
            assert v.missing_actions(catalog()) == ()
            assert v.duration_s is None or v.duration_s >= 0
        if v.status in (VisitStatus.PLANNED, VisitStatus.CANCELLED):
            assert v.check_out is None
        assert v.outside_tolerance == any(
            s is not None and s.outside_tolerance for s in (v.check_in, v.check_out)
        )

    @invariant()
    def it_loads_back_equal(self) -> None:
        assert from_data(Visit, to_data(self.visit)) == self.visit


TestVisitMachine = VisitMachine.TestCase
TestVisitMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
