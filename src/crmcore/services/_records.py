"""What the services store beside the domain aggregates: the link from an approval request to
the change waiting for it, the log of reminders sent, and the services' own events."""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

import attrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore._validators import non_empty
from crmcore.errors import InvalidTransition
from crmcore.events import DomainEvent
from crmcore.money import Money
from crmcore.serialization import converter

__all__ = ["ApprovalLink", "DunningLog", "IdempotencyRecord", "InstallmentOverdue", "LinkStatus"]


class LinkStatus(enum.Enum):
    """Whether the change behind an approval request is still waiting, was made, or dropped."""

    WAITING = "waiting"
    APPLIED = "applied"
    DROPPED = "dropped"


@attrs.define
class ApprovalLink:
    """The change an approval request stands for: on approval the subject's handler makes it.

    ``id`` is the approval instance's id; ``action`` and ``params`` say what to do (for an
    opportunity: ``"advance"`` with ``{"to": stage, "feedback": {...}}``); params are plain
    JSON data.
    """

    id: str = attrs.field(validator=non_empty)
    subject_kind: str = attrs.field(validator=non_empty)
    subject_id: str = attrs.field(validator=non_empty)
    action: str = attrs.field(validator=non_empty)
    requested_by: str = attrs.field(validator=non_empty)
    requested_at: datetime
    params: dict[str, Any] = attrs.field(factory=dict)
    status: LinkStatus = LinkStatus.WAITING
    outcome: str = ""
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, eq=False, repr=False, alias="_events")

    def settle(self, status: LinkStatus, outcome: str) -> None:
        """Close the link once: APPLIED (the change was made) or DROPPED (with the reason)."""
        if self.status is not LinkStatus.WAITING:
            raise InvalidTransition(
                f"approval link {self.id}: already {self.status.value}, cannot become "
                f"{status.value}"
            )
        self.status = status
        self.outcome = outcome

    def peek_events(self) -> list[DomainEvent]:
        return list(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


@attrs.frozen(kw_only=True)
class InstallmentOverdue(DomainEvent):
    """A dunning reminder for one installment is due; ``owner_id`` is the receivable's owner."""

    owner_id: str
    customer: str
    installment: int
    due_date: date
    level: int
    name: str
    days_late: int
    total_due: Money


@attrs.define
class DunningLog:
    """The reminders already sent for one receivable (id = the receivable's id): never twice."""

    id: str = attrs.field(validator=non_empty)
    sent: list[tuple[str, int, int]] = attrs.field(factory=list)
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, eq=False, repr=False, alias="_events")

    def keys(self) -> Collection[tuple[str, int, int]]:
        """The reminder keys (receivable, installment, offset) sent so far."""
        return set(self.sent)

    def record(self, key: tuple[str, int, int], event: InstallmentOverdue) -> None:
        """Remember one reminder and raise its event."""
        self.sent.append(key)
        self._events.append(event)

    def peek_events(self) -> list[DomainEvent]:
        return list(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


@attrs.define
class IdempotencyRecord:
    """A committed call made with an idempotency key: what it asked and what it made.

    ``id`` is ``<receivable id>/<action>/<key>``; ``request`` a fingerprint of the call's
    arguments (the same key with other arguments is refused); ``result_id`` the payment,
    refund or invoice request it recorded, which a retry returns instead of recording again.
    """

    id: str = attrs.field(validator=non_empty)
    request: str
    result_id: str
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, eq=False, repr=False, alias="_events")

    def peek_events(self) -> list[DomainEvent]:
        return list(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events


# Events belong to the outbox, not to the stored state: leave them out of the saved data.
for _cls in (ApprovalLink, DunningLog, IdempotencyRecord):
    converter.register_unstructure_hook(
        _cls, make_dict_unstructure_fn(_cls, converter, _events=override(omit=True))
    )
    converter.register_structure_hook(
        _cls,
        make_dict_structure_fn(
            _cls, converter, _events=override(omit=True), _cattrs_forbid_extra_keys=True
        ),
    )
