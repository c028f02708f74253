"""The PostgreSQL reference adapter (psycopg 3 and its connection pool, no ORM).

One table per aggregate kind — id, version, one indexed text column per ``find`` filter,
and the aggregate as ``json`` — plus a transactional outbox that several delivery processes
share through leases (``FOR UPDATE SKIP LOCKED``). Reads run in autocommit; a commit is one
READ COMMITTED transaction whose ``UPDATE … WHERE version = expected`` is the optimistic
check (PostgreSQL re-checks the condition on the newest row after waiting for its lock, so
two commits of one version cannot both succeed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Self, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool

from crmcore.adapters.kit import (
    DECODED_ROWS,
    KindRegistry,
    Staged,
    Staging,
    WriteCheck,
    Written,
    checkpoint,
    decode_event,
    index_keys,
)
from crmcore.adapters.postgres._schema import column, pg_key, prepare, table
from crmcore.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    NeverAdded,
    NoOutboxEvent,
    StaleVersion,
    StorageError,
)
from crmcore.events import DomainEvent
from crmcore.ports import Aggregate, AggregateKind, StoredEvent

__all__ = ["PostgresDatabase"]

A = TypeVar("A", bound=Aggregate)


class _KindSql:
    """The statements of one kind's table, composed once."""

    def __init__(self, schema: str, kind: AggregateKind[Any]) -> None:
        name = table(schema, f"kind_{kind.name}")
        columns = [sql.Identifier(column(i)) for i in kind.indexes]
        self.kind = kind
        self.read = sql.SQL("SELECT version, data::text FROM {} WHERE id = %s").format(name)
        self.version = sql.SQL("SELECT version FROM {} WHERE id = %s").format(name)
        marks = sql.SQL(", ").join(sql.Placeholder() * (3 + len(columns)))
        self.insert = sql.SQL(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING"
        ).format(
            name,
            sql.SQL(", ").join(
                [sql.Identifier("id"), sql.Identifier("version"), sql.Identifier("data"), *columns]
            ),
            marks,
        )
        sets = sql.SQL(", ").join(
            [
                sql.SQL("version = %s"),
                sql.SQL("data = %s"),
                *(sql.SQL("{} = %s").format(c) for c in columns),
            ]
        )
        self.update = sql.SQL("UPDATE {} SET {} WHERE id = %s AND version = %s").format(name, sets)
        self.count = sql.SQL("SELECT count(*) FROM {}").format(name)
        self.table = name

    def ids(self, keys: dict[str, str | None]) -> tuple[sql.Composed, list[str]]:
        """``SELECT id … ORDER BY id`` for the filters (a None key matches IS NULL)."""
        conditions: list[sql.Composable] = []
        params: list[str] = []
        for index, key in keys.items():
            ident = sql.Identifier(column(index))
            if key is None:
                conditions.append(sql.SQL("{} IS NULL").format(ident))
            else:
                conditions.append(sql.SQL("{} = %s").format(ident))
                params.append(pg_key(key) or "")
        where = (
            sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        )
        query = sql.SQL("SELECT id FROM {}{} ORDER BY id").format(self.table, where)
        return query, params


class PostgresDatabase(KindRegistry):
    """A crmcore store in one PostgreSQL schema, over a pool of connections.

    Safe to share between threads; open one per process. Several processes (application
    servers) may use the same schema at once.

    Args:
        conninfo: a libpq connection string or ``postgresql://`` URL.
        kinds: the aggregate kinds stored.
        schema: the PostgreSQL schema holding crmcore's tables (created if missing).
        pool_size: the most connections this handle opens.
        timeout: seconds to wait for a connection or a row lock before
            [`StorageError`][crmcore.errors.StorageError].
        verify_writes: which writes a commit loads back first (``"per_shape"``: each shape
            new for its kind; ``"always"``: every write), as for the other reference stores.
        decoded_rows: how many decoded rows to keep, so a read of an unchanged row copies
            instead of decoding (0: decode every read).
    """

    def __init__(
        self,
        conninfo: str,
        kinds: Sequence[AggregateKind[Any]],
        *,
        schema: str = "public",
        pool_size: int = 4,
        timeout: float = 30.0,
        verify_writes: WriteCheck | str = WriteCheck.PER_SHAPE,
        decoded_rows: int = DECODED_ROWS,
    ) -> None:
        super().__init__(kinds, verify_writes, decoded_rows)
        self.schema = schema
        self.timeout = timeout
        self._sql = {k.name: _KindSql(schema, k) for k in kinds}
        self._outbox = table(schema, "crmcore_outbox")
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            open=False,
            kwargs={
                "autocommit": True,
                "options": f"-c lock_timeout={int(timeout * 1000)}",
            },
        )
        # One plain connection first: a wrong address or database fails at once, clearly,
        # instead of the pool retrying in the background until its timeout.
        with (
            self._errors("open"),
            psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=int(timeout),
                options=f"-c lock_timeout={int(timeout * 1000)}",
            ) as conn,
        ):
            prepare(conn, schema, kinds)
        with self._errors("open"):
            self._pool.open(wait=True, timeout=timeout)

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn psycopg's exceptions into crmcore's, naming the schema and what happened."""
        try:
            yield
        except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as exc:
            raise ConcurrencyConflict(
                f"schema {self.schema!r}: {doing}: another transaction got in the way ({exc}); "
                "nothing was written, reload and retry"
            ) from exc
        except pg_errors.LockNotAvailable as exc:
            raise StorageError(
                f"schema {self.schema!r}: {doing}: a row stayed locked by another writer for "
                f"more than {self.timeout} s; nothing was written, try again"
            ) from exc
        except psycopg.Error as exc:
            raise StorageError(f"schema {self.schema!r}: {doing}: {exc}") from exc
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):
                raise StorageError(f"schema {self.schema!r}: {doing}: {exc}") from exc
            raise

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the unit of work's needs -------------------------------------------------------------
    def read(self, kind: AggregateKind[A], id: str) -> A | None:
        """A fresh copy of the stored aggregate, or None."""
        with self._errors(f"read {kind.name} {id!r}"), self._pool.connection() as conn:
            row = conn.execute(self._sql[kind.name].read, (id,)).fetchone()
        return None if row is None else self.decode_row(kind, id, row[1], row[0])

    def ids_matching(self, kind: AggregateKind[A], keys: dict[str, str | None]) -> list[str]:
        """Ids whose index columns equal ``keys`` (None: IS NULL), in id order."""
        query, params = self._sql[kind.name].ids(keys)
        with self._errors(f"find {kind.name}"), self._pool.connection() as conn:
            return [row[0] for row in conn.execute(query, params)]

    def apply(self, staging: Staging) -> list[DomainEvent]:
        """Write every staged change and its events in one transaction, or nothing."""
        events = staging.new_events()
        # Serialize first (a bad value is refused before the transaction), then write in
        # (kind, id) order so two commits touching the same rows never deadlock.
        writes = [
            (key, staged, self.encode_write(staged.kind, staged.aggregate))
            for key, staged in sorted(staging.writes.items(), key=lambda item: item[0])
        ]
        outbox = [self.encode_event_row(event) for event in events]
        insert_event = sql.SQL("INSERT INTO {} (event_name, data) VALUES (%s, %s::json)").format(
            self._outbox
        )
        versions: dict[tuple[str, str], int] = {}
        with self._errors("commit"), self._pool.connection() as conn, conn.transaction():
            for key, staged, (data, _) in writes:
                versions[key] = self._write(conn, staged, data)
            for name, text in outbox:
                checkpoint(f"outbox {name}")
                conn.execute(insert_event, (name, text))
            checkpoint("commit")
        kept: dict[tuple[str, str], Written] = {
            key: (versions[key], data, copy) for key, _, (data, copy) in writes
        }
        self.keep_written(staging, kept)
        staging.committed(versions)
        return events

    def _write(self, conn: psycopg.Connection[Any], staged: Staged[Any], data: str) -> int:
        statements = self._sql[staged.kind.name]
        id = staged.aggregate.id
        keys = index_keys(staged.kind, staged.aggregate)
        columns = [pg_key(keys[i]) for i in staged.kind.indexes]
        new_version = staged.expected_version + 1
        checkpoint(f"{staged.op} {staged.kind.name} {id}")
        if staged.op == "add":
            cursor = conn.execute(statements.insert, [id, new_version, data, *columns])
            if cursor.rowcount != 1:
                raise AlreadyExists(staged.kind.name, id)
            return new_version
        cursor = conn.execute(
            statements.update, [new_version, data, *columns, id, staged.expected_version]
        )
        if cursor.rowcount == 1:
            return new_version
        row = conn.execute(statements.version, (id,)).fetchone()
        if row is None:
            raise NeverAdded(staged.kind.name, id)
        raise StaleVersion(staged.kind.name, id, int(row[0]), staged.expected_version)

    # -- the outbox ---------------------------------------------------------------------------
    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        """Committed events not yet marked delivered, oldest first (leased ones included)."""
        query = sql.SQL(
            "SELECT seq, event_name, data::text FROM {} WHERE NOT delivered ORDER BY seq LIMIT %s"
        ).format(self._outbox)
        with self._errors("read the outbox"), self._pool.connection() as conn:
            rows = conn.execute(query, (limit,)).fetchall()
        return [StoredEvent(seq, decode_event(name, text)) for seq, name, text in rows]

    def claim(self, limit: int = 100, lease: float = 60.0) -> list[StoredEvent]:
        """Lease up to ``limit`` undelivered events nobody else holds, oldest first.

        Rows another deliverer is claiming right now are skipped (``SKIP LOCKED``), rows
        whose lease ran out (a deliverer that crashed) are claimed again.
        """
        query = sql.SQL(
            "WITH free AS (SELECT seq FROM {0} WHERE NOT delivered AND (claimed_until IS NULL "
            "OR claimed_until < clock_timestamp()) ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED) "
            "UPDATE {0} AS o SET claimed_until = clock_timestamp() + make_interval(secs => %s) "
            "FROM free WHERE o.seq = free.seq RETURNING o.seq, o.event_name, o.data::text"
        ).format(self._outbox)
        with self._errors("claim from the outbox"), self._pool.connection() as conn:
            rows = conn.execute(query, (limit, lease)).fetchall()
        rows.sort()
        return [StoredEvent(seq, decode_event(name, text)) for seq, name, text in rows]

    def release(self, seqs: Sequence[int]) -> None:
        """End the lease of events this deliverer claimed but could not deliver."""
        query = sql.SQL(
            "UPDATE {} SET claimed_until = NULL WHERE seq = ANY(%s) AND NOT delivered"
        ).format(self._outbox)
        with self._errors("release outbox events"), self._pool.connection() as conn:
            conn.execute(query, (list(seqs),))

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        """Record that event ``seq`` reached the notifier (again is fine)."""
        query = sql.SQL(
            "UPDATE {} SET delivered = true, delivered_at = COALESCE(delivered_at, %s), "
            "claimed_until = NULL WHERE seq = %s"
        ).format(self._outbox)
        with self._errors("mark an event delivered"), self._pool.connection() as conn:
            cursor = conn.execute(query, (at, seq))
        if cursor.rowcount == 0:
            raise NoOutboxEvent(seq)

    def count(self, cls: type[Aggregate]) -> int:
        """How many aggregates of a kind are stored."""
        kind = self.kind_of(cls)
        with self._errors(f"count {kind.name}"), self._pool.connection() as conn:
            row = conn.execute(self._sql[kind.name].count).fetchone()
        return 0 if row is None else int(row[0])
