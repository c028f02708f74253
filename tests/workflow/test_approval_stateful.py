"""Random approve / reject / delegate / withdraw / tick sequences by random people.

The oracle is a model of its own, fed only by the events the request raises: per run
(``round``) of a step it keeps the seats (the approvers the step started with), who holds
each seat now (delegations and escalations move a seat), and which distinct people
approved or rejected. It decides the step itself from the step's mode, counting people,
never tasks, and the request's ``ApprovalStepDecided`` must agree with it to the answer.

After every step: nobody decides without holding the task; one person answers at most once
per step run (so one person can never fill two seats of a quorum); a step is decided
exactly when the model says its mode is satisfied; history only grows; a pending request
has an open task; a decided request never changes again; each reminder fires at most once
per seat, step run and offset, and each seat goes overdue at most once per step run,
however the seat was delegated or escalated.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import attrs
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.events import DomainEvent
from crmcore.serialization import from_dict, to_dict
from crmcore.workflow import (
    ALL,
    ANY,
    QUORUM,
    ApprovalEscalationFailed,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalReminderSent,
    ApprovalStatus,
    ApprovalStepDecided,
    ApprovalStepStarted,
    ApprovalTaskApproved,
    ApprovalTaskDelegated,
    ApprovalTaskEscalated,
    ApprovalTaskOverdue,
    ApprovalTaskRejected,
    Compare,
    ManagerOf,
    ManagerOfApprover,
    Mode,
    OnReject,
    Op,
    Role,
    Sla,
    Step,
    User,
)
from tests.workflow.workflow_helpers import T0, Order, actor, org

PEOPLE = ["sam", "sue", "mia", "dan", "f1", "f2", "f3", "cfo", "wes", "kim", "old"]

approvers_and_modes = st.sampled_from(
    [
        ((ManagerOf(1),), ANY),
        ((ManagerOf(1),), ALL),
        ((User("f1"), User("f2"), User("f3")), ANY),
        ((User("f1"), User("f2"), User("f3")), ALL),
        ((User("f1"), User("f2"), User("f3")), QUORUM(2)),
        ((Role("finance"),), QUORUM(2)),
        ((Role("finance"),), ALL),
        ((User("f1"), ManagerOf(1)), QUORUM(2)),
        # cfo manages f1 and f2: escalating their seats to their manager reaches a seat holder
        ((User("f1"), User("f2"), User("cfo")), QUORUM(2)),
        ((User("f1"), User("f2"), User("cfo")), ALL),
    ]
)
slas = st.sampled_from(
    [
        None,
        Sla(8, (4,), ManagerOfApprover()),
        Sla(6),
        Sla(5, (2,), User("dan")),
        # escalates to an approver of the finance steps themselves
        Sla(4, (3, 1), User("f1")),
    ]
)
conditions = st.sampled_from(
    [None, Compare("region", Op.EQ, "north"), Compare("region", Op.EQ, "south")]
)


@st.composite
def steps(draw: st.DrawFn, index: int) -> Step:
    approvers, mode = draw(approvers_and_modes)
    return Step(
        f"step{index}",
        approvers,
        mode=mode,
        condition=draw(conditions),
        on_reject=draw(st.sampled_from(list(OnReject))),
        sla=draw(slas),
        allow_delegation=draw(st.booleans()),
    )


@st.composite
def processes(draw: st.DrawFn) -> ApprovalProcess:
    n = draw(st.integers(1, 3))
    return ApprovalProcess(
        "order-approval",
        1,
        "order",
        [draw(steps(i)) for i in range(n)],
        fallback_approvers=[User("dan"), User("wes")],
    )


REFUSALS = (InvalidTransition, PermissionDenied, ValidationError, NotFound)


def expected_outcome(
    mode: Mode, seats: int, approved: set[str], rejected: set[str], waiting: set[str]
) -> bool | None:
    """The model's own reading of a mode, over distinct people (not the code's Mode.outcome).

    ANY: the first answer decides. ALL: one rejection rejects; as many distinct approvers as
    seats approves. QUORUM(n): n distinct approvers approve; it is rejected once the
    approvers plus the people still able to answer cannot reach n.
    """
    if mode.kind == "ANY":
        return True if approved else (False if rejected else None)
    if mode.kind == "ALL":
        if rejected:
            return False
        return True if len(approved) == seats else None
    if len(approved) >= mode.n:
        return True
    if len(approved) + len(waiting - approved - rejected) < mode.n:
        return False
    return None


@attrs.define
class StepRun:
    """The model of one run of one step, built from the events alone."""

    step: str
    round: int
    mode: Mode
    seats: tuple[str, ...]
    holder: dict[str, str]  # seat (original approver) -> who holds it now
    answered: set[str] = attrs.field(factory=set)  # seats answered
    approved: set[str] = attrs.field(factory=set)  # people
    rejected: set[str] = attrs.field(factory=set)  # people
    decided: bool | None = None

    def waiting(self) -> set[str]:
        return {self.holder[s] for s in self.seats if s not in self.answered}

    def expected(self) -> bool | None:
        return expected_outcome(
            self.mode, len(self.seats), self.approved, self.rejected, self.waiting()
        )


class ApprovalRequestMachine(RuleBasedStateMachine):
    """Drives one request; the model in ``self.runs`` follows every event it raised."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = org()
        self.events: list[DomainEvent] = []
        self.seen_history: tuple[Any, ...] = ()
        self.frozen: tuple[Any, ...] | None = None
        self.runs: list[StepRun] = []
        self.task_seat: dict[str, str] = {}  # task id -> seat, learnt from the events
        self.answers: Counter[tuple[int, str]] = Counter()  # (round, person)
        self.reminders: Counter[tuple[str, int, int]] = Counter()  # (seat, round, hours)
        self.overdue: Counter[tuple[str, int]] = Counter()  # (seat, round)

    @initialize(process=processes(), submitter=st.sampled_from(["sam", "sue"]))
    def submit(self, process: ApprovalProcess, submitter: str) -> None:
        self.now = T0
        self.request = ApprovalInstance.start(
            process, Order(), actor(submitter), self.directory, at=T0, instance_id="AP-1"
        )
        self.collect()

    # -- the model -------------------------------------------------------------------------

    def state(self) -> tuple[Any, ...]:
        r = self.request
        return (r.status, r.current_step, r.round, r.tasks, r.history, r.decided_at)

    def collect(self) -> None:
        for e in self.request.pull_events():
            self.events.append(e)
            self.follow(e)

    def seat(self, task_id: str, holder: str) -> str:
        """The seat a task fills: learnt when it was handed over, else the holder's own."""
        run = self.runs[-1]
        seat = self.task_seat.setdefault(task_id, holder)
        assert run.holder.get(seat) == holder, (task_id, seat, run.holder, holder)
        return seat

    def follow(self, e: DomainEvent) -> None:
        if isinstance(e, ApprovalStepStarted):
            assert len(set(e.approver_ids)) == len(e.approver_ids)
            assert not self.runs or self.runs[-1].decided is not None
            assert e.round == len(self.runs) + 1
            mode = self.request.process.step(e.step).mode
            self.runs.append(
                StepRun(e.step, e.round, mode, e.approver_ids, {a: a for a in e.approver_ids})
            )
            return
        if not self.runs:
            return
        run = self.runs[-1]
        if isinstance(e, ApprovalTaskApproved | ApprovalTaskRejected):
            assert run.decided is None
            assert e.step == run.step
            seat = self.seat(e.task_id, e.approver_id)
            assert seat == e.original_approver_id
            assert seat not in run.answered
            run.answered.add(seat)
            self.answers[(run.round, e.approver_id)] += 1
            if isinstance(e, ApprovalTaskApproved):
                run.approved.add(e.approver_id)
            else:
                run.rejected.add(e.approver_id)
        elif isinstance(e, ApprovalTaskDelegated | ApprovalTaskEscalated):
            seat = self.seat(e.task_id, e.from_id)
            run.holder[seat] = e.to_id
            self.task_seat[e.new_task_id] = seat
            if isinstance(e, ApprovalTaskEscalated):
                self.overdue[(seat, run.round)] += 1
        elif isinstance(e, ApprovalTaskOverdue | ApprovalEscalationFailed):
            self.overdue[(self.seat(e.task_id, e.approver_id), run.round)] += 1
        elif isinstance(e, ApprovalReminderSent):
            seat = self.seat(e.task_id, e.recipient_id)
            self.reminders[(seat, run.round, e.hours_before)] += 1
        elif isinstance(e, ApprovalStepDecided):
            assert (e.step, e.round) == (run.step, run.round)
            assert run.decided is None
            assert e.approved is run.expected(), (run, e)
            run.decided = e.approved

    def attempt(self, who: str, command: Any) -> bool:
        """Run a command; a refusal must leave everything as it was. True when it went ahead."""
        self.now += timedelta(hours=1)
        before = self.state()
        holders = {t.approver_id for t in self.request.open_tasks()}
        try:
            command()
        except REFUSALS:
            assert self.state() == before
            assert self.request.pull_events() == []
            return False
        self.collect()
        return who in holders or who == self.request.submitter_id

    # -- rules -----------------------------------------------------------------------------

    @rule(who=st.sampled_from(PEOPLE), comment=st.sampled_from(["", "ok"]))
    def approve(self, who: str, comment: str) -> None:
        was_pending = not self.request.is_decided
        holders = {t.approver_id for t in self.request.open_tasks()}
        done = self.attempt(
            who,
            lambda: self.request.approve(
                actor(who), at=self.now, directory=self.directory, comment=comment
            ),
        )
        assert done == (was_pending and who in holders)

    @rule(who=st.sampled_from(PEOPLE), comment=st.sampled_from(["", "too cheap"]))
    def reject(self, who: str, comment: str) -> None:
        was_pending = not self.request.is_decided
        holders = {t.approver_id for t in self.request.open_tasks()}
        done = self.attempt(
            who,
            lambda: self.request.reject(
                actor(who), at=self.now, directory=self.directory, comment=comment
            ),
        )
        assert done == (was_pending and who in holders and bool(comment))

    @rule(who=st.sampled_from(PEOPLE), to=st.sampled_from(PEOPLE))
    def delegate(self, who: str, to: str) -> None:
        holders = {t.approver_id for t in self.request.open_tasks()}
        run = self.runs[-1] if self.runs else None
        engaged = (run.approved | run.rejected) if run else set()
        done = self.attempt(
            who,
            lambda: self.request.delegate(actor(who), to, at=self.now, directory=self.directory),
        )
        if done:
            assert who in holders
            assert to not in holders
            assert to not in engaged
            assert to in {t.approver_id for t in self.request.open_tasks()}

    @rule(who=st.sampled_from(PEOPLE))
    def withdraw(self, who: str) -> None:
        was_pending = not self.request.is_decided
        self.attempt(who, lambda: self.request.withdraw(actor(who), at=self.now))
        if was_pending and who == self.request.submitter_id:
            assert self.request.status is ApprovalStatus.WITHDRAWN

    @rule(hours=st.integers(0, 12))
    def tick(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        before = self.state()
        self.request.tick(self.now, self.directory)
        self.collect()
        if self.frozen is not None:
            assert self.state() == before

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def decisions_come_from_task_holders(self) -> None:
        tasks = {t.id: t for t in self.request.tasks}
        for e in self.events:
            if isinstance(e, ApprovalTaskApproved | ApprovalTaskRejected):
                task = tasks[e.task_id]
                assert e.actor_id == e.approver_id == task.approver_id
                assert task.original_approver_id == e.original_approver_id
        for t in self.request.tasks:
            if t.approver_id != t.original_approver_id:
                # someone handed this seat over: a delegation or an escalation recorded it
                assert any(
                    p.handed_to == t.approver_id
                    and p.original_approver_id == t.original_approver_id
                    for p in self.request.tasks
                )

    @invariant()
    def one_person_answers_once_per_step_run(self) -> None:
        assert all(n == 1 for n in self.answers.values()), self.answers

    @invariant()
    def a_seat_is_held_by_one_person_and_a_person_holds_one_seat(self) -> None:
        if self.request.status is ApprovalStatus.PENDING:
            run = self.runs[-1]
            holders = [run.holder[s] for s in run.seats]
            assert len(set(holders)) == len(holders), run
            assert {t.approver_id for t in self.request.open_tasks()} == run.waiting()

    @invariant()
    def a_step_is_decided_exactly_when_the_model_says_so(self) -> None:
        # Decisions were checked as their events arrived; an undecided run must stay so.
        if self.request.status is ApprovalStatus.PENDING:
            run = self.runs[-1]
            assert run.decided is None
            step = self.request.step
            assert step is not None
            assert step.name == run.step
            assert self.request.round == run.round
            assert run.expected() is None, run

    @invariant()
    def reminders_and_overdue_notices_fire_once_per_seat(self) -> None:
        assert all(n == 1 for n in self.reminders.values()), self.reminders
        assert all(n == 1 for n in self.overdue.values()), self.overdue

    @invariant()
    def storing_and_loading_changes_nothing(self) -> None:
        data = json.loads(json.dumps(to_dict(self.request)))
        assert from_dict(ApprovalInstance, data) == self.request

    @invariant()
    def history_only_grows(self) -> None:
        history = self.request.history
        assert history[: len(self.seen_history)] == self.seen_history
        self.seen_history = history

    @invariant()
    def a_pending_request_has_an_open_task(self) -> None:
        if self.request.status is ApprovalStatus.PENDING:
            assert self.request.open_tasks()
        else:
            assert self.request.open_tasks() == []

    @invariant()
    def a_decided_request_never_changes(self) -> None:
        if self.request.is_decided:
            if self.frozen is None:
                self.frozen = self.state()
            assert self.state() == self.frozen

    def teardown(self) -> None:
        if hasattr(self, "request"):
            event(f"request ends {self.request.status.name}")
            event(f"{len(self.events)} events" if len(self.events) < 10 else "10+ events")
            handed = sum(
                isinstance(e, ApprovalTaskDelegated | ApprovalTaskEscalated) for e in self.events
            )
            event("a seat changed hands" if handed else "no seat changed hands")


TestApprovalRequest = ApprovalRequestMachine.TestCase
