"""Bugs adapter authors plant, each as text edits of a copy of the PostgreSQL adapter, with
the kit tests expected to catch it (the table in docs/adapters.md is made from this list)."""

from __future__ import annotations

import attrs

__all__ = ["MUTANTS", "Mutant"]

DATABASE = "_database.py"


@attrs.frozen
class Mutant:
    """One planted bug: a name, what it does, the edits (old text → new) and the catchers."""

    name: str
    bug: str
    edits: tuple[tuple[str, str], ...]
    caught_by: tuple[str, ...]


_COMMIT = """\
        with self._errors("commit"), self._pool.connection() as conn, conn.transaction():
            for key, staged, (data, _) in writes:
                versions[key] = self._write(conn, staged, data)
            for name, text in outbox:
                checkpoint(f"outbox {name}")
                conn.execute(insert_event, (name, text))
            checkpoint("commit")
"""

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "no_version_check",
        "save updates the row whatever its stored version",
        (("WHERE id = %s AND version = %s", "WHERE id = %s AND %s::int IS NOT NULL"),),
        ("test_a_stale_save_is_a_conflict_and_writes_nothing",),
    ),
    Mutant(
        "outbox_outside_the_transaction",
        "the events are inserted after the state commits, in a second transaction",
        (
            (
                _COMMIT,
                """        with self._errors("commit"), self._pool.connection() as conn:
            with conn.transaction():
                for key, staged, (data, _) in writes:
                    versions[key] = self._write(conn, staged, data)
                checkpoint("commit")
            for name, text in outbox:
                checkpoint(f"outbox {name}")
                conn.execute(insert_event, (name, text))
""",
            ),
        ),
        ("test_a_commit_killed_at_any_statement_is_all_or_nothing",),
    ),
    Mutant(
        "no_rollback",
        "one connection kept for commits; an error leaves its transaction (and locks) open",
        (
            (
                _COMMIT,
                """        with self._errors("commit"):
            conn = getattr(self, "_commit_conn", None) or self._pool.getconn()
            self._commit_conn = conn
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                conn.execute("BEGIN")
            for key, staged, (data, _) in writes:
                versions[key] = self._write(conn, staged, data)
            for name, text in outbox:
                checkpoint(f"outbox {name}")
                conn.execute(insert_event, (name, text))
            checkpoint("commit")
            conn.execute("COMMIT")
""",
            ),
        ),
        ("test_a_conflict_leaves_no_lock_behind",),
    ),
    Mutant(
        "shared_copies",
        "read hands out one cached object per id instead of a fresh copy",
        (
            (
                "        self.schema = schema\n",
                "        self.schema = schema\n        self._shared: dict[Any, Any] = {}\n",
            ),
            (
                "        return None if row is None else "
                "self.decode_row(kind, id, row[1], row[0])",
                "        return None if row is None else "
                "self._shared.setdefault("
                "(kind.name, id), self.decode_row(kind, id, row[1], row[0]))",
            ),
        ),
        ("test_loaded_aggregates_are_copies",),
    ),
    Mutant(
        "filter_ignored",
        "the store filters on the first index column only (find re-checks in Python)",
        (("for index, key in keys.items():", "for index, key in list(keys.items())[:1]:"),),
        ("test_find_loads_only_the_matching_rows",),
    ),
    Mutant(
        "none_is_equals_null",
        "a None filter compares with = NULL, which matches nothing",
        (('sql.SQL("{} IS NULL")', 'sql.SQL("{} = NULL")'),),
        ("test_a_none_filter_finds_the_aggregates_whose_attribute_is_none",),
    ),
    Mutant(
        "stale_index_columns",
        "save keeps the index columns the row was added with",
        (('sql.SQL("{} = %s").format(c)', 'sql.SQL("{0} = COALESCE({0}, %s)").format(c)'),),
        ("test_a_changed_index_value_moves_the_row",),
    ),
    Mutant(
        "lost_last_event",
        "the last event of each commit never reaches the outbox",
        (("for name, text in outbox:", "for name, text in outbox[:-1]:"),),
        ("test_events_are_collected_in_order_and_kept_in_the_outbox",),
    ),
    Mutant(
        "delivered_on_read",
        "undelivered() marks what it returns as delivered",
        (
            (
                "            rows = conn.execute(query, (limit,)).fetchall()\n",
                "            rows = conn.execute(query, (limit,)).fetchall()\n"
                "            conn.execute(sql.SQL('UPDATE {} SET delivered = true "
                "WHERE seq = ANY(%s)').format(self._outbox), ([r[0] for r in rows],))\n",
            ),
        ),
        ("test_the_outbox_is_oldest_first_and_reading_it_changes_nothing",),
    ),
    Mutant(
        "delivered_on_insert",
        "events are inserted already marked delivered",
        (
            (
                "(event_name, data) VALUES (%s, %s::json)",
                "(event_name, data, delivered) VALUES (%s, %s::json, true)",
            ),
        ),
        ("test_events_are_collected_in_order_and_kept_in_the_outbox",),
    ),
    Mutant(
        "lost_update_under_read_committed",
        "save reads the version, compares in Python, then updates without re-checking it",
        (
            (
                "        cursor = conn.execute(\n"
                "            statements.update, [new_version, data, *columns, id, "
                "staged.expected_version]\n        )\n",
                "        current = conn.execute(statements.version, (id,)).fetchone()\n"
                "        if current is not None and current[0] != staged.expected_version:\n"
                "            raise StaleVersion(staged.kind.name, id, current[0], "
                "staged.expected_version)\n"
                "        cursor = conn.execute(\n"
                "            statements.update, [new_version, data, *columns, id, "
                "staged.expected_version]\n        )\n",
            ),
            ("WHERE id = %s AND version = %s", "WHERE id = %s AND version >= %s"),
        ),
        ("test_concurrent_writers_exactly_one_wins",),
    ),
    Mutant(
        "upsert_on_add",
        "add overwrites a row that already exists",
        (
            (
                "ON CONFLICT (id) DO NOTHING",
                "ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data",
            ),
        ),
        ("test_two_units_adding_the_same_id_conflict_at_commit",),
    ),
    Mutant(
        "version_not_incremented",
        "save stores the row under the version it was loaded at",
        (
            (
                "statements.update, [new_version, data,",
                "statements.update, [staged.expected_version, data,",
            ),
        ),
        ("test_save_bumps_the_version_and_stores_the_change",),
    ),
    Mutant(
        "mark_delivered_not_idempotent",
        "marking an event delivered a second time is refused",
        (
            (
                "claimed_until = NULL WHERE seq = %s",
                "claimed_until = NULL WHERE seq = %s AND NOT delivered",
            ),
        ),
        ("test_events_are_collected_in_order_and_kept_in_the_outbox",),
    ),
    Mutant(
        "unordered_outbox",
        "undelivered() reads the outbox without ORDER BY seq",
        (("WHERE NOT delivered ORDER BY seq LIMIT %s", "WHERE NOT delivered LIMIT %s"),),
        ("test_the_outbox_is_oldest_first_and_reading_it_changes_nothing",),
    ),
    Mutant(
        "claims_ignore_leases",
        "claim takes events another deliverer holds a lease on",
        (
            (
                "WHERE NOT delivered AND (claimed_until IS NULL "
                '"\n            "OR claimed_until < clock_timestamp()) ORDER BY seq',
                'WHERE NOT delivered "\n            "ORDER BY seq',
            ),
        ),
        (
            "test_claims_lease_each_event_to_one_deliverer",
            "test_deliverers_in_several_processes_deliver_each_event_once",
        ),
    ),
)
