"""What the PostgreSQL adapter guarantees beyond the kit: schema versions and migrations,
indexes added later, NUL and backslashes, locks held too long, a wrong address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from crmcore.errors import StorageError
from crmcore.money import Money
from crmcore.ports import AggregateKind
from crmcore.testing.contracts import SAMPLE_KIND, SampleAccount

try:
    import psycopg
except ImportError:  # the postgres_conninfo fixture skips (fails under CI) saying how to fix it
    psycopg = None


@pytest.fixture
def conn(postgres_conninfo: str) -> Iterator[Any]:
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        yield connection


def _open(conninfo: str, schema: str, kinds: Any = (SAMPLE_KIND,), **options: Any) -> Any:
    from crmcore.adapters.postgres import PostgresDatabase

    return PostgresDatabase(conninfo, kinds, schema=schema, **options)


def _account(id: str, owner: str = "u1", notes: list[str] | None = None) -> SampleAccount:
    return SampleAccount(id, owner, Money(100, "CNY"), date(2026, 1, 5), notes=notes or [])


def test_a_version_1_schema_is_migrated_on_open(
    postgres_conninfo: str, postgres_schema: str, conn: Any
) -> None:
    from crmcore.adapters.postgres import SCHEMA_VERSION
    from crmcore.adapters.postgres._schema import _create_v1

    conn.execute(f'CREATE SCHEMA "{postgres_schema}"')
    conn.execute(f'CREATE TABLE "{postgres_schema}".crmcore_schema (version integer NOT NULL)')
    conn.execute(f'INSERT INTO "{postgres_schema}".crmcore_schema VALUES (1)')
    _create_v1(conn, postgres_schema)
    with _open(postgres_conninfo, postgres_schema) as database:
        assert database.claim(10, 60.0) == []  # the lease column exists now
    version = conn.execute(f'SELECT version FROM "{postgres_schema}".crmcore_schema').fetchone()
    assert version == (SCHEMA_VERSION,) == (2,)
    columns = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'crmcore_outbox'",
            (postgres_schema,),
        )
    }
    assert {"seq", "event_name", "data", "delivered", "delivered_at", "claimed_until"} == columns


def test_a_schema_written_by_a_newer_crmcore_is_refused(
    postgres_conninfo: str, postgres_schema: str, conn: Any
) -> None:
    _open(postgres_conninfo, postgres_schema).close()
    conn.execute(f'UPDATE "{postgres_schema}".crmcore_schema SET version = 99')
    with pytest.raises(StorageError, match=r"newer crmcore \(schema 99\).*Upgrade crmcore"):
        _open(postgres_conninfo, postgres_schema)


def test_an_index_added_later_is_created_and_filled(
    postgres_conninfo: str, postgres_schema: str
) -> None:
    narrow = AggregateKind("sample_account", SampleAccount, indexes=("owner_id",))
    with (
        _open(postgres_conninfo, postgres_schema, (narrow,)) as database,
        database.unit_of_work() as uow,
    ):
        uow.repository(SampleAccount).add(_account("acc-1", "u1"))
        uow.repository(SampleAccount).add(_account("acc-2", "u2"))
        uow.commit()
    with (
        _open(postgres_conninfo, postgres_schema) as database,  # SAMPLE_KIND: 4 indexes
        database.unit_of_work() as uow,
    ):
        repo = uow.repository(SampleAccount)
        assert [a.id for a in repo.find(balance=Money(100, "CNY"))] == ["acc-1", "acc-2"]
        assert [a.id for a in repo.find(manager_id=None, owner_id="u2")] == ["acc-2"]


def test_nul_and_backslashes_are_stored_and_found(
    postgres_conninfo: str, postgres_schema: str
) -> None:
    owners = ["a\x00b", "a\\0b", "a\\\x00", "plain"]
    with _open(postgres_conninfo, postgres_schema) as database:
        with database.unit_of_work() as uow:
            for n, owner in enumerate(owners):
                uow.repository(SampleAccount).add(_account(f"acc-{n}", owner, ["nul \x00 here"]))
            uow.commit()
        with database.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            for n, owner in enumerate(owners):
                assert [a.id for a in repo.find(owner_id=owner)] == [f"acc-{n}"]
            assert repo.get("acc-0").notes == ["nul \x00 here"]
            assert repo.get("acc-0").owner_id == "a\x00b"


def test_a_row_locked_past_the_timeout_is_a_storage_error_and_writes_nothing(
    postgres_conninfo: str, postgres_schema: str
) -> None:
    with _open(postgres_conninfo, postgres_schema, timeout=1.0) as database:
        with database.unit_of_work() as uow:
            uow.repository(SampleAccount).add(_account("acc-1"))
            uow.commit()
        with psycopg.connect(postgres_conninfo) as holder:
            holder.execute(
                f'SELECT 1 FROM "{postgres_schema}".kind_sample_account WHERE id = %s FOR UPDATE',
                ("acc-1",),
            )
            with database.unit_of_work() as uow:
                account = uow.repository(SampleAccount).get("acc-1")
                account.close()
                uow.repository(SampleAccount).save(account)
                with pytest.raises(StorageError, match=r"stayed locked .* more than 1.0 s"):
                    uow.commit()
            holder.rollback()
        with database.unit_of_work() as uow:
            assert uow.repository(SampleAccount).get("acc-1").version == 1
        assert database.undelivered() == []


def test_a_database_that_does_not_exist_fails_at_once_naming_it(postgres_conninfo: str) -> None:
    wrong = psycopg.conninfo.make_conninfo(postgres_conninfo, dbname="no_such_database")
    with pytest.raises(StorageError, match='database "no_such_database" does not exist'):
        _open(wrong, "public", timeout=5.0)


def test_a_server_opens_the_schema_while_another_holds_row_locks_in_a_commit(
    postgres_conninfo: str, postgres_schema: str
) -> None:
    """Opening takes no table lock once the schema is there: a second application server starts
    while the first is in the middle of a commit (before, CREATE INDEX IF NOT EXISTS waited on
    that commit, and two servers doing both deadlocked)."""
    with _open(postgres_conninfo, postgres_schema) as first:
        with first.unit_of_work() as uow:
            uow.repository(SampleAccount).add(_account("acc-1"))
            uow.commit()
        with psycopg.connect(postgres_conninfo) as committing:
            committing.execute(
                f'UPDATE "{postgres_schema}".kind_sample_account SET version = version '
                "WHERE id = %s",
                ("acc-1",),
            )  # a commit in progress: a row lock and the table's RowExclusiveLock, held
            with (
                _open(postgres_conninfo, postgres_schema, timeout=2.0) as second,
                second.unit_of_work() as uow,
            ):
                assert uow.repository(SampleAccount).find(owner_id="u1")[0].id == "acc-1"
            committing.rollback()
