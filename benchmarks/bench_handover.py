"""Handover: a departing salesperson's book of leads moved through the services, in one
unit of work and in batches of 100, on the memory adapter.

A batched run lists the book once (its first batch) and then loads only each batch's
records, so it stays linear in the book's size: the goal for time(4n) / time(n) of the
batched run is <= 6 (linear is 4; a run that listed the book again in every batch would be
quadratic, about 16).
Times are CPU time of the ``crm.leads.hand_over`` call, best of the repeats, each on a fresh
store filled directly through the domain (the set-up is not timed).
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime

from benchmarks._harness import table
from crmcore.adapters.memory import MemoryDatabase
from crmcore.leads import Lead, Pool, PoolConfig, PoolMember
from crmcore.ports import DirectoryUser
from crmcore.services import KINDS, Crm, CrmConfig
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory

_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_USERS = [
    DirectoryUser("ann", roles={"sales"}, manager_id="mia"),
    DirectoryUser("bob", roles={"sales"}, manager_id="mia"),
    DirectoryUser("cai", roles={"sales"}, manager_id="mia"),
    DirectoryUser("mia", roles={"manager"}),
]
_EAST = PoolConfig(
    "east",
    members=(PoolMember("ann"), PoolMember("bob"), PoolMember("cai")),
    admins=frozenset({"mia"}),
)


def _crm_with_book(leads: int) -> Crm:
    """A Crm whose store holds ``leads`` leads of Ann's in the east pool."""
    storage = MemoryDatabase(KINDS)
    mia = _USERS[3].as_actor()
    pool = Pool.from_config(_EAST)
    book = [
        Lead.capture(f"lead-{i:06d}", f"Prospect {i}", source="expo", actor=mia, at=_AT)
        for i in range(leads)
    ]
    pool.admit(mia, book, at=_AT)
    pool.assign_to(mia, book, "ann", at=_AT)
    with storage.unit_of_work() as uow:
        uow.repository(Pool).add(pool)
        for lead in book:
            uow.repository(Lead).add(lead)
        uow.commit()
    config = CrmConfig(pools=(_EAST,))
    clock = FixedClock(_AT)
    return Crm(
        storage, StaticDirectory.of(_USERS), RecordingNotifier(), clock, SequentialIds(), config
    )


def _cpu(leads: int, batch_size: int | None, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        crm = _crm_with_book(leads)
        gc.collect()
        start = time.process_time()
        report = crm.leads.hand_over("mia", "ann", reason="left", batch_size=batch_size)
        best = min(best, time.process_time() - start)
        assert (report.moved, report.remaining) == (leads, 0)
    return best


def run(quick: bool = False) -> None:
    small = 200 if quick else 2_000
    repeat = 1 if quick else 3
    rows = []
    for batch_size in (None, 100):
        times = [_cpu(n, batch_size, repeat) for n in (small, 4 * small)]
        rows.append(
            [
                "one unit of work" if batch_size is None else f"batches of {batch_size}",
                times[0] * 1000,
                times[1] * 1000,
                times[1] / times[0],
            ]
        )
    print(
        table(
            f"handover: {small:,} and {4 * small:,} leads of a departing salesperson moved by "
            f"the pool's rotation (ms, CPU; goal: batched ratio <= 6)",
            ["run", f"ms {small:,}", f"ms {4 * small:,}", "ratio"],
            rows,
        )
    )
