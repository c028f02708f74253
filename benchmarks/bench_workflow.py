"""Approvals at two sizes: the to-do list scan, a whole request's life, and the SLA sweep.

No peer library runs configurable approval processes, so each operation is measured at a
small and a 100x larger size in the same run; the ratio of per-item costs shows whether it
scales linearly (1.0) or worse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks._harness import best_time, table
from crmcore.ports import Actor, DirectoryUser
from crmcore.testing.fakes import StaticDirectory
from crmcore.workflow import (
    ALL,
    ApprovalInstance,
    ApprovalProcess,
    ManagerOf,
    ManagerOfApprover,
    Role,
    Sla,
    Step,
    pending_tasks_for,
)

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
LATER = T0 + timedelta(hours=20)
PROCESS = ApprovalProcess(
    "order-approval",
    1,
    "order",
    [
        Step("manager", [ManagerOf(1)], sla=Sla(24, (8,), ManagerOfApprover())),
        Step("finance", [Role("finance")], mode=ALL, sla=Sla(48, (24,), ManagerOfApprover())),
    ],
)
DIRECTORY = StaticDirectory.of(
    [
        *(DirectoryUser(f"rep{i}", roles={"sales"}, manager_id=f"mgr{i % 10}") for i in range(50)),
        *(DirectoryUser(f"mgr{i}", roles={"manager"}, manager_id="dir") for i in range(10)),
        DirectoryUser("dir", roles={"director"}),
        *(DirectoryUser(f"f{i}", roles={"finance"}, manager_id="cfo") for i in range(3)),
        DirectoryUser("cfo", roles={"cfo"}),
    ]
)


def requests(n: int) -> list[ApprovalInstance]:
    """``n`` requests; every other one already passed its manager step and waits on finance."""
    out = []
    for i in range(n):
        r = ApprovalInstance.start(
            PROCESS, {"id": f"SO-{i}"}, f"rep{i % 50}", DIRECTORY, at=T0, instance_id=f"AP-{i}"
        )
        if i % 2:
            r.approve(Actor(f"mgr{i % 50 % 10}"), at=T0, directory=DIRECTORY)
        out.append(r)
    return out


def life(n: int) -> Callable[[], object]:
    """Submit, approve by the manager and by all three of finance, ``n`` times."""

    def run() -> object:
        for i in range(n):
            r = ApprovalInstance.start(
                PROCESS, {"id": f"SO-{i}"}, f"rep{i % 50}", DIRECTORY, at=T0, instance_id=f"AP-{i}"
            )
            r.approve(Actor(f"mgr{i % 50 % 10}"), at=T0, directory=DIRECTORY)
            for f in ("f0", "f1", "f2"):
                r.approve(Actor(f), at=T0, directory=DIRECTORY)
        return r

    return run


def run(quick: bool = False) -> None:
    small, large = (100, 1_000) if quick else (1_000, 100_000)
    repeat = 3 if quick else 5
    rows = []
    timings: dict[str, dict[int, float]] = {}
    for n in (small // 10, large // 5) if quick else (small, large // 5):
        whole = best_time(life(n), repeat=repeat if n <= 1_000 else 2)
        timings.setdefault("submit + 4 approvals", {})[n] = whole / n
        rows.append(("submit + 4 approvals", n, n, whole * 1e3, whole / n * 1e6))
    for n in (small, large):
        pool = requests(n)
        todo = len(pending_tasks_for("f1", pool))
        scan = best_time(lambda pool=pool: pending_tasks_for("f1", pool), repeat=repeat)
        timings.setdefault("pending_tasks_for", {})[n] = scan / n
        rows.append(("pending_tasks_for('f1')", n, todo, scan * 1e3, scan / n * 1e6))

        def idle(pool: list[ApprovalInstance] = pool) -> None:
            for r in pool:
                r.tick(T0, DIRECTORY)

        quiet = best_time(idle, repeat=repeat)  # the usual sweep: nothing is due yet
        timings.setdefault("tick (nothing due)", {})[n] = quiet / n
        rows.append(("tick (nothing due)", n, 0, quiet * 1e3, quiet / n * 1e6))

        def sweep(pool: list[ApprovalInstance] = pool) -> None:
            for r in pool:
                r.tick(LATER, DIRECTORY)

        swept = best_time(sweep, repeat=1)  # reminders fire on the first sweep only
        timings.setdefault("tick (reminders)", {})[n] = swept / n
        rows.append(("tick (reminders)", n, n, swept * 1e3, swept / n * 1e6))
        del pool
    print(
        table(
            f"workflow: best of {repeat} (tick: one sweep); per-request cost should stay flat",
            ["operation", "requests", "results", "total ms", "µs per request"],
            rows,
        )
    )
    ratios = [
        (name, f"{max(by)}/{min(by)}", by[max(by)] / by[min(by)]) for name, by in timings.items()
    ]
    print(
        table("workflow: per-request cost, large / small", ["operation", "sizes", "ratio"], ratios)
    )
