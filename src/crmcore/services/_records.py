"""What the services store beside the domain aggregates: the link from an approval request to
the change waiting for it, the log of reminders sent, and the services' own events."""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import AggregateRoot
from crmcore._validators import non_empty
from crmcore.errors import InvalidTransition
from crmcore.events import DomainEvent
from crmcore.money import Money
from crmcore.ports import Actor

__all__ = [
    "ApprovalLink",
    "DunningLog",
    "IdempotencyRecord",
    "InstallmentDueSoon",
    "InstallmentDueToday",
    "InstallmentOverdue",
    "LinkStatus",
]


class LinkStatus(enum.Enum):
    """Whether the change behind an approval request is still waiting, was made, or dropped."""

    WAITING = "waiting"
    APPLIED = "applied"
    DROPPED = "dropped"


@attrs.define
class ApprovalLink(AggregateRoot):
    """The change an approval request stands for: on approval the subject's handler makes it.

    ``id`` is the approval instance's id; ``action`` and ``params`` say what to do (for an
    opportunity: ``"advance"`` with ``{"to": stage, "feedback": {...}}``); params are plain
    JSON data.
    """

    aggregate_kind: ClassVar[str] = "approval_link"

    id: str = attrs.field(validator=non_empty)
    subject_kind: str = attrs.field(validator=non_empty)
    subject_id: str = attrs.field(validator=non_empty)
    action: str = attrs.field(validator=non_empty)
    requested_by: str = attrs.field(validator=non_empty)
    requested_at: datetime
    params: dict[str, Any] = attrs.field(factory=dict)
    status: LinkStatus = LinkStatus.WAITING
    outcome: str = ""

    def settle(self, status: LinkStatus, outcome: str) -> None:
        """Close the link once: APPLIED (the change was made) or DROPPED (with the reason)."""
        if self.status is not LinkStatus.WAITING:
            raise InvalidTransition(
                f"approval link {self.id}: already {self.status.value}, cannot become "
                f"{status.value}"
            )
        self.status = status
        self.outcome = outcome


@attrs.frozen(kw_only=True)
class InstallmentOverdue(DomainEvent):
    """A dunning reminder for an overdue installment (a step after the due date, at its
    ``level``); ``owner_id`` is the receivable's owner."""

    owner_id: str
    customer: str
    installment: int
    due_date: date
    level: int
    name: str
    days_late: int
    total_due: Money


@attrs.frozen(kw_only=True)
class InstallmentDueSoon(InstallmentOverdue):
    """A friendly reminder before an installment falls due (a step before the due date)."""


@attrs.frozen(kw_only=True)
class InstallmentDueToday(InstallmentOverdue):
    """The reminder on an installment's due date."""


@attrs.define
class DunningLog(AggregateRoot):
    """The reminders already sent for one receivable (id = the receivable's id): never twice."""

    aggregate_kind: ClassVar[str] = "dunning_log"

    id: str = attrs.field(validator=non_empty)
    sent: list[tuple[str, int, int]] = attrs.field(factory=list)

    def keys(self) -> Collection[tuple[str, int, int]]:
        """The reminder keys (receivable, installment, offset) sent so far."""
        return set(self.sent)

    def record(
        self, actor: Actor, key: tuple[str, int, int], *, at: datetime, **fields: Any
    ) -> InstallmentOverdue:
        """Remember one reminder and raise its event (``fields``): ``InstallmentDueSoon``
        before the due date, ``InstallmentDueToday`` on it, ``InstallmentOverdue`` after it
        (by the step's offset, the key's last part)."""
        self._check_change(actor, at)
        offset = key[2]
        kind = (
            InstallmentDueSoon
            if offset < 0
            else InstallmentDueToday
            if offset == 0
            else InstallmentOverdue
        )
        self.sent.append(key)
        return self._emit(kind, actor, at, **fields)

    def _subject(self) -> tuple[str, str]:
        return "receivable", self.id  # the reminder is about the receivable of the same id


@attrs.define
class IdempotencyRecord(AggregateRoot):
    """A committed call made with an idempotency key: what it asked and what it made.

    ``id`` is ``<receivable id>/<action>/<key>``; ``request`` a fingerprint of the call's
    arguments (the same key with other arguments is refused); ``result_id`` the payment,
    refund or invoice request it recorded, which a retry returns instead of recording again.
    """

    aggregate_kind: ClassVar[str] = "idempotency_record"

    id: str = attrs.field(validator=non_empty)
    request: str
    result_id: str
