"""Order-to-cash cycles per second through the services (draft ... complete: twelve use cases,
each its own commit, notifications delivered) on memory, SQLite and PostgreSQL, and with 1, 2
and 4 application processes sharing one PostgreSQL schema — the figure a team outgrowing one
machine wants. Wall-clock time; ratios against memory measured in the same run.

PostgreSQL parts need a server: CRMCORE_BENCH_POSTGRES (or CRMCORE_TEST_POSTGRES) holds its
libpq connection string; without one they are skipped with a note.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from benchmarks._harness import table
from benchmarks.bench_services import (
    ANNE,
    FINN,
    ISSUED,
    LINES,
    MIKE,
    PEOPLE,
    SHIP,
    START,
    TWENTY_OFF,
    _order_config,
)
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.ports import Storage
from crmcore.services import KINDS, Crm
from crmcore.testing.fakes import FixedClock, RecordingNotifier, StaticDirectory

PROCESSES = (1, 2, 4)


@attrs.define
class _PrefixedIds:
    """Ids ``p1-order-1``...: each application process its own range."""

    prefix: str
    counters: dict[str, int] = attrs.field(factory=dict)

    def new_id(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{self.prefix}{kind}-{self.counters[kind]}"


def _crm(storage: Storage, prefix: str = "") -> Crm:
    return Crm(
        storage,
        StaticDirectory.of(PEOPLE),
        RecordingNotifier(),
        FixedClock(START),
        _PrefixedIds(prefix),
        _order_config(),
    )


def _cycle(crm: Crm) -> None:
    """One order to cash: draft, discount, price, submit, approve, ship, receipt, record and
    confirm the payment, request and issue the invoice, complete (as bench_services)."""
    order = crm.orders.draft(ANNE, customer="acme", currency="CNY", lines=LINES)
    crm.orders.set_discount(ANNE, order.id, TWENTY_OFF)
    crm.orders.price(ANNE, order.id)
    crm.orders.submit(ANNE, order.id)
    crm.orders.approve(MIKE, order.id)
    crm.orders.ship(SHIP, order.id)
    crm.orders.confirm_receipt(SHIP, order.id)
    view = crm.queries.order_money_view(ANNE, order.id)
    assert view.payments is not None
    receivable, amount = view.payments.receivable_id, view.payments.outstanding
    payment = crm.receivables.record_payment(ANNE, receivable, amount, received_on=ISSUED)
    crm.receivables.confirm_payment(FINN, receivable, payment.id)
    invoice = crm.receivables.request_invoice(
        ANNE, receivable, amount, title="Acme", tax_id="9131", address="Shanghai"
    )
    crm.receivables.issue_invoice(FINN, receivable, invoice.id, f"No. {order.id}")
    crm.orders.complete(ANNE, order.id)


def _rate(storage: Storage, cycles: int, prefix: str = "") -> float:
    """Cycles per second of wall-clock time on ``storage`` (after one warm-up cycle)."""
    crm = _crm(storage, prefix)
    _cycle(crm)
    began = time.perf_counter()
    for _ in range(cycles):
        _cycle(crm)
    return cycles / (time.perf_counter() - began)


def _conninfo() -> str:
    return os.environ.get("CRMCORE_BENCH_POSTGRES") or os.environ.get("CRMCORE_TEST_POSTGRES", "")


@contextlib.contextmanager
def _schema(conninfo: str) -> Iterator[str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _postgres(conninfo: str, schema: str) -> Any:
    from crmcore.adapters.postgres import PostgresDatabase

    return PostgresDatabase(conninfo, KINDS, schema=schema, pool_size=2)


def _application(
    conninfo: str, schema: str, prefix: str, cycles: int, barrier: Any, results: Any
) -> None:
    """One application process: its own pool, its own ids, ``cycles`` cycles after the
    barrier; reports (start, end) wall-clock times."""
    database = _postgres(conninfo, schema)
    try:
        crm = _crm(database, prefix)
        _cycle(crm)  # warm-up
        barrier.wait()
        began = time.time()
        for _ in range(cycles):
            _cycle(crm)
        results.put((began, time.time()))
    finally:
        database.close()


def _scaled_rate(conninfo: str, processes: int, cycles: int) -> float:
    """Cycles per second of ``processes`` application processes sharing one schema."""
    context = multiprocessing.get_context("spawn")
    with _schema(conninfo) as schema:
        _postgres(conninfo, schema).close()  # create the tables once
        barrier, results = context.Barrier(processes, timeout=300), context.Queue()
        workers = [
            context.Process(
                target=_application,
                args=(conninfo, schema, f"p{n}-", cycles, barrier, results),
            )
            for n in range(processes)
        ]
        for worker in workers:
            worker.start()
        spans: list[tuple[float, float]] = []
        while len(spans) < processes:
            with contextlib.suppress(queue.Empty):
                spans.append(results.get(timeout=5))
            if len(spans) < processes and not any(w.is_alive() for w in workers):
                raise RuntimeError(f"an application process failed: {len(spans)} finished")
        for worker in workers:
            worker.join(60)
    return processes * cycles / (max(end for _, end in spans) - min(s for s, _ in spans))


def run(quick: bool = False) -> None:
    cycles = 3 if quick else 40
    rates: dict[str, float] = {"memory": _rate(MemoryDatabase(KINDS), cycles)}
    with (
        tempfile.TemporaryDirectory() as folder,
        SqliteDatabase(Path(folder) / "cycles.sqlite3", KINDS) as sqlite,
    ):
        rates["sqlite"] = _rate(sqlite, cycles)
    conninfo = _conninfo()
    if conninfo:
        with _schema(conninfo) as schema:
            database = _postgres(conninfo, schema)
            rates["postgresql"] = _rate(database, cycles)
            database.close()
    rows = [[name, rate, rate / rates["memory"]] for name, rate in rates.items()]
    print(
        table(
            f"cycles: order-to-cash cycles (12 use cases, 12 commits) through the services, "
            f"{cycles} cycles, one process, wall clock",
            ["storage", "cycles/s", "vs memory"],
            rows,
        )
    )
    if not conninfo:
        print(
            "note: PostgreSQL skipped — set CRMCORE_BENCH_POSTGRES (or CRMCORE_TEST_POSTGRES) to "
            "a libpq connection string; `bash .ci/postgres.sh start DIR` starts a server"
        )
        return
    scaled = {n: _scaled_rate(conninfo, n, cycles) for n in PROCESSES}
    print(
        table(
            f"cycles: {cycles} cycles per application process, all on one PostgreSQL schema "
            "(each process its own pool of 2 connections)",
            ["processes", "cycles/s (all)", "vs 1 process"],
            [[n, rate, rate / scaled[1]] for n, rate in scaled.items()],
        )
    )
    print(f"cores: {os.cpu_count()} (the server and the application processes share them)")
