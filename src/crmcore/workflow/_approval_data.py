"""The stored form of an approval request: plain data with its pinned process inside.

Kept apart from the aggregate so that the aggregate module holds its rules only;
``crmcore.serialization.to_dict`` / ``from_dict`` are the doors (the workflow's
``configure_converter`` points them here), and this module is what they read and write.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from crmcore.events import DomainEvent
from crmcore.workflow._process import ApprovalProcess
from crmcore.workflow._tasks import ApprovalHistoryEntry, ApprovalStatus, ApprovalTask

if TYPE_CHECKING:
    from crmcore.workflow._approval import ApprovalInstance

__all__ = ["InstanceRecord", "instance_fields", "record_of"]


@attrs.frozen(kw_only=True)
class InstanceRecord:
    """The stored form of an [`ApprovalInstance`][crmcore.workflow.ApprovalInstance]."""

    id: str
    process: ApprovalProcess
    subject_id: str
    submitter_id: str
    submitted_at: datetime
    step_applies: tuple[bool, ...]
    subject_users: tuple[tuple[str, str | None], ...]
    status: ApprovalStatus
    current_step: int | None
    round: int
    step_started_at: datetime | None
    decided_at: datetime | None
    version: int
    tasks: tuple[ApprovalTask, ...]
    #: What happened, in order (the history is read from them).
    events: tuple[DomainEvent, ...] = ()
    #: History lines stored before the history was read from the events (the old
    #: ``history`` key loads here).
    earlier_history: tuple[ApprovalHistoryEntry, ...] = ()
    path: tuple[int, ...]


def record_of(instance: ApprovalInstance) -> InstanceRecord:
    """The request's stored form (its pending events are not part of it)."""
    return InstanceRecord(
        id=instance.id,
        process=instance.process,
        subject_id=instance.subject_id,
        submitter_id=instance.submitter_id,
        submitted_at=instance.submitted_at,
        step_applies=instance.step_applies,
        subject_users=instance.subject_users,
        status=instance.status,
        current_step=instance.current_step,
        round=instance.round,
        step_started_at=instance.step_started_at,
        decided_at=instance.decided_at,
        version=instance.version,
        tasks=instance.tasks,
        events=tuple(instance._events),
        earlier_history=tuple(instance._earlier_history),
        path=tuple(instance._path),
    )


def instance_fields(record: InstanceRecord) -> dict[str, Any]:
    """The constructor arguments of a stored request."""
    return {
        "id": record.id,
        "process": record.process,
        "subject_id": record.subject_id,
        "submitter_id": record.submitter_id,
        "submitted_at": record.submitted_at,
        "step_applies": record.step_applies,
        "subject_users": record.subject_users,
        "status": record.status,
        "current_step": record.current_step,
        "round": record.round,
        "step_started_at": record.step_started_at,
        "decided_at": record.decided_at,
        "version": record.version,
        "tasks": list(record.tasks),
        "events": list(record.events),
        "earlier_history": list(record.earlier_history),
        "path": list(record.path),
    }
