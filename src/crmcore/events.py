"""Domain events: the immutable record that something changed, who changed it and when.

Every package defines its own event types as frozen attrs subclasses of
[`DomainEvent`][crmcore.events.DomainEvent];
each subclass is registered by name so that stored events (the SQLite outbox, JSON exports)
can be read back into the right class.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Final

import attrs

from crmcore.errors import NotFound

__all__ = ["DomainEvent", "event_type", "event_types"]

_EVENT_TYPES: Final[dict[str, type[DomainEvent]]] = {}


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of every event: when, by whom, and which subject (kind and id) it is about."""

    occurred_at: datetime
    actor_id: str
    subject_kind: str
    subject_id: str

    #: The registered name of the event type; defaults to the class name.
    event_name: ClassVar[str] = "DomainEvent"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # attrs builds a new class for slotted classes; register the final one (same name).
        name = cls.__dict__.get("event_name", cls.__name__)
        cls.event_name = name
        _EVENT_TYPES[name] = cls


def event_type(name: str) -> type[DomainEvent]:
    """The event class registered under ``name``; ``NotFound`` when no package defines it."""
    try:
        return _EVENT_TYPES[name]
    except KeyError:
        raise NotFound(f"no event type named {name!r} is registered") from None


def event_types() -> dict[str, type[DomainEvent]]:
    """A copy of the registry: event name → class."""
    return dict(_EVENT_TYPES)
