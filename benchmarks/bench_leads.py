"""Assigning leads: each policy over 10 and over 1,000 members (goal: ratio <= 1.5).

The ratio time(1,000 members) / time(10 members) shows that one assignment does not scan
the members (heaps and a sorted rotation instead). Only ``Pool.distribute`` is timed; the
leads are built beforehand. Times are the process's CPU time (best of the repeats, the two
sizes interleaved): the benchmark machine is shared, and wall time there measures the
neighbours as much as the code.
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime

from benchmarks._harness import table
from crmcore.leads import (
    AssignmentPolicy,
    DefaultAssignee,
    Lead,
    LoadBalanced,
    Pool,
    PoolConfig,
    PoolMember,
    RoundRobin,
    Weighted,
)
from crmcore.ports import Actor

AT = datetime(2026, 3, 25, 9, tzinfo=UTC)
ADMIN = Actor("admin", {"admin"})


def _pool(policy: AssignmentPolicy, members: int) -> Pool:
    people = tuple(PoolMember(f"u{i:05d}", weight=1 + i % 4) for i in range(members))
    return Pool.from_config(
        PoolConfig("bench", members=people, policy=policy, default_assignee="u00000")
    )


def _leads(pool: Pool, n: int) -> list[Lead]:
    leads = [Lead.capture(f"l{i}", "Prospect", source="web", actor=ADMIN, at=AT) for i in range(n)]
    pool.admit(ADMIN, leads, at=AT)
    return leads


def _time(policy: AssignmentPolicy, members: int, n: int) -> float:
    pool = _pool(policy, members)
    leads = _leads(pool, n)
    gc.collect()
    start = time.process_time()
    result = pool.distribute(ADMIN, leads, at=AT)
    elapsed = time.process_time() - start
    assert not result.unassigned
    return elapsed


def run(quick: bool = False) -> None:
    n = 2_000 if quick else 100_000
    repeat = 3
    policies: list[AssignmentPolicy] = [
        RoundRobin(),
        LoadBalanced(),
        Weighted(),
        DefaultAssignee(),
    ]
    rows = []
    for policy in policies:
        small = large = float("inf")
        for _ in range(repeat):
            small = min(small, _time(policy, 10, n))
            large = min(large, _time(policy, 1_000, n))
        rows.append(
            (policy.kind, n / small, n / large, small / n * 1e6, large / n * 1e6, large / small)
        )
    print(
        table(
            f"leads: assign {n:,} leads with Pool.distribute, CPU time, best of {repeat} "
            "(goal: time(1,000 members) / time(10 members) <= 1.5)",
            ["policy", "leads/s 10", "leads/s 1,000", "us/lead 10", "us/lead 1,000", "ratio"],
            rows,
        )
    )
