"""How the reference adapters turn aggregates, index values and events into text and back."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from crmcore._decimal import CONTEXT
from crmcore._numbers import show
from crmcore.adapters._verify import ShapeLog
from crmcore.errors import ValidationError
from crmcore.events import DomainEvent, event_type
from crmcore.money import Money, Percent
from crmcore.ports import Aggregate, AggregateKind
from crmcore.serialization import converter, from_dict

__all__ = [
    "check_by_shape",
    "dump_aggregate",
    "dump_checked",
    "dump_event",
    "dump_event_checked",
    "index_key",
    "json_of",
    "load_aggregate",
    "load_event",
    "loads_back",
    "plain_of",
]

A = TypeVar("A", bound=Aggregate)


def dump_checked(kind: AggregateKind[A], aggregate: A, log: ShapeLog | None = None) -> str:
    """The aggregate's JSON, refused (ValidationError) unless it loads back.

    A commit writes only what it can read again: a bad value that slipped past a domain
    check (a number where a name belongs...) is refused before anything is stored, instead
    of poisoning every later load. With a ``log`` only a shape new for the kind is loaded
    back (see ``crmcore.adapters._verify``); without one, every write is.
    """
    plain = plain_of(kind, aggregate)
    text = json_of(plain)
    check_by_shape(kind, aggregate, plain, text, log)
    return text


def check_by_shape(
    kind: AggregateKind[A], aggregate: A, plain: object, text: str, log: ShapeLog | None
) -> None:
    """Load ``text`` back (ValidationError unless it loads) when ``log`` has not seen the
    shape of ``plain`` load back for the kind before (always without a ``log``)."""
    if log is None:
        loads_back(kind, aggregate, text)
        return
    shape = log.shape(plain)
    if log.needs_check(kind.name, shape):
        loads_back(kind, aggregate, text)
        log.loaded_back(kind.name, shape)


def loads_back(kind: AggregateKind[A], aggregate: A, text: str) -> A:
    """The aggregate decoded from ``text``; ValidationError naming it unless it loads."""
    try:
        return load_aggregate(kind, text, 0)
    except ValidationError as exc:
        raise ValidationError(
            f"cannot store {kind.name} {aggregate.id!r}: it would not load back ({exc})"
        ) from None


def dump_event_checked(event: DomainEvent, log: ShapeLog | None = None) -> tuple[str, str]:
    """The event's name and JSON, refused (ValidationError) unless it loads back (with a
    ``log``: unless an event of its type and shape loaded back before)."""
    name = event.event_name
    data = converter.unstructure(event)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    if log is None:
        _event_loads_back(event, text)
        return name, text
    shape, key = log.shape(data), f"event {name}"
    if log.needs_check(key, shape):
        _event_loads_back(event, text)
        log.loaded_back(key, shape)
    return name, text


def _event_loads_back(event: DomainEvent, text: str) -> None:
    name = event.event_name
    try:
        load_event(name, text)
    except ValidationError as exc:
        raise ValidationError(
            f"cannot store event {name} of {event.subject_kind} {event.subject_id!r}: "
            f"it would not load back ({exc})"
        ) from None


def plain_of(kind: AggregateKind[A], aggregate: A) -> dict[str, Any]:
    data = kind.dump(aggregate) if kind.dump is not None else converter.unstructure(aggregate)
    plain = dict(data)
    plain.pop("version", None)
    return plain


def json_of(plain: dict[str, Any]) -> str:
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dump_aggregate(kind: AggregateKind[A], aggregate: A) -> str:
    """The aggregate as canonical JSON (sorted keys), without its version."""
    return json_of(plain_of(kind, aggregate))


def load_aggregate(kind: AggregateKind[A], text: str, version: int) -> A:
    """A fresh aggregate from stored JSON, carrying the stored version."""
    data: dict[str, Any] = json.loads(text)
    if kind.load is not None:
        aggregate = kind.load(data)
    else:
        data.setdefault("version", version)
        aggregate = from_dict(kind.cls, data, what=kind.name)
    aggregate.version = version
    return aggregate


def dump_event(event: DomainEvent) -> tuple[str, str]:
    """The event's registered name and its JSON."""
    return event.event_name, json.dumps(
        converter.unstructure(event), sort_keys=True, ensure_ascii=False
    )


def load_event(name: str, text: str) -> DomainEvent:
    """The event of type ``name`` from its JSON."""
    return from_dict(event_type(name), json.loads(text), what=f"event {name}")


def index_key(value: object) -> str | None:
    """One canonical string per indexed value, so equal values always find each other."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return format(Decimal(value).normalize(CONTEXT), "f") if value else "0"
    if isinstance(value, Money):
        return f"{index_key(value.amount)} {value.currency.code}"
    if isinstance(value, Percent):
        return index_key(value.value)
    if isinstance(value, date):
        return value.isoformat()
    raise ValidationError(f"cannot index a {type(value).__name__} value {show(value)}")


def index_filters(kind: AggregateKind[A], filters: Mapping[str, object]) -> dict[str, str | None]:
    """Check ``find`` filters name indexed attributes and turn their values into keys."""
    unknown = sorted(set(filters) - set(kind.indexes))
    if unknown:
        raise ValidationError(
            f"find on {kind.name}: {unknown} are not indexed; filter on {list(kind.indexes)}"
        )
    return {name: index_key(value) for name, value in filters.items()}
