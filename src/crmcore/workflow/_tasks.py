"""The parts of an approval request's record: its status, its tasks and its history lines."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["ApprovalHistoryEntry", "ApprovalStatus", "ApprovalTask", "TaskStatus"]


class ApprovalStatus(enum.Enum):
    """Where a request stands."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class TaskStatus(enum.Enum):
    """Where one approver's task stands."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    NO_RESPONSE = "NO_RESPONSE"
    DELEGATED = "DELEGATED"
    ESCALATED = "ESCALATED"


@attrs.frozen(kw_only=True)
class ApprovalTask:
    """One approver's task in one run (``round``) of one step.

    A delegated or escalated task is closed and a new one opens for the new holder with the
    same ``original_approver_id``, so the record shows both.
    """

    id: str
    step: str
    step_index: int
    round: int
    approver_id: str
    original_approver_id: str
    assigned_at: datetime
    due_at: datetime | None = None
    status: TaskStatus = TaskStatus.PENDING
    decided_at: datetime | None = None
    comment: str = ""
    handed_to: str | None = None
    reminders_sent: tuple[int, ...] = ()
    overdue_handled: bool = False

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.PENDING


@attrs.frozen(kw_only=True)
class ApprovalHistoryEntry:
    """One line of the request's history: when, who, what, on which step."""

    at: datetime
    actor_id: str
    action: str
    step: str | None = None
    detail: str = ""
    comment: str = ""
