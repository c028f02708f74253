"""The PostgreSQL adapter's tables, schema versions and migrations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import psycopg
from psycopg import sql

from crmcore.adapters.kit import decode_aggregate, index_keys
from crmcore.errors import StorageError
from crmcore.ports import AggregateKind

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "column", "pg_key", "prepare", "table"]

#: The layout this crmcore writes. 1: a table per kind and an outbox with a delivered flag
#: and time; 2: the outbox also records the lease of the deliverer that claimed each event.
SCHEMA_VERSION: Final = 2

Conn = psycopg.Connection[Any]


def table(schema: str, name: str) -> sql.Composed:
    """The qualified name of a crmcore table in ``schema``."""
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def column(index: str) -> str:
    """The column of a ``find`` filter (dots of a path become double underscores)."""
    return "ix_" + index.replace(".", "__")


def pg_key(key: str | None) -> str | None:
    """An index key as PostgreSQL text, which cannot hold NUL: ``\\`` → ``\\\\``, NUL → ``\\0``
    (one-to-one, so equal keys stay equal and different keys different)."""
    if key is None:
        return None
    return key.replace("\\", "\\\\").replace("\x00", "\\0")


def _create_v1(conn: Conn, schema: str) -> None:
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} (seq bigserial PRIMARY KEY, event_name text NOT NULL, "
            "data json NOT NULL, delivered boolean NOT NULL DEFAULT false, "
            "delivered_at timestamptz)"
        ).format(table(schema, "crmcore_outbox"))
    )
    conn.execute(
        sql.SQL("CREATE INDEX {} ON {} (seq) WHERE NOT delivered").format(
            sql.Identifier("crmcore_outbox_pending"), table(schema, "crmcore_outbox")
        )
    )


def _migrate_1_to_2(conn: Conn, schema: str) -> None:
    conn.execute(
        sql.SQL("ALTER TABLE {} ADD COLUMN claimed_until timestamptz").format(
            table(schema, "crmcore_outbox")
        )
    )


#: Each step takes a schema from version N to N + 1, inside the opening transaction.
MIGRATIONS: Final[dict[int, Callable[[Conn, str], None]]] = {1: _migrate_1_to_2}


def _exists(conn: Conn, schema: str, name: str) -> bool:
    found = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{name}"',)).fetchone()
    return found is not None and found[0] is not None


def prepare(conn: Conn, schema: str, kinds: Sequence[AggregateKind[Any]]) -> None:
    """Create or migrate the schema and the kinds' tables, one opener at a time.

    DDL runs only for what is missing: ``CREATE INDEX IF NOT EXISTS`` locks its table even
    when the index exists, so an application server opening a schema that others are writing
    would otherwise wait on (or deadlock with) their commits."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("crmcore:" + schema,))
        if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        meta = table(schema, "crmcore_schema")
        if not _exists(conn, schema, "crmcore_schema"):
            conn.execute(sql.SQL("CREATE TABLE {} (version integer NOT NULL)").format(meta))
        row = conn.execute(sql.SQL("SELECT version FROM {}").format(meta)).fetchone()
        version = 0 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"schema {schema!r}: written by a newer crmcore (schema {version}); this crmcore "
                f"reads schema {SCHEMA_VERSION} and older. Upgrade crmcore to open it."
            )
        if version == 0:
            _create_v1(conn, schema)
            conn.execute(sql.SQL("INSERT INTO {} (version) VALUES (1)").format(meta))
            version = 1
        if version < SCHEMA_VERSION:
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](conn, schema)
                version += 1
            conn.execute(sql.SQL("UPDATE {} SET version = %s").format(meta), (SCHEMA_VERSION,))
        for kind in kinds:
            _prepare_kind(conn, schema, kind)


def _prepare_kind(conn: Conn, schema: str, kind: AggregateKind[Any]) -> None:
    name = f"kind_{kind.name}"
    if not _exists(conn, schema, name):
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} "
                "(id text PRIMARY KEY, version integer NOT NULL, data json NOT NULL)"
            ).format(table(schema, name))
        )
    have = {
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (schema, name),
        )
    }
    missing = [i for i in kind.indexes if column(i) not in have]
    for index in missing:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN {} text").format(
                table(schema, name), sql.Identifier(column(index))
            )
        )
    indexed = {
        r[0]
        for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (schema, name),
        )
    }
    for index in kind.indexes:
        index_name = f"{name}__{column(index)}"[:63]
        if index_name in indexed:
            continue
        conn.execute(
            sql.SQL("CREATE INDEX {} ON {} ({})").format(
                sql.Identifier(index_name), table(schema, name), sql.Identifier(column(index))
            )
        )
    if missing:
        # A new index on an existing table: fill it from the stored aggregates.
        sets = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(column(i))) for i in missing
        )
        update = sql.SQL("UPDATE {} SET {} WHERE id = %s").format(table(schema, name), sets)
        rows = conn.execute(
            sql.SQL("SELECT id, version, data::text FROM {}").format(table(schema, name))
        ).fetchall()
        for id, version, data in rows:
            keys = index_keys(kind, decode_aggregate(kind, data, version))
            conn.execute(update, [*(pg_key(keys[i]) for i in missing), id])
