"""Read-only views of approval requests: the submitter's progress and an approver's to-do list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from crmcore.workflow._tasks import TaskStatus

if TYPE_CHECKING:
    from crmcore.workflow._approval import ApprovalInstance

__all__ = [
    "Answer",
    "ApprovalProgress",
    "ApprovalTodo",
    "Awaiting",
    "StepProgress",
    "pending_tasks_for",
    "progress_of",
]


@attrs.frozen(kw_only=True)
class Answer:
    """Someone who answered in the current step (for ``original_approver_id`` if delegated)."""

    approver_id: str
    original_approver_id: str
    decision: str
    at: datetime
    comment: str


@attrs.frozen(kw_only=True)
class Awaiting:
    """Someone whose answer the current step still waits for, since when and until when."""

    approver_id: str
    original_approver_id: str
    since: datetime
    due_at: datetime | None


@attrs.frozen(kw_only=True)
class StepProgress:
    """A step and its state: waiting, in progress, approved, rejected, skipped, not reached."""

    name: str
    state: str


@attrs.frozen(kw_only=True)
class ApprovalProgress:
    """Where a request stands, as its submitter sees it."""

    instance_id: str
    status: str
    process: str
    step: str | None
    step_number: int | None
    step_count: int
    step_since: datetime | None
    answered: tuple[Answer, ...]
    awaiting: tuple[Awaiting, ...]
    steps: tuple[StepProgress, ...]
    decided_at: datetime | None

    def summary(self) -> str:
        """One line for a screen: ``step 2/3 finance: approved by f1; awaiting f2``."""
        if self.step is None:
            return f"{self.status.lower()}"
        said = ", ".join(f"{a.decision.lower()} by {a.approver_id}" for a in self.answered)
        waits = ", ".join(a.approver_id for a in self.awaiting)
        parts = [p for p in (said, f"awaiting {waits}" if waits else "") if p]
        return f"step {self.step_number}/{self.step_count} {self.step}: " + "; ".join(parts)


@attrs.frozen(kw_only=True)
class ApprovalTodo:
    """One line of an approver's to-do list."""

    instance_id: str
    subject_kind: str
    subject_id: str
    process: str
    step: str
    task_id: str
    submitter_id: str
    on_behalf_of: str | None
    since: datetime
    due_at: datetime | None


def pending_tasks_for(user_id: str, instances: Iterable[ApprovalInstance]) -> list[ApprovalTodo]:
    """The open tasks ``user_id`` holds across ``instances``.

    Ordered by due date (tasks without one last), then by the time they were assigned, then
    by request id, so the most urgent comes first and the order is stable.
    """
    todo = []
    for instance in instances:
        for task in instance.open_tasks_for(user_id):
            todo.append(
                ApprovalTodo(
                    instance_id=instance.id,
                    subject_kind=instance.subject_kind,
                    subject_id=instance.subject_id,
                    process=instance.process.key,
                    step=task.step,
                    task_id=task.id,
                    submitter_id=instance.submitter_id,
                    on_behalf_of=(
                        task.original_approver_id
                        if task.original_approver_id != task.approver_id
                        else None
                    ),
                    since=task.assigned_at,
                    due_at=task.due_at,
                )
            )
    todo.sort(
        key=lambda t: (
            t.due_at is None,
            t.due_at or t.since,
            t.since,
            t.instance_id,
            t.task_id,
        )
    )
    return todo


#: What each history action says about its step's state.
_STEP_STATES = {
    "step started": "in progress",
    "step skipped": "skipped",
    "step approved": "approved",
    "step rejected": "rejected",
}


def progress_of(instance: ApprovalInstance) -> ApprovalProgress:
    """Where ``instance`` stands, for its submitter: step, answers, who is awaited."""
    step = instance.step
    answered = tuple(
        Answer(
            approver_id=t.approver_id,
            original_approver_id=t.original_approver_id,
            decision=t.status.value,
            at=t.decided_at or t.assigned_at,
            comment=t.comment,
        )
        for t in instance.current_tasks()
        if t.status in (TaskStatus.APPROVED, TaskStatus.REJECTED)
    )
    awaiting = tuple(
        Awaiting(
            approver_id=t.approver_id,
            original_approver_id=t.original_approver_id,
            since=t.assigned_at,
            due_at=t.due_at,
        )
        for t in instance.open_tasks()
    )
    current = instance.current_step
    return ApprovalProgress(
        instance_id=instance.id,
        status=instance.status.value,
        process=instance.process.key,
        step=step.name if step else None,
        step_number=current + 1 if step and current is not None else None,
        step_count=len(instance.process.steps),
        step_since=instance.step_started_at if step else None,
        answered=answered if step else (),
        awaiting=awaiting,
        steps=tuple(_step_states(instance)),
        decided_at=instance.decided_at,
    )


def _step_states(instance: ApprovalInstance) -> Iterator[StepProgress]:
    """Each step's latest state, read from the history."""
    latest: dict[str, str] = {}
    for entry in instance.history:
        if entry.step is not None and entry.action in _STEP_STATES:
            latest[entry.step] = _STEP_STATES[entry.action]
    for s in instance.process.steps:
        state = latest.get(s.name, "not reached" if instance.is_decided else "waiting")
        if state == "in progress" and instance.is_decided:
            state = "not decided"
        yield StepProgress(name=s.name, state=state)
