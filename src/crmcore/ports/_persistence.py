"""What adapters need to know about the aggregates they store, and the outbox they keep."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from crmcore.errors import ValidationError
from crmcore.events import DomainEvent
from crmcore.ports._protocols import Aggregate, UnitOfWork

__all__ = ["AggregateKind", "ClaimingOutbox", "Outbox", "Storage", "StoredEvent"]

A = TypeVar("A", bound=Aggregate)


def _names(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class AggregateKind(Generic[A]):
    """One kind of aggregate an adapter stores: its name (the table), class and indexes.

    ``indexes`` are the attributes ``Repository.find`` filters on (dotted paths allowed,
    e.g. ``customer.id``); adapters keep them in indexed columns so ``find`` never scans.
    ``dump`` / ``load`` turn an aggregate into JSON-ready data and back; by default the
    crmcore converter (``crmcore.serialization``) does it.
    """

    name: str
    cls: type[A]
    indexes: tuple[str, ...] = attrs.field(default=(), converter=_names)
    dump: Callable[[A], Mapping[str, Any]] | None = None
    load: Callable[[Mapping[str, Any]], A] | None = None

    def __attrs_post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValidationError(f"kind name: {self.name!r} must be an identifier (a table)")
        for index in self.indexes:
            if not all(part.isidentifier() for part in index.split(".")):
                raise ValidationError(f"kind {self.name}: index {index!r} is not a dotted name")

    def index_values(self, aggregate: A) -> dict[str, object]:
        """The values of the indexed attributes of ``aggregate`` (None where a step is None)."""
        values: dict[str, object] = {}
        for index in self.indexes:
            current: object = aggregate
            for part in index.split("."):
                current = getattr(current, part) if current is not None else None
            values[index] = current
        return values


@attrs.frozen
class StoredEvent:
    """An event in the outbox: its sequence number, and whether it was delivered."""

    seq: int
    event: DomainEvent
    delivered: bool = False


class Outbox(Protocol):
    """Events committed with the state they describe, delivered after commit at least once."""

    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        """Events not yet marked delivered, oldest first."""
        ...

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        """Record that the event ``seq`` reached the notifier at ``at`` (idempotent)."""
        ...


@runtime_checkable
class ClaimingOutbox(Outbox, Protocol):
    """An outbox several delivery processes share without delivering an event twice.

    ``claim`` leases the oldest undelivered events not leased to anybody else (or whose
    lease ran out: a deliverer that crashed) for ``lease`` seconds; the caller delivers them
    and marks each delivered before the lease ends.
    """

    def claim(self, limit: int = 100, lease: float = 60.0) -> list[StoredEvent]:
        """Lease up to ``limit`` undelivered events, oldest first, for ``lease`` seconds."""
        ...

    def release(self, seqs: Sequence[int]) -> None:
        """End the lease of claimed events that were not delivered (a clean failure)."""
        ...


class Storage(Outbox, Protocol):
    """A store an application opens units of work on, with its outbox (what adapters export)."""

    def unit_of_work(self) -> UnitOfWork:
        """A new, not yet entered, unit of work."""
        ...
