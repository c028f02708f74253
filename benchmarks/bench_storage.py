"""Storage adapters: get and save per second, and ``find`` on an indexed attribute with a
small and a large table (the ratio shows whether ``find`` uses the index)."""

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
from crmcore.testing.contracts import CONTRACT_KINDS, SampleAccount

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
                account.deposit(Money(1, "CNY"), "bench", AT)
                repo.save(account)
                uow.commit()

    def find() -> None:
        with storage.unit_of_work() as uow:
            uow.repository(SampleAccount).find(owner_id="owner-7")

    return ops / best_time(gets, 3), ops / best_time(saves, 1), best_time(find, 5)


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
