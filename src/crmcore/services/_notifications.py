"""Notification routing as configuration: event type → who is told, and outbox delivery.

Recipients are resolved when the event is delivered, through the Directory: the subject's
owner, the owner's manager, everyone with a role, everyone in a department, fixed users.
The person who caused the event is not told about their own action unless a route says so.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore.errors import ConfigError, NotFound
from crmcore.events import DomainEvent, event_types
from crmcore.ports import ClaimingOutbox, Directory, Notification, Notifier, Storage
from crmcore.serialization import check_shape
from crmcore.services._records import InstallmentDueSoon  # noqa: F401 - registers the reminder events
from crmcore.visits import VisitPlanAssigned  # noqa: F401 - registers the visit events routed below

__all__ = [
    "DEFAULT_ROUTES",
    "EventUsers",
    "HasRole",
    "InDepartment",
    "ManagerOfOwner",
    "NotificationRoutes",
    "Owner",
    "Recipient",
    "Route",
    "Users",
    "deliver_outbox",
    "owner_from_event",
    "routes_of",
]

#: How to find the owner of an event's subject (the salesperson of an order...).
OwnerLookup = Callable[[DomainEvent], "str | None"]

#: The highest management level a route may reach (the owner's manager is level 1).
_MAX_LEVELS: Final = 20


def owner_from_event(event: DomainEvent) -> str | None:
    """The default owner lookup: the event's own ``owner_id`` attribute, if it has one."""
    owner = getattr(event, "owner_id", None)
    return owner if isinstance(owner, str) else None


@attrs.frozen
class Owner:
    """The owner of the event's subject."""

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        return [owner] if owner else []


@attrs.frozen
class ManagerOfOwner:
    """The owner's manager, ``levels`` up the chain."""

    levels: int = 1

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        if owner is None:
            return []
        try:
            manager = directory.manager_of(owner, self.levels)
        except NotFound:
            return []
        return [manager.id] if manager is not None and manager.active else []


@attrs.frozen
class HasRole:
    """Every active user holding ``role``."""

    role: str

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        return [u.id for u in directory.users_with_role(self.role) if u.active]


@attrs.frozen
class InDepartment:
    """Every active user of ``department``."""

    department: str

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        return [u.id for u in directory.users_in_department(self.department) if u.active]


@attrs.frozen
class EventUsers:
    """The users an event names in one of its fields (``approver_ids``, ``to_id``...)."""

    field: str

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        value = getattr(event, self.field, None)
        if isinstance(value, str):
            return [value] if value else []
        if isinstance(value, tuple | list):
            return [v for v in value if isinstance(v, str) and v]
        return []


@attrs.frozen
class Users:
    """Fixed users, by id."""

    ids: tuple[str, ...]

    def resolve(self, event: DomainEvent, directory: Directory, owner: str | None) -> list[str]:
        return list(self.ids)


Recipient = Owner | ManagerOfOwner | HasRole | InDepartment | Users | EventUsers


@attrs.frozen
class Route:
    """Who hears of one event type, and the topic line they get.

    The topic may name fields of the event in braces (``"installment overdue, level
    {level}"``); each is replaced by the field's value when the notification is made.
    """

    topic: str
    recipients: tuple[Recipient, ...]
    notify_actor: bool = False

    def topic_of(self, event: DomainEvent) -> str:
        """The topic line for ``event``: its placeholders filled with the event's fields."""
        if "{" not in self.topic:
            return self.topic
        return self.topic.format_map({name: getattr(event, name) for name in _fields(self.topic)})


def _fields(topic: str) -> list[str]:
    """The field names a topic's placeholders name (plain names: no format specs)."""
    return [name for _, name, _, _ in string.Formatter().parse(topic) if name is not None]


def _check_topic(name: str, topic: str, known: Mapping[str, type[DomainEvent]]) -> None:
    """A topic's placeholders must be plain fields of the event: ``{level}``, not ``{0}``,
    ``{level!r}``, ``{level:>3}`` or ``{level.real}``."""
    try:
        parts = list(string.Formatter().parse(topic))
    except ValueError as error:
        raise ConfigError(f"{name}.topic: {error} in {show(topic)}") from None
    cls = known.get(name)
    fields = {f.name for f in attrs.fields(cls)} if cls is not None and attrs.has(cls) else set()
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if spec or conversion or field not in fields:
            raise ConfigError(
                f"{name}.topic: {{{field}}} is not a field of {name} "
                f"(one of {', '.join(sorted(fields)) or 'none'}) in {show(topic)}"
            )


def _recipient(data: object, path: str) -> Recipient:
    if isinstance(data, Mapping) and len(data) == 1:
        ((key, value),) = data.items()
        if key == "owner" and value is True:
            return Owner()
        if key == "manager_of_owner" and type(value) is int and 1 <= value <= _MAX_LEVELS:
            return ManagerOfOwner(value)
        if key == "role" and isinstance(value, str) and value:
            return HasRole(value)
        if key == "department" and isinstance(value, str) and value:
            return InDepartment(value)
        if key == "event_field" and isinstance(value, str) and value.isidentifier():
            return EventUsers(value)
        if key == "users" and isinstance(value, list) and all(_is_name(v) for v in value):
            return Users(tuple(value))
    raise ConfigError(
        f"{path}: a recipient is {{'owner': true}}, {{'manager_of_owner': 1..{_MAX_LEVELS}}}, "
        f"{{'role': R}}, {{'department': D}}, {{'users': [...]}} or "
        f"{{'event_field': F}}; got {show(data, 80)}"
    )


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


@attrs.frozen
class NotificationRoutes:
    """Event type name → route. Events without a route notify nobody."""

    routes: dict[str, Route] = attrs.field(factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotificationRoutes:
        """Deprecated: use ``crmcore.serialization.from_dict(NotificationRoutes, data)``."""
        deprecated("NotificationRoutes.from_dict", "from_dict(NotificationRoutes, data)")
        return routes_of(data)

    def notifications(
        self, event: DomainEvent, directory: Directory, owner_of: OwnerLookup = owner_from_event
    ) -> list[Notification]:
        """The notifications one event produces: each recipient once, in route order."""
        route = self.routes.get(event.event_name)
        if route is None:
            return []
        owner = owner_of(event)
        seen: list[str] = []
        for recipient in route.recipients:
            for user_id in recipient.resolve(event, directory, owner):
                if user_id not in seen and (route.notify_actor or user_id != event.actor_id):
                    seen.append(user_id)
        topic = route.topic_of(event)
        return [Notification(user_id, topic, event) for user_id in seen]


def routes_of(data: object) -> NotificationRoutes:
    """``{"PaymentConfirmed": {"topic": "...", "to": [{"owner": true}, ...]}}``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"routes: expected an object of event names, got {show(data)}")
    check_shape(data, "routes")
    known = event_types()
    routes: dict[str, Route] = {}
    for name, spec in data.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("topic"), str):
            raise ConfigError(f"{name}.topic: required, a string")
        targets = spec.get("to")
        if not isinstance(targets, list) or not targets:
            raise ConfigError(f"{name}.to: required, a non-empty list of recipients")
        extra = set(spec) - {"topic", "to", "notify_actor"}
        if extra:
            raise ConfigError(f"{name}: unknown keys {sorted(extra)}")
        notify_actor = spec.get("notify_actor", False)
        if not isinstance(notify_actor, bool):
            raise ConfigError(
                f"{name}.notify_actor: expected true or false, got {show(notify_actor)}"
            )
        recipients = tuple(_recipient(t, f"{name}.to[{i}]") for i, t in enumerate(targets))
        if name not in known:
            near = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"routes.{show(name)}: no event is called that{hint}")
        _check_topic(name, spec["topic"], known)
        routes[name] = Route(spec["topic"], recipients, notify_actor)
    return NotificationRoutes(routes)


def deliver_outbox(
    storage: Storage,
    routes: NotificationRoutes,
    directory: Directory,
    notifier: Notifier,
    at: datetime,
    owner_of: OwnerLookup = owner_from_event,
    batch: int = 100,
) -> int:
    """Send every undelivered event's notifications, marking each event delivered after its
    notifications went out (at least once: a crash in between sends them again). On a
    [`ClaimingOutbox`][crmcore.ports.ClaimingOutbox] events are leased first, so several processes
    delivering at once never send one event twice. Returns the number of notifications sent."""
    sent = 0
    claimer = storage if isinstance(storage, ClaimingOutbox) else None
    while True:
        pending = claimer.claim(batch) if claimer is not None else storage.undelivered(batch)
        if not pending:
            return sent
        done = 0
        try:
            for stored in pending:
                for notification in routes.notifications(stored.event, directory, owner_of):
                    notifier.send(notification)
                    sent += 1
                storage.mark_delivered(stored.seq, at)
                done += 1
        finally:
            if claimer is not None and done < len(pending):
                # Give the rest back so the next delivery (here or elsewhere) retries them now.
                claimer.release([s.seq for s in pending[done:]])


#: Who hears of what by default; replace or extend with
#: ``from_dict(NotificationRoutes, data)``.
DEFAULT_ROUTES = routes_of(
    {
        "LeadAssigned": {"topic": "lead assigned to you", "to": [{"owner": True}]},
        "OpportunityWon": {"topic": "opportunity won", "to": [{"manager_of_owner": 1}]},
        "AccountReceiptRecorded": {
            "topic": "money on account awaiting confirmation",
            "to": [{"role": "finance"}],
        },
        "AccountReceiptRejected": {"topic": "money on account rejected", "to": [{"owner": True}]},
        "ReceivableAdvanceMoved": {
            "topic": "advance moved to the customer's account",
            "to": [{"owner": True}],
        },
        "OrderCreditWarning": {
            "topic": "credit warning",
            "to": [{"role": "finance"}, {"manager_of_owner": 1}],
        },
        "ApprovalStepStarted": {
            "topic": "approval waiting for you",
            "to": [{"event_field": "approver_ids"}],
        },
        "ApprovalTaskDelegated": {
            "topic": "approval delegated to you",
            "to": [{"event_field": "to_id"}],
        },
        "ApprovalTaskEscalated": {
            "topic": "approval escalated to you",
            "to": [{"event_field": "to_id"}],
        },
        "ApprovalReminderSent": {
            "topic": "approval due soon",
            "to": [{"event_field": "recipient_id"}],
            "notify_actor": True,
        },
        "ApprovalRequestWithdrawn": {
            "topic": "approval request withdrawn",
            "to": [{"event_field": "approver_ids"}],
        },
        "LeadRecycled": {
            "topic": "lead recycled back to its pool",
            "to": [{"event_field": "previous_owner_id"}],
        },
        "LeadHandedOver": {"topic": "lead handed over to you", "to": [{"owner": True}]},
        "OpportunityHandedOver": {
            "topic": "opportunity handed over to you",
            "to": [{"owner": True}],
        },
        "OrderHandedOver": {"topic": "order handed over to you", "to": [{"owner": True}]},
        "ReceivableHandedOver": {
            "topic": "receivable handed over to you",
            "to": [{"owner": True}],
        },
        # one notification per decision: the approval's events tell the owner, so the order's
        # own OrderApproved / OrderRejected of the same decision are not routed
        "ApprovalRequestApproved": {"topic": "request approved", "to": [{"owner": True}]},
        "ApprovalRequestRejected": {"topic": "request rejected", "to": [{"owner": True}]},
        "OrderConfirmed": {"topic": "order awaiting shipment", "to": [{"role": "shipping"}]},
        "ReceivablePaymentRecorded": {
            "topic": "payment awaiting confirmation",
            "to": [{"role": "finance"}],
        },
        "ReceivablePaymentConfirmed": {
            "topic": "payment confirmed",
            "to": [{"owner": True}, {"manager_of_owner": 1}],
        },
        "ReceivablePaymentRejected": {"topic": "payment rejected", "to": [{"owner": True}]},
        "ReceivablePaymentReversed": {
            "topic": "payment reversed",
            "to": [{"owner": True}, {"manager_of_owner": 1}],
        },
        "ReceivableWrittenOff": {"topic": "amount written off", "to": [{"owner": True}]},
        "ReceivableInvoiceRequested": {
            "topic": "invoice awaiting issue",
            "to": [{"role": "finance"}],
        },
        "ReceivableInvoiceIssued": {"topic": "invoice issued", "to": [{"owner": True}]},
        "ReceivableInvoiceRejected": {"topic": "invoice rejected", "to": [{"owner": True}]},
        "ReceivableInvoiceCancelled": {"topic": "invoice cancelled", "to": [{"owner": True}]},
        "ReceivableCreditNoteRequested": {
            "topic": "credit note awaiting issue",
            "to": [{"role": "finance"}],
        },
        "ReceivableCreditNoteIssued": {"topic": "credit note issued", "to": [{"owner": True}]},
        "ReceivableCreditNoteRejected": {"topic": "credit note rejected", "to": [{"owner": True}]},
        "VisitPlanAssigned": {"topic": "visit plan assigned to you", "to": [{"owner": True}]},
        "CoVisitRequested": {
            "topic": "co-visit requested",
            "to": [{"event_field": "colleague_id"}],
        },
        "VisitOutsideTolerance": {
            "topic": "check-in outside tolerance",
            "to": [{"manager_of_owner": 1}],
        },
        "CoVisitFeedbackGiven": {"topic": "co-visit feedback", "to": [{"owner": True}]},
        "VisitRescheduled": {"topic": "visit rescheduled", "to": [{"owner": True}]},
        "InstallmentDueSoon": {
            "topic": "installment due soon",
            "to": [{"owner": True}],
            "notify_actor": True,
        },
        "InstallmentDueToday": {
            "topic": "installment due today",
            "to": [{"owner": True}],
            "notify_actor": True,
        },
        "InstallmentOverdue": {
            "topic": "installment overdue, level {level}",
            "to": [{"owner": True}],
            "notify_actor": True,
        },
    }
)
