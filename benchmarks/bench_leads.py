"""Assigning and claiming leads over 10 and over 1,000 members (goal: ratio <= 1.5).

The ratio time(1,000 members) / time(10 members) shows that one assignment does not scan
the members (heaps and a sorted rotation instead). Only ``Pool.distribute`` is timed; the
leads are built beforehand. The claims table times ``Pool.claim`` one lead at a time with
the limits in force: a daily claim limit (each member claims up to it, then the day turns),
a holding limit, a 30-day quota on every member that limits claims too (``quota_limits=
"claims"``; 150 in 30 days is exactly 5 a day, so each member's quota is full to the edge
every day), and a pool that remembers every claim of the months before; a claim past the
daily limit is refused outside the timing, to show the limit bites. Times are the process's
CPU time (best of the repeats, the two sizes interleaved): the benchmark machine is shared,
and wall time there measures the neighbours as much as the code.
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime, timedelta

from benchmarks._harness import table
from crmcore.errors import InvariantViolation
from crmcore.leads import (
    AssignmentPolicy,
    ClaimLimits,
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


def _pool(policy: AssignmentPolicy, members: int, quota: int | None = None) -> Pool:
    people = tuple(
        PoolMember(f"u{i:05d}", weight=1 + i % 4, assignment_max=quota) for i in range(members)
    )
    return Pool.from_config(
        PoolConfig(
            "bench",
            members=people,
            policy=policy,
            default_assignee="u00000",
            quota_daily_share=quota is not None,
        )
    )


def _leads(pool: Pool, n: int) -> list[Lead]:
    leads = [Lead.capture(f"l{i}", "Prospect", source="web", actor=ADMIN, at=AT) for i in range(n)]
    pool.admit(ADMIN, leads, at=AT)
    return leads


def _time(policy: AssignmentPolicy, members: int, n: int, quota: int | None = None) -> float:
    pool = _pool(policy, members, quota)
    leads = _leads(pool, n)
    gc.collect()
    start = time.process_time()
    result = pool.distribute(ADMIN, leads, at=AT)
    elapsed = time.process_time() - start
    assert not result.unassigned
    return elapsed


#: Leads each member may claim per day; the 30-day quota on every member; the holding limit.
PER_DAY, QUOTA, HELD = 5, 150, 100_000


def _claim_pool(members: int) -> Pool:
    people = tuple(PoolMember(f"u{i:05d}", assignment_max=QUOTA) for i in range(members))
    return Pool.from_config(
        PoolConfig(
            "claims",
            members=people,
            claim_limits=ClaimLimits(max_held=HELD, max_per_day=PER_DAY),
            quota_daily_share=True,
            quota_limits="claims",  # the 30-day quota and its daily share limit claims too
        )
    )


def _time_claims(members: int, n: int) -> float:
    """CPU seconds for ``n`` single-lead claims, each member up to the daily limit, then the
    next day; the pool has already seen ``n`` claims on the days before."""
    pool = _claim_pool(members)
    leads = _leads(pool, 2 * n)
    people = [Actor(f"u{i:05d}", {"sales"}) for i in range(members)]
    per_day = members * PER_DAY

    def claims(batch: list[Lead], first_day: int) -> None:
        for k, lead in enumerate(batch):
            at = AT + timedelta(days=first_day + k // per_day)
            pool.claim(people[(k // PER_DAY) % members], [lead], at=at)

    claims(leads[:n], 0)  # the history: as many claims on the days before
    days = -(-n // per_day)
    gc.collect()
    start = time.process_time()
    claims(leads[n:], days)
    elapsed = time.process_time() - start
    last = AT + timedelta(days=2 * days - 1)
    if n % per_day == 0:  # every member used up the last day: one more is refused
        extra = Lead.capture("one-more", "Prospect", source="web", actor=ADMIN, at=last)
        pool.admit(ADMIN, [extra], at=last)
        try:
            pool.claim(people[0], [extra], at=last)
        except InvariantViolation as refused:
            if "daily claim limit" not in str(refused):
                raise
        else:
            raise AssertionError("the daily claim limit did not hold")
    first = sum(1 for k in range(n) if (k // PER_DAY) % members == 0)
    assert pool.open_leads("u00000") == 2 * first, (pool.open_leads("u00000"), first)
    return elapsed


def run(quick: bool = False) -> None:
    run_distribute(quick)
    print()
    run_claims(quick)


def run_claims(quick: bool = False) -> None:
    n = 1_000 if quick else 20_000
    repeat = 3
    small = large = float("inf")
    for _ in range(repeat):
        small = min(small, _time_claims(10, n))
        large = min(large, _time_claims(1_000, n))
    print(
        table(
            f"leads: {n:,} single-lead claims with Pool.claim after {n:,} before, daily claim "
            f"limit {PER_DAY} per member, holding limit {HELD:,}, 30-day quota {QUOTA} per "
            f"member limiting claims, CPU time, best of {repeat} "
            "(goal: time(1,000 members) / time(10) <= 1.5)",
            ["members", "claims/s", "us/claim"],
            [(10, n / small, small / n * 1e6), (1_000, n / large, large / n * 1e6)],
        )
    )
    print(f"claims: ratio time(1,000 members) / time(10 members): {large / small:.3f}")


def run_distribute(quick: bool = False) -> None:
    n = 2_000 if quick else 100_000
    repeat = 3
    policies: list[AssignmentPolicy] = [
        RoundRobin(),
        LoadBalanced(),
        Weighted(),
        DefaultAssignee(),
    ]
    rows = []
    # The last row holds every member to a 30-day quota and its daily share, checked on
    # every pick (30 * n: large enough never to leave a lead unassigned).
    cases = [(policy.kind, policy, None) for policy in policies]
    cases.append(("round_robin + quota", RoundRobin(), 30 * n))
    for name, policy, quota in cases:
        small = large = float("inf")
        for _ in range(repeat):
            small = min(small, _time(policy, 10, n, quota))
            large = min(large, _time(policy, 1_000, n, quota))
        rows.append((name, n / small, n / large, small / n * 1e6, large / n * 1e6, large / small))
    print(
        table(
            f"leads: assign {n:,} leads with Pool.distribute, CPU time, best of {repeat} "
            "(goal: time(1,000 members) / time(10 members) <= 1.5)",
            ["policy", "leads/s 10", "leads/s 1,000", "us/lead 10", "us/lead 1,000", "ratio"],
            rows,
        )
    )
