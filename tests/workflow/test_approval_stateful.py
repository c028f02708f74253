"""Random approve / reject / delegate / withdraw / tick sequences by random people.

After every step: nobody decides without holding the task; a step is decided exactly when its
mode is satisfied; history only grows; a pending request has an open task; a decided request
never changes again; reminders and escalations happen at most once each.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

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
from crmcore.workflow import (
    ALL,
    ANY,
    QUORUM,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalReminderSent,
    ApprovalStatus,
    ApprovalStepDecided,
    ApprovalTaskApproved,
    ApprovalTaskEscalated,
    ApprovalTaskRejected,
    Compare,
    ManagerOf,
    ManagerOfApprover,
    OnReject,
    Op,
    Role,
    Sla,
    Step,
    TaskStatus,
    User,
)

from ._org import T0, Order, actor, org

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
    ]
)
slas = st.sampled_from(
    [None, Sla(8, (4,), ManagerOfApprover()), Sla(6), Sla(5, (2,), User("dan"))]
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
        fallback_approvers=[User("dan")],
    )


REFUSALS = (InvalidTransition, PermissionDenied, ValidationError, NotFound)


class ApprovalRequestMachine(RuleBasedStateMachine):
    """Drives one request; ``self.events`` collects every event it raised."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = org()
        self.events: list[DomainEvent] = []
        self.seen_history: tuple[Any, ...] = ()
        self.frozen: tuple[Any, ...] | None = None

    @initialize(process=processes(), submitter=st.sampled_from(["sam", "sue"]))
    def submit(self, process: ApprovalProcess, submitter: str) -> None:
        self.now = T0
        self.request = ApprovalInstance.start(
            process, Order(), actor(submitter), self.directory, at=T0, instance_id="AP-1"
        )
        self.collect()

    # -- helpers ---------------------------------------------------------------------------

    def state(self) -> tuple[Any, ...]:
        r = self.request
        return (r.status, r.current_step, r.round, r.tasks, r.history, r.decided_at)

    def collect(self) -> None:
        self.events += self.request.pull_events()

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
        done = self.attempt(
            who,
            lambda: self.request.delegate(actor(who), to, at=self.now, directory=self.directory),
        )
        if done:
            assert who in holders
            assert to not in holders
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
    def steps_are_decided_exactly_when_their_mode_is_satisfied(self) -> None:
        r = self.request
        for e in self.events:
            if isinstance(e, ApprovalStepDecided):
                round_tasks = [t for t in r.tasks if t.round == e.round]
                count = Counter(t.status for t in round_tasks)
                mode = r.process.step(e.step).mode
                assert (
                    mode.outcome(
                        count[TaskStatus.APPROVED],
                        count[TaskStatus.REJECTED],
                        count[TaskStatus.NO_RESPONSE],
                    )
                    is e.approved
                )
        if r.status is ApprovalStatus.PENDING:
            step = r.step
            assert step is not None
            count = Counter(t.status for t in r.current_tasks())
            assert (
                step.mode.outcome(
                    count[TaskStatus.APPROVED],
                    count[TaskStatus.REJECTED],
                    count[TaskStatus.PENDING],
                )
                is None
            )

    @invariant()
    def storing_and_loading_changes_nothing(self) -> None:
        data = json.loads(json.dumps(self.request.to_dict()))
        assert ApprovalInstance.from_dict(data) == self.request

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

    @invariant()
    def reminders_and_escalations_happen_once(self) -> None:
        reminders = Counter(
            (e.task_id, e.hours_before) for e in self.events if isinstance(e, ApprovalReminderSent)
        )
        assert all(n == 1 for n in reminders.values())
        escalations = Counter(
            e.task_id for e in self.events if isinstance(e, ApprovalTaskEscalated)
        )
        assert all(n == 1 for n in escalations.values())

    def teardown(self) -> None:
        if hasattr(self, "request"):
            event(f"request ends {self.request.status.name}")
            event(f"{len(self.events)} events" if len(self.events) < 10 else "10+ events")


TestApprovalRequest = ApprovalRequestMachine.TestCase
