"""What only the SQLite adapter has to prove: schema versions, bad files, locks, crashes and
writers in other processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crmcore.adapters.sqlite import SCHEMA_VERSION, SqliteDatabase
from crmcore.errors import ConcurrencyConflict, StorageError
from crmcore.money import Money
from crmcore.ports import Actor, AggregateKind
from crmcore.testing.contracts import AT, CONTRACT_KINDS, SampleAccount, _account

ROOT = Path(__file__).resolve().parents[2]


def _store(path: Path, *accounts: SampleAccount) -> None:
    with SqliteDatabase(path, CONTRACT_KINDS) as db, db.unit_of_work() as uow:
        for account in accounts:
            uow.repository(SampleAccount).add(account)
        uow.commit()


def _balance(path: Path, id: str = "acc-1") -> Money:
    with SqliteDatabase(path, CONTRACT_KINDS) as db, db.unit_of_work() as uow:
        return uow.repository(SampleAccount).get(id).balance


def test_a_new_file_is_created_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    SqliteDatabase(path, CONTRACT_KINDS).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"crmcore_outbox", "kind_sample_account"} <= tables
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "kind_sample_account__ix_owner_id" in indexes


def test_an_older_file_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE crmcore_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_name TEXT NOT NULL, data TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE kind_sample_account (id TEXT PRIMARY KEY, version INTEGER NOT NULL,
            data TEXT NOT NULL);
        INSERT INTO kind_sample_account VALUES ('acc-1', 3, '{"balance": {"amount": "7.00",
            "currency": "CNY"}, "id": "acc-1", "notes": [], "opened_on": "2026-01-05",
            "owner_id": "u1", "status": "open", "tags": []}');
        PRAGMA user_version = 1;
        """
    )
    conn.close()
    with SqliteDatabase(path, CONTRACT_KINDS) as db, db.unit_of_work() as uow:
        account = uow.repository(SampleAccount).get("acc-1")
        # the index columns added by the new layout were filled from the stored rows
        assert [a.id for a in uow.repository(SampleAccount).find(owner_id="u1")] == ["acc-1"]
    assert account.balance == Money(7, "CNY")
    assert account.version == 3
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    columns = {r[1] for r in conn.execute("PRAGMA table_info(crmcore_outbox)")}
    assert "delivered_at" in columns


def test_a_file_from_a_newer_crmcore_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StorageError, match=r"newer crmcore \(schema 99\).*Upgrade crmcore"):
        SqliteDatabase(path, CONTRACT_KINDS)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StorageError, match="not a crmcore SQLite database"):
        SqliteDatabase(path, CONTRACT_KINDS)
    assert path.read_bytes() == b"this is not a database at all" * 100


def test_a_location_that_cannot_be_written_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot write the database file or its folder"):
        SqliteDatabase(tmp_path / "missing" / "folder" / "crm.sqlite3", CONTRACT_KINDS)


def test_a_lock_held_past_the_timeout_is_a_storage_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.sqlite3"
    _store(path, _account())
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SqliteDatabase(path, CONTRACT_KINDS, timeout=0.2) as db, db.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
            account.deposit(Actor("u1"), Money(1, "CNY"), at=AT)
            uow.repository(SampleAccount).save(account)
            started = time.monotonic()
            with pytest.raises(
                StorageError, match=r"locked by another writer for more than 0.2 s"
            ):
                uow.commit()
            assert time.monotonic() - started < 5
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _balance(path) == Money(100, "CNY")


def test_an_index_added_later_is_filled_from_the_stored_rows(tmp_path: Path) -> None:
    path = tmp_path / "reindex.sqlite3"
    plain = (AggregateKind("sample_account", SampleAccount),)
    with SqliteDatabase(path, plain) as db, db.unit_of_work() as uow:
        uow.repository(SampleAccount).add(_account("acc-1", "u7"))
        uow.commit()
    with SqliteDatabase(path, CONTRACT_KINDS) as db, db.unit_of_work() as uow:
        assert [a.id for a in uow.repository(SampleAccount).find(owner_id="u7")] == ["acc-1"]


CRASHING_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from crmcore.adapters._codec import converter
    from crmcore.adapters.sqlite import SqliteDatabase
    from crmcore.ports import AggregateKind
    from crmcore.testing.contracts import SampleAccount, _account

    marker = Path(sys.argv[2])

    def dump(account):
        if account.id == "acc-crash":
            marker.write_text("inside the transaction")
            time.sleep(60)  # killed here, with acc-new already inserted
        return converter.unstructure(account)

    kind = AggregateKind("sample_account", SampleAccount, ("owner_id", "status", "balance"), dump)
    db = SqliteDatabase(sys.argv[1], [kind])
    with db.unit_of_work() as uow:
        repo = uow.repository(SampleAccount)
        old = repo.get("acc-1")
        old.notes.append("half-way")
        repo.save(old)
        repo.add(_account("acc-new"))
        repo.add(_account("acc-crash"))
        uow.commit()
    """
)


def test_a_process_killed_in_the_middle_of_a_commit_leaves_the_file_as_it_was(
    tmp_path: Path,
) -> None:
    path, marker = tmp_path / "crash.sqlite3", tmp_path / "marker"
    _store(path, _account())
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_CHILD, str(path), str(marker)], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the child ended before reaching the commit"
            assert time.monotonic() < deadline, "the child never reached the commit"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with SqliteDatabase(path, CONTRACT_KINDS, timeout=5) as db, db.unit_of_work() as uow:
        repo = uow.repository(SampleAccount)
        assert [a.id for a in repo.find()] == ["acc-1"]
        assert repo.get("acc-1").notes == []
        assert repo.get("acc-1").version == 1
        repo.add(_account("acc-after"))  # and the file takes writes again
        uow.commit()
    assert _balance(path, "acc-after") == Money(100, "CNY")


def _deposit_in_another_process(path: str, n: int, barrier: object, results: object) -> None:
    db = SqliteDatabase(path, CONTRACT_KINDS, timeout=30)
    with db.unit_of_work() as uow:
        account = uow.repository(SampleAccount).get("acc-1")
        barrier.wait()  # type: ignore[attr-defined]
        account.deposit(Actor(f"u{n}"), Money(n + 1, "CNY"), at=AT)
        uow.repository(SampleAccount).save(account)
        try:
            uow.commit()
            results.put("won")  # type: ignore[attr-defined]
        except ConcurrencyConflict:
            results.put("conflict")  # type: ignore[attr-defined]
    db.close()


def test_four_processes_race_for_one_aggregate_and_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite3"
    _store(path, _account())
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4, timeout=60), context.Queue()
    workers = [
        context.Process(target=_deposit_in_another_process, args=(str(path), n, barrier, results))
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    outcomes = sorted(results.get(timeout=10) for _ in workers)
    assert outcomes == ["conflict", "conflict", "conflict", "won"]
    balance = _balance(path)
    assert balance in {Money(100 + n, "CNY") for n in (1, 2, 3, 4)}


def test_events_survive_a_commit_that_timed_out_on_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "retry.sqlite3"
    _store(path, _account())
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    db = SqliteDatabase(path, CONTRACT_KINDS, timeout=0.1)
    try:
        with db.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("acc-1")
            account.deposit(Actor("u1"), Money(3, "CNY"), at=AT)
            uow.repository(SampleAccount).save(account)
            with pytest.raises(StorageError, match="locked"):
                uow.commit()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with db.unit_of_work() as uow:  # the caller retries with the same aggregate
        uow.repository(SampleAccount).save(account)
        uow.commit()
    assert [s.event.amount for s in db.undelivered()] == [Money(3, "CNY")]  # type: ignore[attr-defined]
    db.close()
