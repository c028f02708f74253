"""The events an approval request raises; their subject is the request's subject (an order...).

Every event names the approval instance (``instance_id``) and, where it concerns one step,
the step's name, so a notifier can route it (to the approvers, the submitter, a manager).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from crmcore.events import DomainEvent

__all__ = [
    "ApprovalEscalationFailed",
    "ApprovalNotRequired",
    "ApprovalReminderSent",
    "ApprovalRequestApproved",
    "ApprovalRequestRejected",
    "ApprovalRequestSubmitted",
    "ApprovalRequestWithdrawn",
    "ApprovalSentBack",
    "ApprovalStepDecided",
    "ApprovalStepSkipped",
    "ApprovalStepStarted",
    "ApprovalTaskApproved",
    "ApprovalTaskDelegated",
    "ApprovalTaskEscalated",
    "ApprovalTaskOverdue",
    "ApprovalTaskRejected",
]


@attrs.frozen(kw_only=True)
class ApprovalRequestSubmitted(DomainEvent):
    """A request entered approval under a process version."""

    instance_id: str
    process_id: str
    process_version: int


@attrs.frozen(kw_only=True)
class ApprovalNotRequired(DomainEvent):
    """The entry condition was false: the subject needs no approval."""

    instance_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ApprovalStepStarted(DomainEvent):
    """A step started (again, after a send-back) with these approvers."""

    instance_id: str
    step: str
    round: int
    approver_ids: tuple[str, ...]
    fallback_used: bool
    due_at: datetime | None
    #: What the look-up of approvers noticed (``"old is inactive"``), for the history.
    notes: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ApprovalStepSkipped(DomainEvent):
    """A step's condition was false for the subject."""

    instance_id: str
    step: str
    reason: str


@attrs.frozen(kw_only=True)
class ApprovalTaskApproved(DomainEvent):
    """An approver (or their delegate) approved."""

    instance_id: str
    step: str
    task_id: str
    approver_id: str
    original_approver_id: str
    comment: str


@attrs.frozen(kw_only=True)
class ApprovalTaskRejected(DomainEvent):
    """An approver (or their delegate) rejected, with a comment."""

    instance_id: str
    step: str
    task_id: str
    approver_id: str
    original_approver_id: str
    comment: str


@attrs.frozen(kw_only=True)
class ApprovalTaskDelegated(DomainEvent):
    """An approver handed their task to someone else."""

    instance_id: str
    step: str
    task_id: str
    from_id: str
    to_id: str
    new_task_id: str
    comment: str
    #: Moved by someone else (a manager's handover) on behalf of ``from_id``, who left.
    reassigned: bool = False


@attrs.frozen(kw_only=True)
class ApprovalTaskEscalated(DomainEvent):
    """A task's SLA ran out and it went to the escalation target."""

    instance_id: str
    step: str
    task_id: str
    from_id: str
    to_id: str
    new_task_id: str


@attrs.frozen(kw_only=True)
class ApprovalTaskOverdue(DomainEvent):
    """A task's SLA ran out and the step has no escalation target."""

    instance_id: str
    step: str
    task_id: str
    approver_id: str


@attrs.frozen(kw_only=True)
class ApprovalEscalationFailed(DomainEvent):
    """A task's SLA ran out but nobody could take it over; it stays with its approver."""

    instance_id: str
    step: str
    task_id: str
    approver_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ApprovalReminderSent(DomainEvent):
    """A reminder to an approver, ``hours_before`` the task is due."""

    instance_id: str
    step: str
    task_id: str
    recipient_id: str
    hours_before: int
    due_at: datetime


@attrs.frozen(kw_only=True)
class ApprovalStepDecided(DomainEvent):
    """A step was approved or rejected; ``no_response`` are the approvers who never answered."""

    instance_id: str
    step: str
    round: int
    approved: bool
    no_response: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ApprovalSentBack(DomainEvent):
    """A rejected step sent the request back to the previous step."""

    instance_id: str
    from_step: str
    to_step: str
    #: The rejecting comment that sent it back.
    comment: str = ""


@attrs.frozen(kw_only=True)
class ApprovalRequestApproved(DomainEvent):
    """Every step that applies approved: the subject may go ahead."""

    instance_id: str


@attrs.frozen(kw_only=True)
class ApprovalRequestRejected(DomainEvent):
    """The request was rejected at ``step``."""

    instance_id: str
    step: str
    comment: str


@attrs.frozen(kw_only=True)
class ApprovalRequestWithdrawn(DomainEvent):
    """The submitter withdrew the request; ``approver_ids`` were still to decide."""

    instance_id: str
    comment: str
    approver_ids: tuple[str, ...] = ()
