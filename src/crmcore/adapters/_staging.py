"""What both reference adapters share: the identity map, staged writes, the repository and
the unit of work. Each adapter supplies only a [`Store`][crmcore.adapters.Store] (how rows are read
and how a
commit is written)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, Self, TypeVar

import attrs

from crmcore.adapters._codec import (
    check_by_shape,
    dump_aggregate,
    dump_event_checked,
    index_filters,
    index_key,
    json_of,
    load_aggregate,
    loads_back,
    plain_of,
)
from crmcore.adapters._decoded import MAX_ROWS, DecodedRows
from crmcore.adapters._signed import same
from crmcore.adapters._verify import ShapeLog, WriteCheck
from crmcore.errors import AlreadyExists, InvalidTransition, NotFound, ValidationError
from crmcore.events import DomainEvent
from crmcore.ports import Aggregate, AggregateKind

A = TypeVar("A", bound=Aggregate)

#: A row a commit wrote: its new version, its text and what to keep as its decoded value.
Written = tuple[int, str, Aggregate | None]

__all__ = [
    "KindRegistry",
    "Staged",
    "Staging",
    "Store",
    "StoreRepository",
    "StoreUnitOfWork",
    "Written",
    "kinds_by_class",
]


@attrs.define
class Staged(Generic[A]):
    """One write waiting for commit: an add of a new aggregate or a save of a loaded one."""

    op: Literal["add", "save"]
    kind: AggregateKind[A]
    aggregate: A
    expected_version: int


@attrs.define
class Staging:
    """Aggregates loaded in this unit of work (by kind and id) and the writes to commit."""

    loaded: dict[tuple[str, str], Aggregate] = attrs.field(factory=dict)
    writes: dict[tuple[str, str], Staged[Any]] = attrs.field(factory=dict)

    def stage(self, op: Literal["add", "save"], kind: AggregateKind[A], aggregate: A) -> None:
        key = (kind.name, aggregate.id)
        previous = self.writes.get(key)
        if previous is not None and previous.op == "add":
            op = "add"  # added and then saved in the same unit of work: still an insert
        self.writes[key] = Staged(op, kind, aggregate, aggregate.version)
        self.loaded[key] = aggregate

    def new_events(self) -> list[DomainEvent]:
        """Every new event of the staged aggregates, in the order they were staged; they stay
        on the aggregates until [`committed`][crmcore.adapters.kit.Staging.committed] (a failed
        commit must not lose them)."""
        events: list[DomainEvent] = []
        for staged in self.writes.values():
            events.extend(staged.aggregate.peek_events())
        return events

    def committed(self, versions: dict[tuple[str, str], int]) -> None:
        """After a successful commit: set the new versions and drain the written events."""
        for key, staged in self.writes.items():
            staged.aggregate.version = versions[key]
            staged.aggregate.pull_events()

    def staged_of(self, kind: AggregateKind[A]) -> Iterator[A]:
        """The aggregates of one kind with a write staged (new ones included)."""
        for (name, _), staged in self.writes.items():
            if name == kind.name:
                yield staged.aggregate

    def clear(self) -> None:
        self.loaded.clear()
        self.writes.clear()


class KindRegistry:
    """The kinds a store holds, looked up by class; the shapes of the writes that loaded back
    (``verify_writes``: each new shape by default, or every write) and up to
    ``decoded_rows`` rows decoded before (0: decode every read); the base of both reference
    stores."""

    def __init__(
        self,
        kinds: Sequence[AggregateKind[Any]],
        verify_writes: WriteCheck | str = WriteCheck.PER_SHAPE,
        decoded_rows: int = MAX_ROWS,
    ) -> None:
        self._kinds = kinds_by_class(kinds)
        #: Rows decoded before: a read of the same row copies instead of decoding again.
        self.decoded = DecodedRows(decoded_rows)
        try:
            self.shapes = ShapeLog(WriteCheck(verify_writes))
        except ValueError:
            allowed = [c.value for c in WriteCheck]
            raise ValidationError(
                f"verify_writes: {verify_writes!r} is not one of {allowed}"
            ) from None

    def kind_of(self, cls: type[A]) -> AggregateKind[A]:
        """The kind stored for ``cls``; ValidationError naming the known kinds otherwise."""
        try:
            return self._kinds[cls]
        except KeyError:
            known = sorted(k.name for k in self._kinds.values())
            raise ValidationError(
                f"{cls.__name__} is not a stored kind of this database (kinds: {known})"
            ) from None

    def unit_of_work(self) -> StoreUnitOfWork:
        """A new unit of work over this store."""
        return StoreUnitOfWork(self)  # type: ignore[arg-type]  # subclasses implement Store

    def encode_row(self, kind: AggregateKind[A], aggregate: A) -> str:
        """The aggregate's row text, loaded back first when its signature is new for the kind
        (every write with ``verify_writes="always"``); ValidationError unless it loads back."""
        return self.encode_write(kind, aggregate)[0]

    def encode_event_row(self, event: DomainEvent) -> tuple[str, str]:
        """An outbox row (registered name, JSON), loaded back first when its shape is new."""
        return dump_event_checked(event, self.shapes)

    def encode_write(self, kind: AggregateKind[A], aggregate: A) -> tuple[str, A | None]:
        """The row text of a write, refused (ValidationError) unless it loads back, and what
        to keep as the row's decoded value once it is stored (None: let a read decode it).

        A copy of the aggregate is kept when a write of its signature (every runtime type
        in it) loaded back ``same`` as written; the first write of each signature is loaded
        back and compared, later ones are loaded back only when a value is beyond a load's
        limits (a text too long, a number too big), and their text is put together from the
        texts of the records met before when that gave the plain conversion's text the
        first time. An aggregate that cannot be copied, or whose signature did not decode
        the same, is checked by its JSON shape (``crmcore.adapters._verify``).
        ``verify_writes="always"`` loads back every write.
        """
        always = self.shapes.check is WriteCheck.ALWAYS
        copied = self.decoded.copy_written(aggregate)
        verdict = None if copied is None else self.decoded.verdict(kind, copied[1])
        if copied is not None and verdict is not None and verdict[0] and copied[2] and not always:
            if verdict[1]:
                return self.decoded.text_of(aggregate), copied[0]
            return dump_aggregate(kind, aggregate), copied[0]
        plain = plain_of(kind, aggregate)
        text = json_of(plain)
        if copied is None or (verdict is not None and not verdict[0]):
            check_by_shape(kind, aggregate, plain, text, None if always else self.shapes)
            return text, None
        kept, signature, _ = copied
        loaded = loads_back(kind, aggregate, text)
        if verdict is None:
            verdict = (same(kept, loaded), self._text_of(kind, aggregate) == text)
            self.decoded.judged(kind, signature, verdict)
        return text, kept if verdict[0] else loaded

    def _text_of(self, kind: AggregateKind[A], aggregate: A) -> str | None:
        """The row text from parts, for a kind the converter stores (None for a kind with
        its own ``dump`` or one the parts cannot be put together for)."""
        if kind.dump is not None:
            return None
        try:
            return self.decoded.text_of(aggregate)
        except Exception:
            return None

    def keep_written(self, staging: Staging, rows: Mapping[tuple[str, str], Written]) -> None:
        """After a commit stored ``rows`` ((kind, id) -> (new version, text, kept)): keep
        each ``kept`` aggregate as its row's decoded value, so the next read copies it."""
        for key, (version, text, kept) in rows.items():
            if kept is not None:
                self.decoded.keep(staging.writes[key].kind, key[1], version, text, kept)

    def decode_row(self, kind: AggregateKind[A], id: str, text: str, version: int) -> A:
        """A fresh aggregate from its row: a copy of the one decoded before when the row is
        unchanged (up to ``decoded_rows`` rows kept), else decoded from ``text``."""
        return self.decoded.load(kind, id, version, text, load_aggregate)


def kinds_by_class(kinds: Sequence[AggregateKind[Any]]) -> dict[type, AggregateKind[Any]]:
    """Index kinds by class, refusing two kinds with one class or one name."""
    by_class: dict[type, AggregateKind[Any]] = {}
    names: set[str] = set()
    for kind in kinds:
        if kind.cls in by_class or kind.name in names:
            raise ValidationError(f"kind {kind.name} ({kind.cls.__name__}) is declared twice")
        by_class[kind.cls] = kind
        names.add(kind.name)
    return by_class


class Store(Protocol):
    """What an adapter's database offers the shared unit of work."""

    def kind_of(self, cls: type[A]) -> AggregateKind[A]: ...

    def read(self, kind: AggregateKind[A], id: str) -> A | None: ...

    def ids_matching(self, kind: AggregateKind[A], keys: dict[str, str | None]) -> list[str]: ...

    def apply(self, staging: Staging) -> list[DomainEvent]:
        """Check every staged version, write rows and events together or raise having written
        nothing; on success set each staged aggregate's new version."""
        ...


class StoreRepository(Generic[A]):
    """The repository of one kind inside one unit of work: an identity map over the store."""

    def __init__(self, uow: StoreUnitOfWork, kind: AggregateKind[A]) -> None:
        self._uow = uow
        self._kind = kind

    def get(self, id: str) -> A:
        staging = self._uow.staging()
        key = (self._kind.name, id)
        if key in staging.loaded:
            return staging.loaded[key]  # type: ignore[return-value]  # keyed by this kind
        aggregate = self._uow.store.read(self._kind, id)
        if aggregate is None:
            raise NotFound(f"no {self._kind.name} with id {id!r}")
        staging.loaded[key] = aggregate
        return aggregate

    def add(self, aggregate: A) -> None:
        staging = self._uow.staging()
        key = (self._kind.name, aggregate.id)
        if key in staging.loaded or self._uow.store.read(self._kind, aggregate.id) is not None:
            raise AlreadyExists(self._kind.name, aggregate.id)
        staging.stage("add", self._kind, aggregate)

    def save(self, aggregate: A) -> None:
        self._uow.staging().stage("save", self._kind, aggregate)

    def find(self, **filters: object) -> list[A]:
        staging = self._uow.staging()
        keys = index_filters(self._kind, filters)
        found: dict[str, A] = {}
        for id in self._uow.store.ids_matching(self._kind, keys):
            found[id] = self.get(id)
        for aggregate in staging.staged_of(self._kind):
            found[aggregate.id] = aggregate
        # Copies changed in this unit of work may no longer match: check every one again.
        return [a for _, a in sorted(found.items()) if self._matches(a, keys)]

    def _matches(self, aggregate: A, keys: dict[str, str | None]) -> bool:
        values = self._kind.index_values(aggregate)
        return all(index_key(values[name]) == key for name, key in keys.items())


class StoreUnitOfWork:
    """One transaction over a store; leaving the ``with`` block without commit rolls back."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._staging: Staging | None = None
        self._committed: list[DomainEvent] = []

    def __enter__(self) -> Self:
        if self._staging is not None:
            raise InvalidTransition("this unit of work is already open")
        self._staging = Staging()
        self._committed = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._staging = None

    def staging(self) -> Staging:
        """The open transaction's identity map and writes."""
        if self._staging is None:
            raise InvalidTransition("use the unit of work inside a 'with' block")
        return self._staging

    def repository(self, cls: type[A]) -> StoreRepository[A]:
        return StoreRepository(self, self.store.kind_of(cls))

    def commit(self) -> None:
        staging = self.staging()
        try:
            self._committed.extend(self.store.apply(staging))
        finally:
            staging.clear()

    def rollback(self) -> None:
        if self._staging is not None:
            self._staging.clear()

    def collect_new_events(self) -> Iterator[DomainEvent]:
        events, self._committed = self._committed, []
        yield from events
