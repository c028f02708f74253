"""Random people make random visit calls through the services, at a clock that moves on: a
refused call changes nothing and sends nothing, every committed change names the user who
made it, plans and visits always agree (each planned stop is a visit of that plan and day,
each visit on a plan is one of its stops), what a visit recorded is never lost, and the
analysis never shows more than 100 %.

The actors include a salesperson claiming admin, a user the Directory has deactivated and
one it never heard of: they act with the Directory's roles, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import CrmError
from crmcore.ports import Actor, DirectoryUser
from crmcore.services import KINDS
from crmcore.visits import Visit, VisitPlan, VisitStatus
from tests.services.helpers import ACTORS, World
from tests.services.test_services_stateful import _Watched
from tests.services.test_visit_services import MONDAY, SETTINGS, STOCK, north

FORGED = Actor("bob", {"sales", "admin"})
INACTIVE = Actor("leo", {"sales"})
UNKNOWN = Actor("ghost", {"manager"})
#: The owners and their manager more often than not, so calls get made as well as refused.
_OFTEN = ("ann", "ann", "ann", "bob", "bob", "mia", "mia", "dan", "fay")
PEOPLE = st.sampled_from(
    [*(ACTORS[name] for name in _OFTEN), FORGED, INACTIVE, UNKNOWN, "ann", "mia"]
)
CUSTOMERS = ("acme", "lin", "cb", "zen", "bobco")
OWNERS = st.sampled_from(["ann", "bob"])
DAYS = st.integers(min_value=0, max_value=3)
INDEX = st.integers(min_value=0, max_value=20)
SPOT = st.integers(min_value=0, max_value=9)


class VisitServicesMachine(RuleBasedStateMachine):
    world: World

    @initialize()
    def start(self) -> None:
        self.world = World(_Watched(KINDS), visits=SETTINGS)
        self.world.directory.put(
            DirectoryUser(
                "leo", roles={"sales"}, department="east", manager_id="mia", active=False
            )
        )
        mia = ACTORS["mia"]
        for n, (customer, owner, tier) in enumerate(
            zip(CUSTOMERS, ["ann", "ann", "ann", "bob", "bob"], "AABAB", strict=True)
        ):
            self.world.crm.visits.register_customer(
                mia, customer, customer.title(), north(n * 2 + 1), owner_id=owner, tier=tier
            )
        self.world.crm.visits.plan_day(mia, "ann", MONDAY, ["acme", "lin", "cb"])
        self.world.crm.visits.plan_day(mia, "bob", MONDAY, ["zen", "bobco"])
        self.world.crm.visits.plan_day(mia, "ann", MONDAY + timedelta(days=1), ["acme"])
        self.world.sent()
        self.refused = 0
        self.committed = 0
        self.records: dict[str, tuple[int, int, int, int]] = {}

    # -- helpers ----------------------------------------------------------------------------
    def _stored(self, cls: type[Any]) -> list[Any]:
        with self.world.storage.unit_of_work() as uow:
            return sorted(uow.repository(cls).find(), key=lambda a: a.id)

    def _visit(self, index: int) -> str:
        ids = [v.id for v in self._stored(Visit)]
        return ids[index % len(ids)] if ids else "no-visit"

    def _try(self, call: Callable[[], Any], actor: Actor | str) -> None:
        before = self.world.snapshot()
        sent_before = len(self.world.notifier.sent)
        storage = self.world.storage
        assert isinstance(storage, _Watched)
        seen_before = len(storage.seen)
        try:
            call()
        except CrmError:
            self.refused += 1
            assert self.world.snapshot() == before
            assert len(self.world.notifier.sent) == sent_before
            return
        user_id = actor if isinstance(actor, str) else actor.user_id
        assert user_id not in ("leo", "ghost"), f"{user_id} acted"
        self.world.crm.deliver()  # the outbox is delivered (and watched) after each call
        new = list(storage.seen.values())[seen_before:]
        assert new, "a committed call left no event"
        assert {e.actor_id for e in new} == {user_id}, (user_id, new)
        self.committed += 1

    # -- rules ------------------------------------------------------------------------------
    @rule(minutes=st.integers(min_value=1, max_value=240))
    def wait(self, minutes: int) -> None:
        self.world.clock.advance(minutes=minutes)

    @rule()
    def next_morning(self) -> None:
        now = self.world.clock.now()
        self.world.clock.set(now.replace(hour=9, minute=0) + timedelta(days=1))

    @rule(
        actor=PEOPLE,
        owner=OWNERS,
        day=DAYS,
        customers=st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=3),
    )
    def plan(self, actor: Actor, owner: str, day: int, customers: list[str]) -> None:
        when = MONDAY + timedelta(days=day)
        self._try(lambda: self.world.crm.visits.plan_day(actor, owner, when, customers), actor)

    @rule(actor=PEOPLE, index=INDEX, spot=SPOT)
    def check_in(self, actor: Actor, index: int, spot: int) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.check_in(actor, visit, north(spot)), actor)

    @rule(actor=PEOPLE, index=INDEX)
    def record_stock(self, actor: Actor, index: int) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.record_action(actor, visit, "stock", STOCK), actor)

    @rule(actor=PEOPLE, index=INDEX)
    def note(self, actor: Actor, index: int) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.add_note(actor, visit, "shelf half empty"), actor)

    @rule(actor=PEOPLE, index=INDEX, spot=SPOT)
    def check_out(self, actor: Actor, index: int, spot: int) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.check_out(actor, visit, north(spot)), actor)

    @rule(actor=PEOPLE, index=INDEX)
    def cancel(self, actor: Actor, index: int) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.cancel(actor, visit, "customer away"), actor)

    @rule(actor=PEOPLE, index=INDEX, day=DAYS)
    def reschedule(self, actor: Actor, index: int, day: int) -> None:
        visit, when = self._visit(index), MONDAY + timedelta(days=day)
        self._try(
            lambda: self.world.crm.visits.reschedule(actor, visit, when, "customer asked"),
            actor,
        )

    @rule(actor=PEOPLE, index=INDEX, colleague=st.sampled_from(["mia", "bob", "ann"]))
    def co_visit(self, actor: Actor, index: int, colleague: str) -> None:
        visit = self._visit(index)
        self._try(lambda: self.world.crm.visits.request_co_visit(actor, visit, colleague), actor)

    @rule(actor=PEOPLE, index=INDEX, spot=SPOT, rating=st.integers(min_value=0, max_value=6))
    def join(self, actor: Actor, index: int, spot: int, rating: int) -> None:
        visit = self._visit(index)
        self._try(
            lambda: self.world.crm.visits.co_visit_check_in(actor, visit, north(spot)), actor
        )
        self._try(
            lambda: self.world.crm.visits.co_visit_feedback(actor, visit, rating, "good"), actor
        )

    # -- invariants -------------------------------------------------------------------------
    @invariant()
    def plans_and_visits_agree(self) -> None:
        if not hasattr(self, "world"):
            return
        visits = {v.id: v for v in self._stored(Visit)}
        on_plans: dict[str, str] = {}
        for plan in self._stored(VisitPlan):
            for stop in plan.stops:
                visit = visits[stop.visit_id]
                assert (visit.plan_id, visit.day, visit.customer_id) == (
                    plan.id,
                    plan.day,
                    stop.customer_id,
                )
                assert stop.visit_id not in on_plans, "a visit on two plans"
                on_plans[stop.visit_id] = plan.id
        for visit in visits.values():
            if visit.plan_id is not None:
                assert on_plans.get(visit.id) == visit.plan_id, visit.id

    @invariant()
    def status_agrees_and_nothing_recorded_is_lost(self) -> None:
        if not hasattr(self, "world"):
            return
        for visit in self._stored(Visit):
            checked_in, checked_out = visit.check_in is not None, visit.check_out is not None
            if visit.status is VisitStatus.PLANNED:
                assert not checked_in
                assert not checked_out
            elif visit.status is VisitStatus.IN_PROGRESS:
                assert checked_in
                assert not checked_out
            elif visit.status is VisitStatus.COMPLETED:
                assert checked_out
            else:
                assert not checked_out
            counts = (
                len(visit.history),
                len(visit.actions),
                len(visit.notes),
                len(visit.reschedules),
            )
            earlier = self.records.get(visit.id, (0, 0, 0, 0))
            assert all(now >= then for now, then in zip(counts, earlier, strict=True))
            self.records[visit.id] = counts

    @invariant()
    def the_analysis_never_passes_a_hundred_percent(self) -> None:
        if not hasattr(self, "world"):
            return
        result = self.world.crm.visits.analysis(ACTORS["dan"], MONDAY, MONDAY + timedelta(days=6))
        for row in result.rows:
            assert row.planned_completed <= row.planned
            assert row.owned_covered <= row.owned_customers
            for rate in (row.completion_rate, row.coverage):
                assert rate is None or 0 <= rate <= 100


def test_a_scripted_run_commits_refuses_and_attributes() -> None:
    """One hand-written run, so the machine is known to reach each outcome."""
    machine = VisitServicesMachine()
    machine.start()
    ann, mia = ACTORS["ann"], ACTORS["mia"]
    machine.plan(mia, "ann", 2, ["acme", "lin"])
    machine.plan(INACTIVE, "ann", 3, ["cb"])  # deactivated: refused
    machine.check_in(ann, 0, 1)  # visit-1: ann's Monday at acme
    machine.record_stock(ann, 0)
    machine.wait(30)
    machine.check_out(ann, 0, 1)
    machine.reschedule(mia, 1, 3)  # visit-2, lin, to Thursday
    machine.reschedule(FORGED, 1, 2)  # bob is not ann's manager, whatever he claims
    machine.plans_and_visits_agree()
    machine.status_agrees_and_nothing_recorded_is_lost()
    machine.the_analysis_never_passes_a_hundred_percent()
    assert (machine.committed, machine.refused) == (5, 2)
    visits = {v.id: v for v in machine._stored(Visit)}
    assert visits["visit-1"].status is VisitStatus.COMPLETED
    assert visits["visit-2"].day == MONDAY + timedelta(days=3)
    assert len(visits) == 8  # 6 planned at the start, 2 on Wednesday


VisitServicesMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=40, deadline=None
)
TestVisitServicesMachine = VisitServicesMachine.TestCase
