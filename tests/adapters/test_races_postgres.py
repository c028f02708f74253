"""Races through the services on one PostgreSQL schema, each racer a separate process with
its own PostgresDatabase (its own pool): 8 processes claim one lead, 8 confirm one payment,
and 4 delivery processes drain one outbox. Racers wait at a barrier just before their first
commit, so all decide on the same stored version."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from crmcore.errors import ConcurrencyConflict
from crmcore.leads import Lead, LeadAssigned
from crmcore.money import Money
from crmcore.ports import StoredEvent
from crmcore.receivables import PaymentState, Receivable, ReceivablePaymentConfirmed
from crmcore.services import KINDS, Crm
from tests.adapters.test_races import (
    ANN,
    DAY,
    MARKETING,
    SELLERS,
    TIMEOUT,
    RacingStorage,
    claim,
    confirm,
    crm_on,
)

RACERS = 8
DELIVERERS = 4
LEADS = 120  # 240 events: more than two of the services' delivery batches (100)


def _open(conninfo: str, schema: str) -> Any:
    from crmcore.adapters.postgres import PostgresDatabase

    return PostgresDatabase(conninfo, KINDS, schema=schema, pool_size=2)


def _race(name: str, conninfo: str, schema: str, n: int, barrier: Any, results: Any) -> None:
    action: Callable[[Crm, int], str] = {"claim": claim, "confirm": confirm}[name]
    database = _open(conninfo, schema)
    try:
        results.put(("won", action(crm_on(RacingStorage(database, barrier)), n)))
    except ConcurrencyConflict as error:
        results.put(("conflict", str(error)))
    except BaseException as error:
        results.put(("error", repr(error)))
        raise
    finally:
        database.close()


class _Recording:
    """The storage, recording the outbox sequence numbers this process marks delivered."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.delivered: list[int] = []

    def unit_of_work(self) -> Any:
        return self.inner.unit_of_work()

    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        return self.inner.undelivered(limit)  # type: ignore[no-any-return]

    def claim(self, limit: int = 100, lease: float = 60.0) -> list[StoredEvent]:
        return self.inner.claim(limit, lease)  # type: ignore[no-any-return]

    def release(self, seqs: list[int]) -> None:
        self.inner.release(seqs)

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        self.delivered.append(seq)
        self.inner.mark_delivered(seq, at)


def _deliver(conninfo: str, schema: str, barrier: Any, results: Any) -> None:
    database = _open(conninfo, schema)
    try:
        recording = _Recording(database)
        crm = crm_on(recording)
        barrier.wait()
        crm.deliver()
        results.put(recording.delivered)
    finally:
        database.close()


def _in_processes(target: Callable[..., None], args: list[tuple[Any, ...]]) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=target, args=(*a, results)) for a in args]
    for worker in workers:
        worker.start()
    try:
        collected = [results.get(timeout=4 * TIMEOUT) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=2 * TIMEOUT)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0] * len(workers), collected
    return collected


def _race_processes(name: str, conninfo: str, schema: str) -> list[tuple[str, str]]:
    barrier = multiprocessing.get_context("spawn").Barrier(RACERS, timeout=TIMEOUT)
    return _in_processes(_race, [(name, conninfo, schema, n, barrier) for n in range(RACERS)])


@pytest.fixture
def database(postgres_conninfo: str, postgres_schema: str) -> Iterator[Any]:
    """A lead waiting in pool east and receivable R-1 with payment R-1/P1 (400 CNY) waiting
    for finance, on a fresh schema."""
    handle = _open(postgres_conninfo, postgres_schema)
    crm = crm_on(handle)
    assert crm.leads.create(MARKETING.as_actor(), "Prospect", source="web").id == "lead-1"
    crm.receivables.open(
        ANN,
        customer="acme",
        owner_id="s1",
        amount=Money(1000, "CNY"),
        issue_date=DAY,
        receivable_id="R-1",
    )
    crm.receivables.record_payment(ANN, "R-1", Money(400, "CNY"), received_on=DAY)
    yield handle
    handle.close()


def _outbox(database: Any) -> list[Any]:
    """Every event ever committed, delivered or not, oldest first."""
    import psycopg

    with database._pool.connection() as conn:  # the test reads the table itself
        rows = conn.execute(
            psycopg.sql.SQL(
                "SELECT event_name, data::text FROM {}.crmcore_outbox ORDER BY seq"
            ).format(psycopg.sql.Identifier(database.schema))
        ).fetchall()
    from crmcore.adapters.kit import decode_event

    return [decode_event(name, text) for name, text in rows]


def test_eight_postgres_processes_claim_one_lead_exactly_one_wins(
    database: Any, postgres_conninfo: str, postgres_schema: str
) -> None:
    results = _race_processes("claim", postgres_conninfo, postgres_schema)
    won = [value for kind, value in results if kind == "won"]
    assert len(won) == 1, results
    assert sorted(kind for kind, _ in results) == ["conflict"] * (RACERS - 1) + ["won"]
    with database.unit_of_work() as uow:
        lead = uow.repository(Lead).get("lead-1")
    assert (lead.owner_id, lead.version) == (won[0], 2)
    assigned = [e for e in _outbox(database) if isinstance(e, LeadAssigned)]
    assert [(e.subject_id, e.owner_id) for e in assigned] == [("lead-1", won[0])]
    assert database.undelivered() == []


def test_eight_postgres_processes_confirm_one_payment_exactly_one_wins(
    database: Any, postgres_conninfo: str, postgres_schema: str
) -> None:
    results = _race_processes("confirm", postgres_conninfo, postgres_schema)
    won = [value for kind, value in results if kind == "won"]
    assert sorted(kind for kind, _ in results) == ["conflict"] * (RACERS - 1) + ["won"]
    with database.unit_of_work() as uow:
        receivable = uow.repository(Receivable).get("R-1")
    payment = receivable.payment("R-1/P1")
    assert (payment.state, payment.decided_by) == (PaymentState.CONFIRMED, won[0])
    assert receivable.balance(DAY).outstanding == Money("600.00", "CNY")
    confirmed = [e for e in _outbox(database) if isinstance(e, ReceivablePaymentConfirmed)]
    assert [e.actor_id for e in confirmed] == won


class _NoDelivery:
    """The storage with delivery switched off, so the set-up leaves its events in the outbox."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def unit_of_work(self) -> Any:
        return self.inner.unit_of_work()

    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        return []

    def mark_delivered(self, seq: int, at: datetime | None = None) -> None:
        raise AssertionError("nothing is delivered during the set-up")


def test_four_postgres_delivery_processes_deliver_each_event_exactly_once(
    postgres_conninfo: str, postgres_schema: str
) -> None:
    database = _open(postgres_conninfo, postgres_schema)
    crm = crm_on(_NoDelivery(database))
    for n in range(1, LEADS + 1):
        lead = crm.leads.create(MARKETING.as_actor(), f"Prospect {n}", source="web")
        assert lead.id == f"lead-{n}"
    for n in range(1, LEADS + 1):
        crm.leads.claim(SELLERS[n % len(SELLERS)].as_actor(), f"lead-{n}")
    pending = len(database.undelivered(10_000))
    assert pending > LEADS
    everything = sorted(e.seq for e in database.undelivered(10_000))
    barrier = multiprocessing.get_context("spawn").Barrier(DELIVERERS, timeout=TIMEOUT)
    delivered = _in_processes(
        _deliver, [(postgres_conninfo, postgres_schema, barrier)] * DELIVERERS
    )
    every = sorted(seq for batch in delivered for seq in batch)
    assert len(every) == len(set(every)), "an event was delivered twice"
    assert every == everything  # and none was missed
    assert database.undelivered() == []
    database.close()
