"""The one aggregate base: version, pending events and the checked ``_emit`` of every change.

Every aggregate crmcore stores (orders, receivables, leads, pools, opportunities, approval
requests and the services' own records) inherits ``AggregateRoot``. It owns:

- ``version``: the stored version an adapter checks optimistically (keyword-only, so the
  aggregate's own fields keep their positions);
- the *pending* events: raised since the last ``pull_events``, never
  compared (an aggregate equals its own reload) and never stored (the unit of work moves
  them to the outbox);
- one ``_check_change`` that refuses a bad actor or time *before*
  anything changes, and one ``_emit`` that checks again and builds the
  event with the subject's kind and id.

Subclasses name their ``aggregate_kind`` (the events' subject kind) and, when they keep an
append-only history, say when they last changed (``_last_change_at``) so
time never runs backwards.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Final, TypeVar

import attrs

from crmcore.errors import ValidationError
from crmcore.events import DomainEvent
from crmcore.ports import Actor

__all__ = ["UNCHANGED", "AggregateRoot", "Unchanged", "check_actor", "check_time"]

E = TypeVar("E", bound=DomainEvent)


class Unchanged(enum.Enum):
    """The type of ``UNCHANGED`` (an enum, so ``is`` checks narrow the type)."""

    UNCHANGED = "unchanged"


#: The default of a command argument that leaves its field as it is, where None is a value
#: (``Pool.update_member(capacity=None)`` means no limit; ``Opportunity.revise`` clears an
#: override with None).
UNCHANGED: Final = Unchanged.UNCHANGED


def check_actor(actor: object, name: str = "actor") -> Actor:
    """``actor`` if it is an ``Actor``, else ValidationError naming it."""
    if not isinstance(actor, Actor):
        raise ValidationError(f"{name}: expected an Actor, got {actor!r}")
    return actor


def check_time(
    at: object,
    last: datetime | None = None,
    *,
    name: str = "at",
    subject: str = "the",
    aware: bool = False,
) -> datetime:
    """``at`` if it is a datetime of the same kind as ``last`` (naive / aware), not before it.

    Raises ValidationError naming ``name`` for a non-datetime (a date, a string...), for a
    naive moment when ``aware`` is asked for (a visit's check-in is a moment on the map, so
    its zone matters), for a naive moment after an aware one or the other way round, and for
    a moment before ``last``: history is append-only. ``subject`` names whose last change it
    is in the message (``"order SO-1's"``).
    """
    if not isinstance(at, datetime):
        raise ValidationError(f"{name}: expected a datetime, got {at!r}")
    if aware and at.utcoffset() is None:
        raise ValidationError(f"{name}: expected an aware datetime, got {at!r}")
    if last is None:
        return at
    if (at.utcoffset() is None) != (last.utcoffset() is None):
        raise ValidationError(
            f"{name}: {at.isoformat()} and {subject} last change {last.isoformat()} mix naive "
            "and timezone-aware datetimes"
        )
    if at < last:
        raise ValidationError(
            f"{name}: {at.isoformat()} is before {subject} last change {last.isoformat()}; "
            "history is append-only"
        )
    return at


@attrs.define
class AggregateRoot:
    """Base of every stored aggregate: version, pending events, checked changes."""

    #: The kind written into every event as its subject kind (``"order"``, ``"lead"``...).
    aggregate_kind: ClassVar[str] = ""

    #: True when the aggregate's times must carry a zone (``check_time``'s ``aware``).
    aware_times: ClassVar[bool] = False

    #: The stored version, set by the storage adapter for its optimistic check.
    version: int = attrs.field(default=0, kw_only=True)
    _pending_events: list[DomainEvent] = attrs.field(
        factory=list, init=False, eq=False, repr=False
    )

    def peek_events(self) -> list[DomainEvent]:
        """The events raised since the last pull, without forgetting them."""
        return list(self._pending_events)

    def pull_events(self) -> list[DomainEvent]:
        """The events raised since the last pull; forgets them (the outbox has them now)."""
        events, self._pending_events = self._pending_events, []
        return events

    def _subject(self) -> tuple[str, str]:
        """The subject kind and id of the aggregate's events: its own kind and id.

        An approval request overrides it: its events are about the subject it decides on.
        """
        own_id: str = getattr(self, "id")  # noqa: B009 - every subclass declares an id
        return self.aggregate_kind, own_id

    def _last_change_at(self) -> datetime | None:
        """When the aggregate last changed: the floor for the next change (None: no floor).

        Aggregates that keep an append-only history override it; the pending events are no
        floor, since they are forgotten at every commit.
        """
        return None

    def _check_change(self, actor: object, at: object, *, name: str = "at") -> datetime:
        """Refuse a non-Actor, a non-datetime, a naive/aware mix or a step back in time."""
        check_actor(actor)
        own_id: str = getattr(self, "id")  # noqa: B009 - every subclass declares an id
        subject = f"{self.aggregate_kind} {own_id}'s"
        return check_time(
            at, self._last_change_at(), name=name, subject=subject, aware=self.aware_times
        )

    def _emit(self, event_type: Callable[..., E], actor: Actor, at: datetime, **fields: Any) -> E:
        """Check ``actor`` and ``at``, then raise ``event_type`` about this aggregate."""
        self._check_change(actor, at)
        kind, subject_id = self._subject()
        event = event_type(
            occurred_at=at,
            actor_id=actor.user_id,
            subject_kind=kind,
            subject_id=subject_id,
            **fields,
        )
        self._pending_events.append(event)
        self._remember(event)
        return event

    def _remember(self, event: DomainEvent) -> None:
        """Keep ``event`` in the aggregate's own stored history, if it keeps one (a hook)."""
