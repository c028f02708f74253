"""Storage adapters: get and save per second, and ``find`` on an indexed attribute with a
small and a large table (the ratio shows whether ``find`` uses the index) — for the sample
aggregate on both adapters, and for real orders on SQLite (``find`` by customer)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks._harness import best_time, table
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.money import Money
from crmcore.orders import Order
from crmcore.ports import Actor
from crmcore.pricing import LineRequest, PercentOff
from crmcore.serialization import converter
from crmcore.testing import strategies as cst
from crmcore.testing.contracts import CONTRACT_KINDS, DOMAIN_KINDS, SampleAccount

AT = datetime(2026, 3, 1, tzinfo=UTC)
PER_OWNER = 10  # every owner has 10 accounts, whatever the table size


def _fill(storage: Any, count: int) -> None:
    batch = 5_000
    for start in range(0, count, batch):
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            for n in range(start, min(count, start + batch)):
                repo.add(
                    SampleAccount(
                        f"acc-{n:07d}",
                        f"owner-{n // PER_OWNER}",
                        Money(n, "CNY"),
                        date(2026, 1, 1),
                    )
                )
            uow.commit()


def _measure(storage: Any, ops: int) -> tuple[float, float, float]:
    """(gets per s, saves per s, seconds per find of one owner's accounts)."""

    def gets() -> None:
        with storage.unit_of_work() as uow:
            repo = uow.repository(SampleAccount)
            for n in range(ops):
                repo.get(f"acc-{n:07d}")

    def saves() -> None:
        for n in range(ops):
            with storage.unit_of_work() as uow:
                repo = uow.repository(SampleAccount)
                account = repo.get(f"acc-{n:07d}")
                account.deposit(Actor("bench"), Money(1, "CNY"), at=AT)
                repo.save(account)
                uow.commit()

    def find() -> None:
        with storage.unit_of_work() as uow:
            uow.repository(SampleAccount).find(owner_id="owner-7")

    return ops / best_time(gets, 3), ops / best_time(saves, 1), best_time(find, 5)


ORDER_KINDS = [kind for kind in DOMAIN_KINDS if kind.cls is Order]
PER_CUSTOMER = 10  # every customer has 10 orders, whatever the table size


def _template() -> dict[str, Any]:
    """One confirmed order (drafted, priced, submitted through the public API) as data."""
    seller = cst.SALES[0]
    order = Order.draft(
        "SO-template",
        customer="acme",
        owner_id=seller.user_id,
        currency="CNY",
        actor=seller,
        at=AT,
        department="east",
        lines=[LineRequest("DRILL", 3), LineRequest("SAW", 2, discount=PercentOff(5))],
    )
    order.price(cst.ORDER_ENGINE, seller, at=AT)
    order.submit(seller, at=AT, approval_required=False)
    order.pull_events()
    data: dict[str, Any] = converter.unstructure(order)
    return data


def _orders(template: dict[str, Any], start: int, stop: int) -> list[Order]:
    """Copies of the template with their own ids and customers, through the converter."""
    copies = []
    for n in range(start, stop):
        id = f"SO-{n:07d}"
        data = {
            **template,
            "id": id,
            "customer": f"cust-{n // PER_CUSTOMER}",
            "history": [{**event, "subject_id": id} for event in template["history"]],
        }
        copies.append(converter.structure(data, Order))
    return copies


def _fill_orders(storage: SqliteDatabase, count: int) -> None:
    template = _template()
    batch = 5_000
    for start in range(0, count, batch):
        with storage.unit_of_work() as uow:
            repo = uow.repository(Order)
            for order in _orders(template, start, min(count, start + batch)):
                repo.add(order)
            uow.commit()


def _measure_orders(storage: SqliteDatabase, ops: int) -> tuple[float, float, float, int]:
    """(gets per s, saves per s, seconds per find of one customer's orders, orders found)."""

    def gets() -> None:
        with storage.unit_of_work() as uow:
            repo = uow.repository(Order)
            for n in range(ops):
                repo.get(f"SO-{n:07d}")

    def saves() -> None:
        for n in range(ops):
            with storage.unit_of_work() as uow:
                repo = uow.repository(Order)
                repo.save(repo.get(f"SO-{n:07d}"))
                uow.commit()

    found: list[Order] = []

    def find() -> None:
        with storage.unit_of_work() as uow:
            found[:] = uow.repository(Order).find(customer_id="cust-7")

    return ops / best_time(gets, 3), ops / best_time(saves, 1), best_time(find, 5), len(found)


def run_orders(quick: bool = False) -> None:
    """SQLite with real orders: get, save and find by customer at two table sizes."""
    small, large = (100, 1_000) if quick else (1_000, 100_000)
    ops = 20 if quick else 500
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for size in (small, large):
            storage = SqliteDatabase(Path(folder) / f"orders-{size}.sqlite3", ORDER_KINDS)
            started = time.perf_counter()
            _fill_orders(storage, size)
            fill = time.perf_counter() - started
            results[size] = (*_measure_orders(storage, ops), size / fill)
            storage.close()
        for size in (small, large):
            get, save, find, found, inserts = results[size]
            rows.append((f"{size:,}", get, save, inserts, found, find * 1e3))
        ratio = results[large][2] / results[small][2]
    print(
        table(
            f"storage: sqlite with confirmed orders (2 priced lines, full history); {ops} gets "
            f"and saves (each save its own commit); find(customer_id=...) returns the "
            f"{PER_CUSTOMER} orders of one customer",
            ["orders stored", "get/s", "save+commit/s", "bulk insert/s", "found", "find ms"],
            rows,
        )
    )
    print(f"find by customer, time @{large:,} / @{small:,}: {ratio:.2f} (goal <= 1.5)")


def run(quick: bool = False) -> None:
    small, large = (200, 2_000) if quick else (1_000, 100_000)
    ops = 50 if quick else 500
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, make in (
            ("memory", lambda n: MemoryDatabase(CONTRACT_KINDS)),
            (
                "sqlite",
                lambda n: SqliteDatabase(Path(folder) / f"bench-{n}.sqlite3", CONTRACT_KINDS),
            ),
        ):
            results = {}
            for size in (small, large):
                storage = make(size)
                started = time.perf_counter()
                _fill(storage, size)
                fill = time.perf_counter() - started
                results[size] = (*_measure(storage, ops), size / fill)
            g, s, f_small, _ = results[small]
            _, _, f_large, inserts = results[large]
            rows.append((name, g, s, inserts, f_small * 1e3, f_large * 1e3, f_large / f_small))
    print(
        table(
            f"storage: {ops} gets and saves (each save its own commit); find the "
            f"{PER_OWNER} accounts of one owner with {small:,} and {large:,} stored "
            "(goal: ratio <= 1.5, the index is used)",
            [
                "adapter",
                "get/s",
                "save+commit/s",
                "bulk insert/s",
                f"find ms @{small:,}",
                f"find ms @{large:,}",
                "ratio",
            ],
            rows,
        )
    )
    run_orders(quick)
