"""One approval request: its tasks, its append-only history and its decisions.

The request keeps the process version it started with (the frozen process object itself).
The subject is read once, at submission: step conditions and the users named on it
(``FieldUser``) are recorded then, so the request is judged on what was submitted. People
are looked up through the Directory port when each step starts, so inactive users are
skipped at that moment.

Every command checks first and changes nothing when it raises: ``InvalidTransition`` on a
decided request, ``PermissionDenied`` for anyone without an open task (or, for
``withdraw``, anyone but the submitter), ``ValidationError`` for bad input and
``InvariantViolation`` when a step would have nobody to approve it.

A step's ALL and QUORUM modes count distinct people. One person fills at most one seat of a
step run: a task is never delegated or escalated to someone who holds another task of the
run or has already answered in it (an escalation then goes to the next candidate, the
process's fallback approvers). A seat keeps its SLA state when it changes hands: a reminder
or an overdue notice is sent once per seat, not once per holder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

import attrs

from crmcore._aggregate import AggregateRoot
from crmcore._deprecation import deprecated
from crmcore.errors import InvariantViolation, PermissionDenied, ValidationError
from crmcore.events import DomainEvent
from crmcore.ports import Actor, Directory
from crmcore.serialization import from_dict, to_dict
from crmcore.workflow import _approval_events as ev
from crmcore.workflow._approval_history import history_of
from crmcore.workflow._approval_sla import sweep
from crmcore.workflow._approvers import (
    Resolution,
    field_users_of,
    resolve_approvers,
)
from crmcore.workflow._conditions import ABSENT, resolve
from crmcore.workflow._process import ApprovalProcess, OnReject, Step
from crmcore.workflow._statemachine import StateMachine, Transition
from crmcore.workflow._tasks import ApprovalHistoryEntry, ApprovalStatus, ApprovalTask, TaskStatus
from crmcore.workflow._views import (
    ApprovalProgress,
    progress_of,
)

__all__ = ["APPROVAL_LIFECYCLE", "ApprovalInstance"]


_P, _A, _R, _W = (
    ApprovalStatus.PENDING,
    ApprovalStatus.APPROVED,
    ApprovalStatus.REJECTED,
    ApprovalStatus.WITHDRAWN,
)

#: The request's lifecycle; ``approve``, ``reject`` and ``delegate`` act on tasks and may
#: leave the request pending, but every command is only possible while it is pending.
APPROVAL_LIFECYCLE: Final = StateMachine(
    "approval request",
    ApprovalStatus,
    [
        Transition("approve", _P, _A),
        Transition("reject", _P, _R),
        Transition("delegate", _P, _P),
        Transition("withdraw", _P, _W),
    ],
)

SYSTEM: Final = "system"


def _flags(value: Iterable[bool]) -> tuple[bool, ...]:
    return tuple(value)


def _fields(value: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
    return tuple((k, v) for k, v in value)


@attrs.define(kw_only=True)
class ApprovalInstance(AggregateRoot):
    """An approval request for one subject, pinned to one process version.

    Create it with [`start`][crmcore.workflow.ApprovalInstance.start]; the other constructor
    arguments exist to rebuild a stored
    request.
    """

    aggregate_kind: ClassVar[str] = "approval"

    id: str
    process: ApprovalProcess
    subject_id: str
    submitter_id: str
    submitted_at: datetime
    step_applies: tuple[bool, ...] = attrs.field(converter=_flags)
    subject_users: tuple[tuple[str, str | None], ...] = attrs.field(default=(), converter=_fields)
    status: ApprovalStatus = ApprovalStatus.PENDING
    current_step: int | None = None
    round: int = 0
    step_started_at: datetime | None = None
    decided_at: datetime | None = None
    _tasks: list[ApprovalTask] = attrs.field(factory=list)
    _events: list[DomainEvent] = attrs.field(factory=list)
    #: History lines stored before the history was read from the events (kept as they were).
    _earlier_history: list[ApprovalHistoryEntry] = attrs.field(factory=list)
    _path: list[int] = attrs.field(factory=list)

    # -- starting ---------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        process: ApprovalProcess,
        subject: object,
        submitter: Actor | str,
        directory: Directory,
        *,
        at: datetime,
        instance_id: str,
        subject_id: str | None = None,
    ) -> ApprovalInstance:
        """Submit ``subject`` for approval under ``process`` and start its first step.

        When the entry condition is false the request is APPROVED at once (an
        ``ApprovalNotRequired`` event says why). Raises ``InvariantViolation`` and creates
        nothing when a step that applies would have nobody to approve it.
        """
        _check_datetime(at, "at")
        submitter_id = submitter.user_id if isinstance(submitter, Actor) else submitter
        if not isinstance(submitter_id, str) or not submitter_id.strip():
            raise ValidationError(f"submitter: must be a user id, got {submitter_id!r}")
        if not isinstance(instance_id, str) or not instance_id.strip():
            raise ValidationError(f"instance_id: must be a non-empty string, got {instance_id!r}")
        sid = subject_id
        if sid is None:
            sid = (
                subject.get("id") if isinstance(subject, Mapping) else getattr(subject, "id", None)
            )
        if not isinstance(sid, str) or not sid.strip():
            raise ValidationError(
                f"subject_id: the {type(subject).__name__} has no str id; pass subject_id="
            )
        needed = process.requires_approval(subject)
        applies = tuple(
            s.condition is None or s.condition.evaluate(subject) for s in process.steps
        )
        named = field_users_of([a for s in process.steps for a in s.approvers])
        named += [f for f in field_users_of(process.fallback_approvers) if f not in named]
        subject_users = []
        for attribute in named:
            value = resolve(subject, attribute)
            if value is ABSENT:  # a mapping subject without the field names nobody
                value = None
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValidationError(
                    f"{type(subject).__name__}.{attribute}: expected a user id, got {value!r}"
                )
            subject_users.append((attribute, value))
        instance = cls(
            id=instance_id,
            process=process,
            subject_id=sid,
            submitter_id=submitter_id,
            submitted_at=at,
            step_applies=applies,
            subject_users=subject_users,
        )
        instance._raise(
            ev.ApprovalRequestSubmitted,
            at,
            submitter_id,
            process_id=process.id,
            process_version=process.version,
        )
        if not needed:
            reason = "entry condition is false: " + (
                process.entry_condition.describe() if process.entry_condition else ""
            )
            instance.status = ApprovalStatus.APPROVED
            instance.decided_at = at
            instance._raise(ev.ApprovalNotRequired, at, submitter_id, reason=reason)
            return instance
        for index, step_applies in enumerate(applies):
            if step_applies:
                instance._resolve(index, directory)
        instance._enter_step(0, at, submitter_id, directory)
        return instance

    # -- reading ----------------------------------------------------------------------------

    @property
    def subject_kind(self) -> str:
        return self.process.subject_kind

    @property
    def process_version(self) -> int:
        return self.process.version

    @property
    def tasks(self) -> tuple[ApprovalTask, ...]:
        """Every task ever opened, oldest first."""
        return tuple(self._tasks)

    @property
    def history(self) -> tuple[ApprovalHistoryEntry, ...]:
        """The append-only record of everything that happened, oldest first."""
        return history_of(self.process, self._events, self._earlier_history)

    @property
    def is_decided(self) -> bool:
        return self.status is not ApprovalStatus.PENDING

    @property
    def step(self) -> Step | None:
        """The step being decided now (None once the request is decided)."""
        if self.status is not ApprovalStatus.PENDING or self.current_step is None:
            return None
        return self.process.steps[self.current_step]

    def current_tasks(self) -> list[ApprovalTask]:
        """The tasks of the step's current run, open or not."""
        return [t for t in self._tasks if t.round == self.round]

    def open_tasks(self) -> list[ApprovalTask]:
        """The tasks awaiting an answer (none once the request is decided)."""
        if self.status is not ApprovalStatus.PENDING:
            return []
        return [t for t in self._tasks if t.round == self.round and t.is_open]

    def open_tasks_for(self, user_id: str) -> list[ApprovalTask]:
        """The open tasks ``user_id`` holds."""
        return [t for t in self.open_tasks() if t.approver_id == user_id]

    def progress(self) -> ApprovalProgress:
        """Where the request stands, for the submitter: step, answers, who is awaited."""
        return progress_of(self)

    # -- storage --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Deprecated: use ``crmcore.serialization.to_dict(instance)``."""
        deprecated("ApprovalInstance.to_dict", "crmcore.serialization.to_dict(instance)")
        data: dict[str, Any] = to_dict(self)
        return data

    @classmethod
    def from_dict(cls, data: object) -> ApprovalInstance:
        """Deprecated: use ``crmcore.serialization.from_dict(ApprovalInstance, data)``."""
        deprecated("ApprovalInstance.from_dict", "from_dict(ApprovalInstance, data)")
        return from_dict(cls, data)

    # -- commands ---------------------------------------------------------------------------

    def approve(
        self, actor: Actor, *, at: datetime, directory: Directory, comment: str = ""
    ) -> None:
        """Approve every open task ``actor`` holds; may decide the step and start the next."""
        APPROVAL_LIFECYCLE.check("approve", self.status, actor)
        self._check_change(actor, at)
        mine = self._own_tasks(actor, "approve")
        _check_comment(comment)
        self._answer(mine, TaskStatus.APPROVED, actor, at, directory, comment)

    def reject(self, actor: Actor, *, at: datetime, directory: Directory, comment: str) -> None:
        """Reject every open task ``actor`` holds (a comment is required)."""
        APPROVAL_LIFECYCLE.check("reject", self.status, actor)
        self._check_change(actor, at)
        mine = self._own_tasks(actor, "reject")
        if not isinstance(comment, str) or not comment.strip():
            raise ValidationError(f"reject: a comment is required (why?), got {comment!r}")
        self._answer(mine, TaskStatus.REJECTED, actor, at, directory, comment)

    def _answer(
        self,
        mine: list[ApprovalTask],
        answer: TaskStatus,
        actor: Actor,
        at: datetime,
        directory: Directory,
        comment: str,
    ) -> None:
        """Close the actor's tasks with one answer, record it, and settle the step."""
        approved = answer is TaskStatus.APPROVED
        event = ev.ApprovalTaskApproved if approved else ev.ApprovalTaskRejected
        with self._atomic():
            for task in mine:
                self._close(task, answer, at, comment)
                self._raise(
                    event,
                    at,
                    actor.user_id,
                    step=task.step,
                    task_id=task.id,
                    approver_id=task.approver_id,
                    original_approver_id=task.original_approver_id,
                    comment=comment,
                )
            self._settle(at, actor.user_id, directory, comment)

    def delegate(
        self,
        actor: Actor,
        to_user_id: str,
        *,
        at: datetime,
        directory: Directory,
        comment: str = "",
    ) -> None:
        """Hand ``actor``'s open tasks to ``to_user_id``, whose answer then counts for them.

        Refused (ValidationError) when ``to_user_id`` already holds a task of this step run
        or has answered in it: a quorum needs distinct people. The delegate's task keeps the
        due date and the reminders already sent.
        """
        APPROVAL_LIFECYCLE.check("delegate", self.status, actor)
        self._check_change(actor, at)
        mine = self._own_tasks(actor, "delegate")
        _check_comment(comment)
        if not isinstance(to_user_id, str) or not to_user_id.strip():
            raise ValidationError(f"delegate: expected a user id, got {to_user_id!r}")
        step = self.process.steps[mine[0].step_index]
        if not step.allow_delegation:
            raise PermissionDenied(
                f"approval {self.id}: step {step.name!r} does not allow delegation; "
                f"actor {actor.user_id}"
            )
        if to_user_id == actor.user_id:
            raise ValidationError(f"delegate: {to_user_id!r} cannot delegate to themselves")
        delegate = directory.user(to_user_id)
        if not delegate.active:
            raise ValidationError(f"delegate: {to_user_id!r} is inactive")
        if to_user_id == self.submitter_id and not step.allow_self_approval:
            raise ValidationError(
                f"delegate: {to_user_id!r} submitted the request and step {step.name!r} "
                "does not allow self-approval"
            )
        if self.open_tasks_for(to_user_id):
            raise ValidationError(
                f"delegate: {to_user_id!r} already has an open task in step {step.name!r}"
            )
        if to_user_id in self._answered():
            raise ValidationError(
                f"delegate: {to_user_id!r} already answered in step {step.name!r}; "
                f"{step.mode} counts distinct people"
            )
        self._delegate(mine, actor, to_user_id, at=at, comment=comment)

    def reassign(
        self,
        actor: Actor,
        from_id: str,
        to_user_id: str,
        *,
        at: datetime,
        directory: Directory,
        reason: str,
    ) -> None:
        """Move the open tasks of ``from_id`` (who left) to ``to_user_id`` on their behalf:
        a delegation they can no longer make themselves, recorded as made by ``actor`` with
        the reason. The caller checks who may (the services' handover: managers and
        admins); the delegate must be active and may not already sit in the step.
        """
        APPROVAL_LIFECYCLE.check("delegate", self.status, actor)
        self._check_change(actor, at)
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(f"reassign: a reason is required, got {reason!r}")
        if not isinstance(to_user_id, str) or not to_user_id.strip():
            raise ValidationError(f"reassign: expected a user id, got {to_user_id!r}")
        theirs = self.open_tasks_for(from_id)
        if not theirs:
            raise InvariantViolation(f"approval {self.id}: {from_id!r} holds no open task")
        step = self.process.steps[theirs[0].step_index]
        if not directory.user(to_user_id).active:
            raise ValidationError(f"reassign: {to_user_id!r} is inactive")
        if to_user_id == self.submitter_id and not step.allow_self_approval:
            raise ValidationError(
                f"reassign: {to_user_id!r} submitted the request and step {step.name!r} "
                "does not allow self-approval"
            )
        if self.open_tasks_for(to_user_id) or to_user_id in self._answered():
            raise ValidationError(
                f"reassign: {to_user_id!r} already sits in step {step.name!r}; "
                f"{step.mode} counts distinct people"
            )
        self._delegate(theirs, actor, to_user_id, at=at, comment=reason, reassigned=True)

    def _delegate(
        self,
        tasks: Sequence[ApprovalTask],
        actor: Actor,
        to_user_id: str,
        *,
        at: datetime,
        comment: str,
        reassigned: bool = False,
    ) -> None:
        """Hand each task over to ``to_user_id`` (a delegation, or a reassignment made for
        someone who left), all or nothing, each with its event."""
        with self._atomic():
            for task in tasks:
                successor = self._hand_over(
                    task, TaskStatus.DELEGATED, to_user_id, at, task.due_at
                )
                self._raise(
                    ev.ApprovalTaskDelegated,
                    at,
                    actor.user_id,
                    step=task.step,
                    task_id=task.id,
                    from_id=task.approver_id,
                    to_id=to_user_id,
                    new_task_id=successor.id,
                    comment=comment,
                    reassigned=reassigned,
                )

    def withdraw(
        self, actor: Actor, *, at: datetime, comment: str = "", subject_cancelled: bool = False
    ) -> None:
        """The submitter takes the request back while it is pending. With
        ``subject_cancelled`` the subject itself was cancelled by ``actor`` (the caller checked
        they may): the request ends the same way, and its history names who cancelled."""
        APPROVAL_LIFECYCLE.check("withdraw", self.status, actor)
        self._check_change(actor, at)
        _check_comment(comment)
        if not subject_cancelled and actor.user_id != self.submitter_id:
            raise PermissionDenied(
                f"approval {self.id}: only the submitter {self.submitter_id} may withdraw; "
                f"actor {actor.user_id}"
            )
        with self._atomic():
            waiting = self._close_open(at)
            self._finish(ApprovalStatus.WITHDRAWN, at, actor.user_id, comment, waiting)

    def tick(
        self, now: datetime, directory: Directory, *, actor_id: str = SYSTEM
    ) -> list[DomainEvent]:
        """Send due reminders and escalate overdue tasks; each happens once, however often
        this is called. Returns the events raised (also kept for
        `pull_events()`).

        On a pending request ``now`` must not be before its last change (history is kept in
        time order).
        """
        _check_datetime(now, "now")
        return sweep(self, now, directory, actor_id)

    # -- internals --------------------------------------------------------------------------

    def _answered(self) -> set[str]:
        """The people who approved or rejected in the current step run."""
        return {
            t.approver_id
            for t in self.current_tasks()
            if t.status in (TaskStatus.APPROVED, TaskStatus.REJECTED)
        }

    def _engaged(self) -> set[str]:
        """The people who hold an open task of the current step run or answered in it."""
        return self._answered() | {t.approver_id for t in self.open_tasks()}

    def _own_tasks(self, actor: Actor, action: str) -> list[ApprovalTask]:
        mine = self.open_tasks_for(actor.user_id)
        if not mine:
            waiting = ", ".join(t.approver_id for t in self.open_tasks())
            raise PermissionDenied(
                f"approval {self.id}: {actor.user_id} may not {action}; awaited: {waiting}"
            )
        return mine

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """Restore every field if the block raises: a command changes all or nothing."""
        saved = (
            self.status,
            self.current_step,
            self.round,
            self.step_started_at,
            self.decided_at,
            list(self._tasks),
            list(self._events),
            list(self._path),
            list(self._pending_events),
        )
        try:
            yield
        except BaseException:
            (
                self.status,
                self.current_step,
                self.round,
                self.step_started_at,
                self.decided_at,
                self._tasks,
                self._events,
                self._path,
                self._pending_events,
            ) = saved
            raise

    def _subject(self) -> tuple[str, str]:
        return self.process.subject_kind, self.subject_id

    def _last_change_at(self) -> datetime | None:
        if self._events:
            return self._events[-1].occurred_at
        return self._earlier_history[-1].at if self._earlier_history else self.submitted_at

    def _remember(self, event: DomainEvent) -> None:
        self._events.append(event)

    def _raise(
        self, cls: Callable[..., DomainEvent], at: datetime, actor_id: str, **fields: Any
    ) -> None:
        self._emit(cls, Actor(actor_id), at, instance_id=self.id, **fields)

    def _replace(self, task: ApprovalTask, **changes: Any) -> ApprovalTask:
        index = next(i for i, t in enumerate(self._tasks) if t.id == task.id)
        new = attrs.evolve(self._tasks[index], **changes)
        self._tasks[index] = new
        return new

    def _close(self, task: ApprovalTask, status: TaskStatus, at: datetime, comment: str) -> None:
        self._replace(task, status=status, decided_at=at, comment=comment)

    def _new_task(
        self,
        step_index: int,
        approver_id: str,
        original_id: str,
        at: datetime,
        due_at: datetime | None,
        overdue_handled: bool = False,
        reminders_sent: tuple[int, ...] = (),
    ) -> ApprovalTask:
        task = ApprovalTask(
            id=f"{self.id}/t{len(self._tasks) + 1}",
            step=self.process.steps[step_index].name,
            step_index=step_index,
            round=self.round,
            approver_id=approver_id,
            original_approver_id=original_id,
            assigned_at=at,
            due_at=due_at,
            overdue_handled=overdue_handled,
            reminders_sent=reminders_sent,
        )
        self._tasks.append(task)
        return task

    def _hand_over(
        self,
        task: ApprovalTask,
        status: TaskStatus,
        to_id: str,
        at: datetime,
        due_at: datetime | None,
    ) -> ApprovalTask:
        """Close ``task`` and open its seat for ``to_id``; the seat's SLA state goes along,
        so no reminder or overdue notice is sent twice for it."""
        self._replace(task, status=status, decided_at=at, handed_to=to_id)
        return self._new_task(
            task.step_index,
            to_id,
            task.original_approver_id,
            at,
            due_at,
            overdue_handled=due_at is None or task.overdue_handled,
            reminders_sent=task.reminders_sent,
        )

    def _resolve(self, index: int, directory: Directory) -> tuple[Resolution, bool]:
        step = self.process.steps[index]
        users = dict(self.subject_users)
        found = resolve_approvers(
            step.approvers,
            submitter_id=self.submitter_id,
            directory=directory,
            subject_users=users,
            allow_self=step.allow_self_approval,
        )
        fallback = False
        if not found.user_ids:
            backup = resolve_approvers(
                self.process.fallback_approvers,
                submitter_id=self.submitter_id,
                directory=directory,
                subject_users=users,
                allow_self=step.allow_self_approval,
            )
            if not backup.user_ids:
                why = "; ".join(found.notes) or "nobody found"
                tail = (
                    "the fallback approvers are not available either ("
                    + ("; ".join(backup.notes) or "nobody found")
                    + ")"
                    if self.process.fallback_approvers
                    else "the process has no fallback approvers"
                )
                raise InvariantViolation(
                    f"approval {self.id}: step {step.name!r} of {self.process.key} has nobody "
                    f"to approve it ({why}) and {tail}"
                )
            found, fallback = Resolution(backup.user_ids, found.notes + backup.notes), True
        if step.mode.kind == "QUORUM" and len(found.user_ids) < step.mode.n:
            raise InvariantViolation(
                f"approval {self.id}: step {step.name!r} needs {step.mode} but only "
                f"{len(found.user_ids)} approver(s) are available: {', '.join(found.user_ids)}"
            )
        return found, fallback

    def _enter_step(self, index: int, at: datetime, actor_id: str, directory: Directory) -> None:
        steps = self.process.steps
        while index < len(steps) and not self.step_applies[index]:
            step = steps[index]
            reason = f"condition is false: {step.condition.describe() if step.condition else ''}"
            self._raise(ev.ApprovalStepSkipped, at, actor_id, step=step.name, reason=reason)
            index += 1
        if index == len(steps):
            self._finish(ApprovalStatus.APPROVED, at, actor_id, "")
            return
        step = steps[index]
        found, fallback = self._resolve(index, directory)
        self.round += 1
        self.current_step = index
        self.step_started_at = at
        self._path.append(index)
        due = at + timedelta(hours=step.sla.hours) if step.sla is not None else None
        for user_id in found.user_ids:
            self._new_task(index, user_id, user_id, at, due, overdue_handled=due is None)
        self._raise(
            ev.ApprovalStepStarted,
            at,
            actor_id,
            step=step.name,
            round=self.round,
            approver_ids=found.user_ids,
            fallback_used=fallback,
            due_at=due,
            notes=tuple(found.notes),
        )

    def _settle(self, at: datetime, actor_id: str, directory: Directory, comment: str) -> None:
        """Decide the current step if its mode is satisfied, and move the request on."""
        assert self.current_step is not None
        step = self.process.steps[self.current_step]
        tasks = self.current_tasks()
        people = {s: {t.approver_id for t in tasks if t.status is s} for s in TaskStatus}
        approved, rejected = people[TaskStatus.APPROVED], people[TaskStatus.REJECTED]
        outcome = step.mode.outcome(
            len(approved), len(rejected), len(people[TaskStatus.PENDING] - approved - rejected)
        )
        if outcome is None:
            return
        silent = self._close_open(at)
        self._raise(
            ev.ApprovalStepDecided,
            at,
            actor_id,
            step=step.name,
            round=self.round,
            approved=outcome,
            no_response=tuple(silent),
        )
        if outcome:
            self._enter_step(self.current_step + 1, at, actor_id, directory)
        elif step.on_reject is OnReject.BACK_TO_PREVIOUS and len(self._path) >= 2:
            previous = self._path[-2]
            del self._path[-2:]
            to_step = self.process.steps[previous].name
            self._raise(
                ev.ApprovalSentBack,
                at,
                actor_id,
                from_step=step.name,
                to_step=to_step,
                comment=comment,
            )
            self._enter_step(previous, at, actor_id, directory)
        else:
            self._finish(ApprovalStatus.REJECTED, at, actor_id, comment)

    def _close_open(self, at: datetime) -> list[str]:
        silent = []
        for task in self.open_tasks():
            self._replace(task, status=TaskStatus.NO_RESPONSE, decided_at=at)
            silent.append(task.approver_id)
        return silent

    def _finish(
        self,
        status: ApprovalStatus,
        at: datetime,
        actor_id: str,
        comment: str,
        waiting: Sequence[str] = (),
    ) -> None:
        step = self.process.steps[self.current_step] if self.current_step is not None else None
        self.status = status
        self.decided_at = at
        if status is ApprovalStatus.APPROVED:
            self._raise(ev.ApprovalRequestApproved, at, actor_id)
        elif status is ApprovalStatus.REJECTED:
            assert step is not None
            self._raise(ev.ApprovalRequestRejected, at, actor_id, step=step.name, comment=comment)
        else:
            self._raise(
                ev.ApprovalRequestWithdrawn,
                at,
                actor_id,
                comment=comment,
                approver_ids=tuple(dict.fromkeys(waiting)),
            )


def _check_datetime(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"{name}: expected a datetime, got {value!r}")
    return value


def _check_comment(comment: object) -> None:
    if not isinstance(comment, str):
        raise ValidationError(f"comment: expected a string, got {comment!r}")
