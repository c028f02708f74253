"""An approval request's SLA sweep: reminders before a task is due, and the overdue task's
escalation (or its notice) once it is due; each happens once per seat, however often the
sweep runs. ``ApprovalInstance.tick`` is its door."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from crmcore.events import DomainEvent
from crmcore.ports import Actor, Directory
from crmcore.workflow import _approval_events as ev
from crmcore.workflow._approvers import resolve_approvers, resolve_target
from crmcore.workflow._process import Step
from crmcore.workflow._tasks import ApprovalStatus, ApprovalTask, TaskStatus

if TYPE_CHECKING:
    from crmcore.workflow._approval import ApprovalInstance

__all__ = ["sweep"]


def sweep(
    request: ApprovalInstance, now: datetime, directory: Directory, actor_id: str
) -> list[DomainEvent]:
    """Send ``request``'s due reminders and handle its overdue tasks; the events raised."""
    if request.status is not ApprovalStatus.PENDING or request.current_step is None:
        return []
    request._check_change(Actor(actor_id), now, name="now")
    step = request.process.steps[request.current_step]
    sla = step.sla
    if sla is None:
        return []
    work = [
        (task, _reminders_due(task, sla.remind_before_hours, now))
        for task in request.open_tasks()
        if task.due_at is not None
    ]
    work = [
        (task, reminders) for task, reminders in work if reminders or _overdue_unhandled(task, now)
    ]
    if not work:
        return []  # the usual sweep: nothing due, nothing copied
    before = len(request._pending_events)
    with request._atomic():
        for task, reminders in work:
            if not reminders:
                _overdue(request, task, step, now, directory, actor_id)
                continue
            for hours in reminders:
                request._raise(
                    ev.ApprovalReminderSent,
                    now,
                    actor_id,
                    step=task.step,
                    task_id=task.id,
                    recipient_id=task.approver_id,
                    hours_before=hours,
                    due_at=task.due_at,
                )
            request._replace(task, reminders_sent=(*task.reminders_sent, *reminders))
    return request._pending_events[before:]


def _overdue(
    request: ApprovalInstance,
    task: ApprovalTask,
    step: Step,
    now: datetime,
    directory: Directory,
    actor_id: str,
) -> None:
    assert step.sla is not None
    target = step.sla.escalate_to
    if target is None:
        request._replace(task, overdue_handled=True)
        request._raise(
            ev.ApprovalTaskOverdue,
            now,
            actor_id,
            step=task.step,
            task_id=task.id,
            approver_id=task.approver_id,
        )
        return
    to_id, busy = _escalation_target(request, task, step, directory)
    if to_id is None:
        request._replace(task, overdue_handled=True)
        reason = f"nobody to escalate to ({target.describe()} of {task.approver_id})"
        if busy:
            reason += f"; already in step {step.name!r}: {', '.join(busy)}"
        request._raise(
            ev.ApprovalEscalationFailed,
            now,
            actor_id,
            step=task.step,
            task_id=task.id,
            approver_id=task.approver_id,
            reason=reason,
        )
        return
    successor = request._hand_over(task, TaskStatus.ESCALATED, to_id, now, None)
    request._replace(task, overdue_handled=True)
    request._raise(
        ev.ApprovalTaskEscalated,
        now,
        actor_id,
        step=task.step,
        task_id=task.id,
        from_id=task.approver_id,
        to_id=to_id,
        new_task_id=successor.id,
    )


def _escalation_target(
    request: ApprovalInstance, task: ApprovalTask, step: Step, directory: Directory
) -> tuple[str | None, list[str]]:
    """Who takes an overdue task over, and the candidates passed over because they
    already hold a task of this step run or answered in it (one person, one seat)."""
    assert step.sla is not None
    assert step.sla.escalate_to is not None

    engaged = request._engaged()
    busy: list[str] = []

    def usable(user_id: str, active: bool) -> bool:
        if user_id in engaged and user_id != task.approver_id:
            if user_id not in busy:
                busy.append(user_id)
            return False
        return (
            active
            and user_id != task.approver_id
            and (user_id != request.submitter_id or step.allow_self_approval)
        )

    user = resolve_target(step.sla.escalate_to, task.approver_id, directory)
    if user is not None and usable(user.id, user.active):
        return user.id, busy
    backup = resolve_approvers(
        request.process.fallback_approvers,
        submitter_id=request.submitter_id,
        directory=directory,
        subject_users=dict(request.subject_users),
        allow_self=step.allow_self_approval,
    )
    return next((u for u in backup.user_ids if usable(u, True)), None), busy


def _reminders_due(task: ApprovalTask, before_hours: tuple[int, ...], now: datetime) -> list[int]:
    """The reminders (hours before due) not yet sent whose moment has come, earliest first."""
    due = task.due_at
    if due is None or now >= due:
        return []
    return [
        hours
        for hours in sorted(before_hours, reverse=True)
        if hours not in task.reminders_sent and now >= due - timedelta(hours=hours)
    ]


def _overdue_unhandled(task: ApprovalTask, now: datetime) -> bool:
    return task.due_at is not None and now >= task.due_at and not task.overdue_handled
