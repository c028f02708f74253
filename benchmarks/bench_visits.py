"""Visits: route planning for 30 stops and the analysis of 1,000,000 visits.

Route planning (nearest neighbour, then 2-opt, on exact Decimal haversine distances) is
timed for 30 stops against 3 stops: the distance matrix and each 2-opt round are quadratic,
so about 100x (plus the extra 2-opt rounds) is expected. The analysis streams visit facts
once; it is timed for 1,000,000 visits against 100,000 (goal: ratio <= 12, linear), and ten
partitions merged must equal the single pass. Times are CPU time, best of the repeats.
"""

from __future__ import annotations

import gc
import itertools
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from benchmarks._harness import table
from crmcore.visits import GeoPoint, Grain, Stop, VisitAnalysis, VisitFact, _geo, plan_route

_OWNERS = [f"rep{i:02d}" for i in range(50)]
_CUSTOMERS = [f"c{i:05d}" for i in range(20_000)]


def _cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _stops(n: int, seed: int) -> list[Stop]:
    rng = random.Random(seed)
    return [
        Stop(
            f"s{i}",
            GeoPoint(
                Decimal("31.1") + Decimal(rng.randrange(0, 30000)) / 100000,
                Decimal("121.3") + Decimal(rng.randrange(0, 30000)) / 100000,
            ),
        )
        for i in range(n)
    ]


def _facts(n: int) -> list[VisitFact]:
    rng = random.Random(20)
    start = date(2026, 1, 1)
    days = [start + timedelta(days=d) for d in range(90)]
    return [
        VisitFact(
            f"v{i}",
            rng.choice(_OWNERS),
            rng.choice(_CUSTOMERS),
            rng.choice(days),
            planned=rng.random() < 0.9,
            completed=(done := rng.random() < 0.8),
            cancelled=not done and rng.random() < 0.5,
            outside=done and rng.random() < 0.05,
            duration_s=rng.randrange(600, 5400) if done else None,
        )
        for i in range(n)
    ]


def run(quick: bool = False) -> None:
    route_sizes = (3, 10) if quick else (3, 30)
    repeat = 2 if quick else 3
    start = GeoPoint("31.2304", "121.4737")
    rows = []
    routes = {}
    for n in route_sizes:
        stops = _stops(n, seed=n)

        def plan(stops: list[Stop] = stops) -> None:
            _geo._distance.cache_clear()  # time the distances too, not the cache
            routes[len(stops)] = plan_route(stops, start)

        rows.append([f"route, {n} stops", _cpu(plan, repeat) * 1000, ""])
    large = route_sizes[1]
    rows[1][2] = f"{rows[1][1] / rows[0][1]:.1f}"
    print(
        table(
            "Route planning: nearest neighbour + 2-opt (ms, CPU); ratio vs 3 stops",
            ["case", "ms", "ratio"],
            rows,
        )
    )
    print(f"  {large} stops: {routes[large].total_m} m in all")

    base = 1_000 if quick else 100_000
    facts = _facts(base)
    rows = []
    times = {}
    for factor in (1, 10):
        stream = itertools.chain.from_iterable(itertools.repeat(facts, factor))
        data = list(stream) if factor == 1 else None

        def analyse(factor: int = factor, data: list[VisitFact] | None = data) -> None:
            source = (
                data
                if data is not None
                else itertools.chain.from_iterable(itertools.repeat(facts, factor))
            )
            VisitAnalysis.of(source, grain=Grain.MONTH)

        times[factor] = _cpu(analyse, 1 if not quick else 2)
        rows.append([f"analysis, {base * factor:,} visits", times[factor], ""])
    rows[1][2] = f"{times[10] / times[1]:.1f}"
    print()
    print(
        table(
            "Visit analysis: one streaming pass (s, CPU); ratio vs 10x fewer (goal <= 12)",
            ["case", "s", "ratio"],
            rows,
        )
    )
    whole = VisitAnalysis.of(facts, grain=Grain.MONTH)
    parts = [VisitAnalysis.of(facts[i::10], grain=Grain.MONTH) for i in range(10)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged == whole, "merged partitions differ from one pass"
    print(f"  10 partitions of {base:,} merged == one pass: {merged == whole}")
