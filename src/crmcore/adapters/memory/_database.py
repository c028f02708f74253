"""The in-memory reference adapter: a database of JSON rows shared by units of work.

Aggregates are stored as the same JSON the SQLite adapter writes, so what comes back from
``get`` is always a fresh copy and an aggregate that does not survive serialization fails
here first (each new shape of a kind is loaded back before it is stored; with
``verify_writes="always"`` every write is). A commit checks every version before it writes
anything.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from crmcore.adapters._codec import (
    dump_event_checked,
    index_key,
    load_aggregate,
    load_event,
)
from crmcore.adapters._decoded import MAX_ROWS
from crmcore.adapters._staging import KindRegistry, Staging, Written
from crmcore.adapters._verify import WriteCheck
from crmcore.errors import AlreadyExists, NeverAdded, NoOutboxEvent, StaleVersion
from crmcore.events import DomainEvent
from crmcore.ports import Aggregate, AggregateKind, StoredEvent

__all__ = ["MemoryDatabase"]

A = TypeVar("A", bound=Aggregate)


@attrs.define
class _Table:
    rows: dict[str, tuple[int, str]] = attrs.field(factory=dict)
    # index name -> key -> ids
    index: dict[str, dict[str | None, set[str]]] = attrs.field(factory=dict)
    keys: dict[str, dict[str, str | None]] = attrs.field(factory=dict)  # id -> index -> key


class MemoryDatabase(KindRegistry):
    """Everything committed, shared by the units of work it opens (thread-safe commits)."""

    def __init__(
        self,
        kinds: Sequence[AggregateKind[Any]],
        *,
        verify_writes: WriteCheck | str = WriteCheck.PER_SHAPE,
        decoded_rows: int = MAX_ROWS,
    ) -> None:
        super().__init__(kinds, verify_writes, decoded_rows)
        self._tables: dict[str, _Table] = {
            k.name: _Table(index={i: {} for i in k.indexes}) for k in kinds
        }
        self._outbox: list[tuple[str, str]] = []  # (event name, json); seq = index + 1
        self._undelivered: dict[int, None] = {}  # seqs not yet delivered, oldest first
        self._leases: dict[int, float] = {}  # seq -> time.monotonic() its lease ends
        self._lock = threading.RLock()

    # -- reads --------------------------------------------------------------------------------
    def read(self, kind: AggregateKind[A], id: str) -> A | None:
        with self._lock:
            row = self._tables[kind.name].rows.get(id)
        return None if row is None else self.decoded.load(kind, id, row[0], row[1], load_aggregate)

    def ids_matching(self, kind: AggregateKind[A], keys: dict[str, str | None]) -> list[str]:
        with self._lock:
            table = self._tables[kind.name]
            if not keys:
                return sorted(table.rows)
            sets = [table.index[name].get(key, set()) for name, key in keys.items()]
            return sorted(set.intersection(*sets))

    # -- the commit ---------------------------------------------------------------------------
    def apply(self, staging: Staging) -> list[DomainEvent]:
        """Check every staged write, then write them all and the events; or write nothing."""
        with self._lock:
            for (name, id), staged in staging.writes.items():
                row = self._tables[name].rows.get(id)
                if staged.op == "add" and row is not None:
                    raise AlreadyExists(name, id)
                if staged.op == "save":
                    if row is None:
                        raise NeverAdded(name, id)
                    if row[0] != staged.expected_version:
                        raise StaleVersion(name, id, row[0], staged.expected_version)
            # Serialize everything before touching the tables: a failure leaves them as they were.
            rows: dict[tuple[str, str], Written] = {
                key: (
                    staged.expected_version + 1,
                    *self.encode_write(staged.kind, staged.aggregate),
                )
                for key, staged in staging.writes.items()
            }
            keys = {
                key: {
                    i: index_key(v) for i, v in staged.kind.index_values(staged.aggregate).items()
                }
                for key, staged in staging.writes.items()
            }
            events = staging.new_events()
            dumped = [dump_event_checked(e, self.shapes) for e in events]
            for (name, id), (version, text, _) in rows.items():
                table = self._tables[name]
                for index, old in table.keys.get(id, {}).items():
                    table.index[index][old].discard(id)
                table.rows[id] = (version, text)
                table.keys[id] = keys[(name, id)]
                for index, new in keys[(name, id)].items():
                    table.index[index].setdefault(new, set()).add(id)
            for event_name, event_text in dumped:
                self._outbox.append((event_name, event_text))
                self._undelivered[len(self._outbox)] = None
            self.keep_written(staging, rows)
            staging.committed({key: row[0] for key, row in rows.items()})
        return events

    # -- the outbox ---------------------------------------------------------------------------
    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        """Committed events not yet marked delivered, oldest first."""
        with self._lock:
            seqs = list(itertools.islice(self._undelivered, limit))
            rows = [(seq, *self._outbox[seq - 1]) for seq in seqs]
        return [StoredEvent(seq, load_event(name, text)) for seq, name, text in rows]

    def claim(self, limit: int = 100, lease: float = 60.0) -> list[StoredEvent]:
        """Lease up to ``limit`` undelivered events nobody else holds, oldest first."""
        with self._lock:
            now = time.monotonic()
            free = (s for s in self._undelivered if self._leases.get(s, now - 1) < now)
            seqs = list(itertools.islice(free, limit))
            for seq in seqs:
                self._leases[seq] = now + lease
            rows = [(seq, *self._outbox[seq - 1]) for seq in seqs]
        return [StoredEvent(seq, load_event(name, text)) for seq, name, text in rows]

    def release(self, seqs: Sequence[int]) -> None:
        """End the lease of events claimed but not delivered."""
        with self._lock:
            for seq in seqs:
                self._leases.pop(seq, None)

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        """Record that event ``seq`` was delivered (again is fine); ``at`` is not kept here."""
        with self._lock:
            if not 1 <= seq <= len(self._outbox):
                raise NoOutboxEvent(seq)
            self._undelivered.pop(seq, None)
            self._leases.pop(seq, None)

    def count(self, cls: type[Aggregate]) -> int:
        """How many aggregates of a kind are stored."""
        with self._lock:
            return len(self._tables[self.kind_of(cls).name].rows)
