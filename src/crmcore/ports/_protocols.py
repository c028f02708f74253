"""The ports: what crmcore needs from its host, as Protocols (no implementation here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

import attrs

from crmcore.events import DomainEvent
from crmcore.ports._actor import DirectoryUser

__all__ = [
    "Aggregate",
    "Clock",
    "Directory",
    "IdGenerator",
    "Notification",
    "Notifier",
    "Repository",
    "UnitOfWork",
]


@runtime_checkable
class Clock(Protocol):
    """The time source; the domain never calls ``datetime.now()`` itself."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


@runtime_checkable
class IdGenerator(Protocol):
    """New ids for aggregates; ``kind`` (``"order"``, ``"payment"``) lets hosts prefix them."""

    def new_id(self, kind: str) -> str: ...


@runtime_checkable
class Directory(Protocol):
    """Users, their roles, departments and managers, as the host's identity system knows them."""

    def user(self, user_id: str) -> DirectoryUser:
        """The user with that id; raises ``crmcore.errors.NotFound`` when there is none."""
        ...

    def manager_of(self, user_id: str, levels: int = 1) -> DirectoryUser | None:
        """The manager ``levels`` up the chain from ``user_id``, or None past the top."""
        ...

    def users_with_role(self, role: str) -> Sequence[DirectoryUser]:
        """Every user holding ``role`` (active or not), in a stable order."""
        ...

    def users_in_department(self, department: str) -> Sequence[DirectoryUser]:
        """Every user of ``department`` (active or not), in a stable order."""
        ...


@attrs.frozen
class Notification:
    """One message for one recipient about one event; ``topic`` names why they get it."""

    recipient_id: str
    topic: str
    event: DomainEvent


@runtime_checkable
class Notifier(Protocol):
    """Delivers notifications (mail, chat, in-app); called only after a commit."""

    def send(self, notification: Notification) -> None: ...


@runtime_checkable
class Aggregate(Protocol):
    """What a repository stores: an id, an optimistic version, and events not yet collected."""

    @property
    def id(self) -> str: ...

    version: int

    def peek_events(self) -> list[DomainEvent]:
        """The events raised since the last pull, without forgetting them.

        A unit of work writes these to the outbox and calls ``pull_events`` only once the
        commit succeeded, so a failed commit leaves the events on the aggregate.
        """
        ...

    def pull_events(self) -> list[DomainEvent]:
        """Return the events raised since the last call and forget them."""
        ...


A = TypeVar("A", bound=Aggregate)


class Repository(Protocol[A]):
    """Storage for one aggregate kind.

    ``save`` compares the aggregate's ``version`` with the stored one and raises
    ``ConcurrencyConflict`` (writing nothing) when somebody saved it in between; on success
    the stored version, and the aggregate's, go up by one.
    """

    def get(self, id: str) -> A:
        """A copy of the stored aggregate; ``NotFound`` when there is none."""
        ...

    def add(self, aggregate: A) -> None:
        """Store a new aggregate; ``ConcurrencyConflict`` when the id is taken."""
        ...

    def save(self, aggregate: A) -> None: ...

    def find(self, **filters: object) -> list[A]:
        """Aggregates whose indexed attributes equal every filter value, ordered by id."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done inside commits together or not at all.

    Leaving the ``with`` block without ``commit()`` rolls back. ``repository(cls)`` gives
    the repository of one aggregate class; ``collect_new_events`` the events the committed
    aggregates raised, in order.
    """

    def repository(self, cls: type[A]) -> Repository[A]: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def collect_new_events(self) -> Iterator[DomainEvent]:
        """The events of the aggregates committed in this unit of work, in order."""
        ...
