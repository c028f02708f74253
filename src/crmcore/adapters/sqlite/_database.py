"""The SQLite reference adapter (stdlib ``sqlite3``, no ORM).

One table per aggregate kind — id, version, one indexed column per ``find`` filter, and the
aggregate as JSON through the crmcore converter — plus a transactional outbox. Reads run
outside any transaction; a commit is one ``BEGIN IMMEDIATE`` transaction that checks every
version (optimistic concurrency), writes the rows and the events together, or nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Self, TypeVar

from crmcore.adapters._codec import (
    dump_event_checked,
    index_key,
    load_aggregate,
    load_event,
)
from crmcore.adapters._decoded import MAX_ROWS
from crmcore.adapters._staging import KindRegistry, Staging, Written
from crmcore.adapters._verify import WriteCheck
from crmcore.errors import AlreadyExists, NeverAdded, NoOutboxEvent, StaleVersion, StorageError
from crmcore.events import DomainEvent
from crmcore.ports import Aggregate, AggregateKind, StoredEvent, checkpoint

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteDatabase"]

A = TypeVar("A", bound=Aggregate)

#: The layout this crmcore writes. 1: kinds and an outbox with a delivered flag;
#: 2: the outbox also records when each event was delivered.
SCHEMA_VERSION: Final = 2

_V1_DDL: Final = """
CREATE TABLE IF NOT EXISTS crmcore_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_name TEXT NOT NULL,
    data TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS crmcore_outbox_pending ON crmcore_outbox (seq) WHERE delivered = 0;
"""


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE crmcore_outbox ADD COLUMN delivered_at TEXT")


#: Each step takes a file from version N to N + 1, inside the opening transaction.
MIGRATIONS: Final[dict[int, Callable[[sqlite3.Connection], None]]] = {1: _migrate_1_to_2}


def _table(kind: AggregateKind[Any]) -> str:
    return f'"kind_{kind.name}"'


def _column(index: str) -> str:
    return "ix_" + index.replace(".", "__")


class SqliteDatabase(KindRegistry):
    """A crmcore store in one SQLite file; open one per thread or process (one connection).

    Args:
        path: the database file (created if missing), or ``":memory:"``.
        kinds: the aggregate kinds stored.
        timeout: seconds to wait for another writer's lock before giving up with
            [`StorageError`][crmcore.errors.StorageError].
    """

    def __init__(
        self,
        path: str | Path,
        kinds: Sequence[AggregateKind[Any]],
        *,
        timeout: float = 5.0,
        verify_writes: WriteCheck | str = WriteCheck.PER_SHAPE,
        decoded_rows: int = MAX_ROWS,
    ) -> None:
        self.path = str(path)
        self.timeout = timeout
        super().__init__(kinds, verify_writes, decoded_rows)
        with self._errors("open"):
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            with self._errors("open"):
                self._prepare()
        except BaseException:
            self._conn.close()
            raise

    # -- set-up -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn sqlite3's exceptions into StorageError naming the file and what happened."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise StorageError(
                    f"{self.path}: {doing}: the database stayed locked by another writer for "
                    f"more than {self.timeout} s; nothing was written, try again"
                ) from exc
            if "readonly" in text or "read-only" in text or "unable to open" in text:
                raise StorageError(
                    f"{self.path}: {doing}: cannot write the database file or its folder "
                    f"({text}); nothing was written"
                ) from exc
            raise StorageError(f"{self.path}: {doing}: {text}") from exc
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"{self.path}: {doing}: not a crmcore SQLite database ({exc})"
            ) from exc

    def _prepare(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        if self._up_to_date():
            return  # opening a current file takes no write lock
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path}: written by a newer crmcore (schema {version}); this crmcore "
                    f"reads schema {SCHEMA_VERSION} and older. Upgrade crmcore to open it."
                )
            if version == 0:
                for statement in _V1_DDL.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                version = 1
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                version += 1
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for kind in self._kinds.values():
                self._prepare_kind(kind)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _up_to_date(self) -> bool:
        conn = self._conn
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return False
        for kind in self._kinds.values():
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({_table(kind)})")}
            if not have or any(_column(i) not in have for i in kind.indexes):
                return False
        return True

    def _prepare_kind(self, kind: AggregateKind[Any]) -> None:
        conn = self._conn
        table = _table(kind)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} "
            "(id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)"
        )
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        missing = [i for i in kind.indexes if _column(i) not in have]
        for index in missing:
            conn.execute(f'ALTER TABLE {table} ADD COLUMN "{_column(index)}" TEXT')
        for index in kind.indexes:
            conn.execute(
                f'CREATE INDEX IF NOT EXISTS "kind_{kind.name}__{_column(index)}" '
                f'ON {table} ("{_column(index)}")'
            )
        if missing:
            # A new index on an existing table: fill it from the stored aggregates.
            rows = conn.execute(f"SELECT id, version, data FROM {table}").fetchall()
            for id, version, data in rows:
                values = kind.index_values(load_aggregate(kind, data, version))
                sets = ", ".join(f'"{_column(i)}" = ?' for i in missing)
                conn.execute(
                    f"UPDATE {table} SET {sets} WHERE id = ?",
                    [*(index_key(values[i]) for i in missing), id],
                )

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the unit of work's needs -------------------------------------------------------------
    def read(self, kind: AggregateKind[A], id: str) -> A | None:
        with self._errors(f"read {kind.name} {id!r}"):
            row = self._conn.execute(
                f"SELECT version, data FROM {_table(kind)} WHERE id = ?", (id,)
            ).fetchone()
        return None if row is None else self.decoded.load(kind, id, row[0], row[1], load_aggregate)

    def ids_matching(self, kind: AggregateKind[A], keys: dict[str, str | None]) -> list[str]:
        where = " AND ".join(f'"{_column(name)}" IS ?' for name in keys)
        sql = (
            f"SELECT id FROM {_table(kind)}"
            + (f" WHERE {where}" if where else "")
            + " ORDER BY id"
        )
        with self._errors(f"find {kind.name}"):
            return [row[0] for row in self._conn.execute(sql, list(keys.values()))]

    def apply(self, staging: Staging) -> list[DomainEvent]:
        """Write every staged change and its events in one transaction, or nothing."""
        events = staging.new_events()
        conn = self._conn
        versions: dict[tuple[str, str], int] = {}
        written: dict[tuple[str, str], Written] = {}
        with self._errors("commit"):
            checkpoint("begin")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for key, staged in staging.writes.items():
                    kind, aggregate = staged.kind, staged.aggregate
                    checkpoint(f"{staged.op} {kind.name} {aggregate.id}")
                    data, kept = self.encode_write(kind, aggregate)
                    values = kind.index_values(aggregate)
                    columns = [_column(i) for i in kind.indexes]
                    keys = [index_key(values[i]) for i in kind.indexes]
                    new_version = staged.expected_version + 1
                    if staged.op == "add":
                        self._insert(kind, aggregate.id, new_version, data, columns, keys)
                    else:
                        self._update(
                            kind, aggregate.id, staged.expected_version, data, columns, keys
                        )
                    versions[key] = new_version
                    written[key] = (new_version, data, kept)
                for event in events:
                    name, text = dump_event_checked(event, self.shapes)
                    checkpoint(f"outbox {name}")
                    conn.execute(
                        "INSERT INTO crmcore_outbox (event_name, data) VALUES (?, ?)", (name, text)
                    )
                checkpoint("commit")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        self.keep_written(staging, written)
        staging.committed(versions)
        return events

    def _insert(
        self,
        kind: AggregateKind[Any],
        id: str,
        version: int,
        data: str,
        columns: list[str],
        keys: list[str | None],
    ) -> None:
        names = ", ".join(["id", "version", "data", *(f'"{c}"' for c in columns)])
        marks = ", ".join("?" * (3 + len(columns)))
        try:
            self._conn.execute(
                f"INSERT INTO {_table(kind)} ({names}) VALUES ({marks})",
                [id, version, data, *keys],
            )
        except sqlite3.IntegrityError:
            raise AlreadyExists(kind.name, id) from None

    def _update(
        self,
        kind: AggregateKind[Any],
        id: str,
        expected: int,
        data: str,
        columns: list[str],
        keys: list[str | None],
    ) -> None:
        sets = ", ".join(["version = ?", "data = ?", *(f'"{c}" = ?' for c in columns)])
        cursor = self._conn.execute(
            f"UPDATE {_table(kind)} SET {sets} WHERE id = ? AND version = ?",
            [expected + 1, data, *keys, id, expected],
        )
        if cursor.rowcount == 1:
            return
        row = self._conn.execute(
            f"SELECT version FROM {_table(kind)} WHERE id = ?", (id,)
        ).fetchone()
        if row is None:
            raise NeverAdded(kind.name, id)
        raise StaleVersion(kind.name, id, row[0], expected)

    # -- the outbox ---------------------------------------------------------------------------
    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        """Committed events not yet marked delivered, oldest first."""
        with self._errors("read the outbox"):
            rows = self._conn.execute(
                "SELECT seq, event_name, data FROM crmcore_outbox WHERE delivered = 0 "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [StoredEvent(seq, load_event(name, text)) for seq, name, text in rows]

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        """Record that event ``seq`` reached the notifier (again is fine)."""
        when = at.isoformat() if at is not None else None
        with self._errors("mark an event delivered"):
            cursor = self._conn.execute(
                "UPDATE crmcore_outbox SET delivered = 1, "
                "delivered_at = COALESCE(delivered_at, ?) WHERE seq = ?",
                (when, seq),
            )
        if cursor.rowcount == 0:
            raise NoOutboxEvent(seq)

    def count(self, cls: type[Aggregate]) -> int:
        """How many aggregates of a kind are stored."""
        kind = self.kind_of(cls)
        with self._errors(f"count {kind.name}"):
            return int(self._conn.execute(f"SELECT COUNT(*) FROM {_table(kind)}").fetchone()[0])
