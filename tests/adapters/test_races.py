"""Real races through the services on one SQLite file: 8 threads and 4 processes, each with
its own connection, claim the same lead, confirm the same payment, record payments on one
receivable.

Every racer loads what it needs and waits at a barrier just before its (first) commit, so all
of them decide on the same stored version: the outcome does not depend on scheduling. The
barrier, every join and every queue read has a timeout, so a hang fails instead of blocking.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import pytest

from crmcore.adapters._codec import load_event
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.errors import ConcurrencyConflict, InvariantViolation
from crmcore.forecast import SalesProcess
from crmcore.leads import Lead, LeadAssigned, PoolConfig, PoolMember
from crmcore.money import Money
from crmcore.ports import Aggregate, DirectoryUser, Repository, StoredEvent
from crmcore.receivables import (
    PaymentState,
    Receivable,
    ReceivablePaymentConfirmed,
    ReceivablePaymentRecorded,
)
from crmcore.serialization import from_dict
from crmcore.services import KINDS, Crm, CrmConfig, Grant
from crmcore.services._receivables import RECORD_RETRIES
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory

A = TypeVar("A", bound=Aggregate)

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)
TIMEOUT = 30  # seconds a racer waits for the others at the barrier
THREADS = 8
PROCESSES = 4

SELLERS = [DirectoryUser(f"s{n}", roles={"sales"}) for n in range(1, THREADS + 1)]
CASHIERS = [DirectoryUser(f"f{n}", roles={"finance"}) for n in range(1, THREADS + 1)]
MARKETING = DirectoryUser("mkt", roles={"sales"})
DIRECTORY_USERS = [*SELLERS, *CASHIERS, MARKETING]
ANN = SELLERS[0].as_actor()


class _Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


class _Racing:
    """A unit of work that waits at the barrier before its first commit (later commits of
    the same storage, such as the services' retries, go straight through)."""

    def __init__(self, storage: RacingStorage) -> None:
        self._storage = storage
        self._inner = storage.inner.unit_of_work()

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def repository(self, cls: type[A]) -> Repository[A]:
        return self._inner.repository(cls)

    def commit(self) -> None:
        if self._storage.armed:
            self._storage.armed = False
            self._storage.barrier.wait()
        self._inner.commit()

    def rollback(self) -> None:
        self._inner.rollback()

    def collect_new_events(self) -> Iterator[Any]:
        return self._inner.collect_new_events()


class RacingStorage:
    """A SqliteDatabase whose first commit waits until every racer is ready to commit."""

    def __init__(self, inner: SqliteDatabase, barrier: _Barrier) -> None:
        self.inner = inner
        self.barrier = barrier
        self.armed = True

    def unit_of_work(self) -> _Racing:
        return _Racing(self)

    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        return self.inner.undelivered(limit)

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        self.inner.mark_delivered(seq, at)


def config() -> CrmConfig:
    process = from_dict(
        SalesProcess, {"id": "p", "stages": [{"name": "qualify", "probability": 10}]}
    )
    pool = PoolConfig("east", members=tuple(PoolMember(u.id) for u in SELLERS))
    # the sellers work one shared account here: sales may write every receivable
    shared = Grant({"sales"}, kinds={"receivable"})
    return CrmConfig(sales_process=process, pools=(pool,), grants=(shared,))


def crm_on(storage: Any) -> Crm:
    return Crm(
        storage,
        StaticDirectory.of(DIRECTORY_USERS),
        RecordingNotifier(),
        FixedClock(AT),
        SequentialIds(),
        config(),
    )


def racer(path: str, barrier: _Barrier) -> tuple[Crm, SqliteDatabase]:
    """A Crm on its own connection to ``path`` whose first commit waits at ``barrier``."""
    database = SqliteDatabase(path, KINDS, timeout=TIMEOUT)
    return crm_on(RacingStorage(database, barrier)), database


# -- what each racer does (module level, so other processes can run it) ----------------------
def claim(crm: Crm, n: int) -> str:
    result = crm.leads.claim(SELLERS[n].as_actor(), "lead-1")
    return str(result.assignments[0].owner_id)


def confirm(crm: Crm, n: int) -> str:
    return (
        crm.receivables.confirm_payment(CASHIERS[n].as_actor(), "R-1", "R-1/P1").decided_by or ""
    )


def pay(crm: Crm, n: int) -> str:
    payment = crm.receivables.record_payment(
        SELLERS[n].as_actor(), "R-1", Money(n + 1, "CNY"), received_on=DAY, reference=f"BANK-{n}"
    )
    return payment.reference or ""


def outcome(
    action: Callable[[Crm, int], str], path: str, n: int, barrier: _Barrier
) -> tuple[str, str]:
    """("won", what the use case returned) or ("conflict", the message)."""
    crm, database = racer(path, barrier)
    try:
        return "won", action(crm, n)
    except ConcurrencyConflict as error:
        return "conflict", str(error)
    finally:
        database.close()


def in_threads(
    action: Callable[[Crm, int], str], path: Path, count: int = THREADS
) -> list[tuple[str, str]]:
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    results: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            result = outcome(action, str(path), n, barrier)
        except BaseException as error:  # reported below, with the racer that raised it
            with lock:
                errors.append(error)
            barrier.abort()
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT)
        assert not thread.is_alive(), "a racer hung"
    assert errors == []
    return results


def _race_in_process(name: str, path: str, n: int, barrier: _Barrier, results: Any) -> None:
    action = {"claim": claim, "confirm": confirm, "pay": pay}[name]
    try:
        results.put(outcome(action, path, n, barrier))
    except BaseException as error:
        results.put(("error", repr(error)))
        raise


def in_processes(name: str, path: Path, count: int = PROCESSES) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count, timeout=TIMEOUT), context.Queue()
    workers = [
        context.Process(target=_race_in_process, args=(name, str(path), n, barrier, results))
        for n in range(count)
    ]
    for worker in workers:
        worker.start()
    try:
        collected = [results.get(timeout=4 * TIMEOUT) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=2 * TIMEOUT)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0] * count
    return collected


# -- set-up --------------------------------------------------------------------------------------
@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "crm.sqlite3"


@pytest.fixture
def setup(path: Path) -> Iterator[Crm]:
    """A lead waiting in pool east, and receivable R-1 (1,000 CNY, net 30) with payment
    R-1/P1 of 400.00 CNY recorded by s1 and waiting for finance."""
    database = SqliteDatabase(path, KINDS)
    crm = crm_on(database)
    lead = crm.leads.create(MARKETING.as_actor(), "Prospect", source="web")
    assert (lead.id, lead.pool_id) == ("lead-1", "east")
    crm.receivables.open(
        ANN,
        customer="acme",
        owner_id="s1",
        amount=Money(1000, "CNY"),
        issue_date=DAY,
        receivable_id="R-1",
    )
    payment = crm.receivables.record_payment(ANN, "R-1", Money(400, "CNY"), received_on=DAY)
    assert payment.id == "R-1/P1"
    yield crm
    database.close()


def stored(path: Path) -> tuple[Lead, Receivable, list[StoredEvent]]:
    with SqliteDatabase(path, KINDS) as database, database.unit_of_work() as uow:
        lead = uow.repository(Lead).get("lead-1")
        receivable = uow.repository(Receivable).get("R-1")
        return lead, receivable, database.undelivered(1000)


def all_events(path: Path) -> list[Any]:
    """Every event ever committed (delivered or not), oldest first."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT event_name, data FROM crmcore_outbox ORDER BY seq")
        return [load_event(name, data) for name, data in rows]


# -- claiming the same lead ------------------------------------------------------------------
def check_one_claim(path: Path, results: list[tuple[str, str]], racers: int) -> None:
    won = [value for kind, value in results if kind == "won"]
    conflicts = [value for kind, value in results if kind == "conflict"]
    assert len(won) == 1
    assert len(conflicts) == racers - 1
    assert all("was changed by someone else" in message for message in conflicts)
    lead, _, undelivered = stored(path)
    assert lead.owner_id == won[0]
    assert lead.version == 2  # created (and routed), then claimed once
    assignments = [e for e in all_events(path) if isinstance(e, LeadAssigned)]
    assert [(e.subject_id, e.owner_id) for e in assignments] == [("lead-1", won[0])]
    assert undelivered == []  # the winner delivered its notifications after the commit


def test_eight_threads_claim_one_lead_exactly_one_wins(setup: Crm, path: Path) -> None:
    results = in_threads(claim, path)
    check_one_claim(path, results, THREADS)
    # A loser who tries again now is told who holds it (a refusal, not a conflict).
    loser = next(u for u in SELLERS if u.id != stored(path)[0].owner_id)
    with pytest.raises(InvariantViolation, match="lead lead-1: already owned by s"):
        setup.leads.claim(loser.as_actor(), "lead-1")


def test_four_processes_claim_one_lead_exactly_one_wins(setup: Crm, path: Path) -> None:
    results = in_processes("claim", path)
    assert "error" not in {kind for kind, _ in results}, results
    check_one_claim(path, results, PROCESSES)


# -- confirming the same payment ---------------------------------------------------------------
def check_one_confirmation(path: Path, results: list[tuple[str, str]], racers: int) -> None:
    won = [value for kind, value in results if kind == "won"]
    conflicts = [value for kind, value in results if kind == "conflict"]
    assert len(won) == 1
    assert len(conflicts) == racers - 1
    assert all("receivable 'R-1' was changed by someone else" in m for m in conflicts)
    _, receivable, undelivered = stored(path)
    payment = receivable.payment("R-1/P1")
    assert payment.state is PaymentState.CONFIRMED
    assert payment.decided_by == won[0]
    balance = receivable.balance(DAY)
    assert balance.received == Money("400.00", "CNY")
    assert balance.outstanding == Money("600.00", "CNY")
    confirmations = [e for e in all_events(path) if isinstance(e, ReceivablePaymentConfirmed)]
    assert [e.actor_id for e in confirmations] == won
    assert undelivered == []


def test_eight_threads_confirm_one_payment_exactly_one_wins(setup: Crm, path: Path) -> None:
    check_one_confirmation(path, in_threads(confirm, path), THREADS)


def test_four_processes_confirm_one_payment_exactly_one_wins(setup: Crm, path: Path) -> None:
    results = in_processes("confirm", path)
    assert "error" not in {kind for kind, _ in results}, results
    check_one_confirmation(path, results, PROCESSES)


# -- independent payments on one receivable ----------------------------------------------------
def check_payments(path: Path, recorded: list[str]) -> None:
    """Every payment whose recording returned is stored once; the balance is exact."""
    _, receivable, _ = stored(path)
    references = [p.reference for p in receivable.payments if p.reference]
    assert sorted(references) == sorted(recorded)  # none lost, none twice
    amounts = [int(r.removeprefix("BANK-")) + 1 for r in recorded]
    pending = receivable.balance(DAY).pending_confirmation
    assert pending == Money(400 + sum(amounts), "CNY")  # P1's 400 plus every new one
    events = [e for e in all_events(path) if isinstance(e, ReceivablePaymentRecorded)]
    assert len(events) == 1 + len(recorded)


def test_four_threads_record_payments_on_one_receivable_all_recorded(
    setup: Crm, path: Path
) -> None:
    # With 4 racers each can lose at most to the 3 others, well within the retries.
    results = in_threads(pay, path, count=4)
    assert sorted(kind for kind, _ in results) == ["won"] * 4
    check_payments(path, [value for _, value in results])
    _, receivable, _ = stored(path)
    assert receivable.balance(DAY).pending_confirmation == Money("410.00", "CNY")  # 400+1+2+3+4


def test_four_processes_record_payments_on_one_receivable_all_recorded(
    setup: Crm, path: Path
) -> None:
    results = in_processes("pay", path)
    assert sorted(kind for kind, _ in results) == ["won"] * PROCESSES, results
    check_payments(path, [value for _, value in results])


def test_eight_threads_record_payments_on_one_receivable_all_recorded(
    setup: Crm, path: Path
) -> None:
    # Each lost attempt means another racer committed; with RECORD_RETRIES >= 7 every one of
    # eight racers forced to collide gets through, each payment stored exactly once.
    assert RECORD_RETRIES >= THREADS - 1
    results = in_threads(pay, path)
    assert sorted(kind for kind, _ in results) == ["won"] * THREADS, results
    check_payments(path, [value for _, value in results])
