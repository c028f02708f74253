"""Weighted forecast by owner and quarter: crmcore (exact Decimal, streaming) against pandas.

Both start from the same list of ``OpportunityRecord`` objects. pandas' time includes building
its DataFrame from those records (the columns it needs, amounts as float64 — pandas' usual
choice, inexact), because that is what an analyst pays; crmcore streams over the list.
Peak memory (tracemalloc) is measured for the same computation at two sizes: crmcore's stays
flat (one cell per group), pandas' grows with the rows.
"""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from decimal import Decimal

from benchmarks._harness import best_time, peak_memory, table
from crmcore.forecast import OpportunityRecord, SalesProcess, weighted_forecast
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "bench",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "needs", "probability": "40"},
            {"name": "proposal", "probability": "60"},
            {"name": "negotiation", "probability": "80"},
            {"name": "contract", "probability": "90"},
        ],
    },
)


def make_records(n: int, seed: int = 7) -> list[OpportunityRecord]:
    """``n`` records: 200 owners, 5 stages, 2 years of close dates, 5 % with an override."""
    rng = random.Random(seed)
    stages = PROCESS.stage_names
    owners = [f"rep{i:03d}" for i in range(200)]
    start = date(2026, 1, 1)
    amounts = [Money(Decimal(rng.randrange(1_000, 5_000_000)) / 100, "CNY") for _ in range(5000)]
    overrides = [Percent(p) for p in range(0, 101, 5)]
    return [
        OpportunityRecord(
            id=f"o{i}",
            owner=rng.choice(owners),
            stage=rng.choice(stages),
            amount=rng.choice(amounts),
            expected_close=start + timedelta(days=rng.randrange(730)),
            probability_override=rng.choice(overrides) if rng.random() < 0.05 else None,
        )
        for i in range(n)
    ]


def crmcore_forecast(records: list[OpportunityRecord]) -> object:
    return weighted_forecast(records, PROCESS, by=("owner", "period"), period="quarter")


def pandas_forecast(records: list[OpportunityRecord]) -> object:
    import pandas as pd

    probability = {s.name: float(s.probability.value) for s in PROCESS.stages}
    frame = pd.DataFrame(
        {
            "owner": [r.owner for r in records],
            "stage": [r.stage for r in records],
            "amount": [float(r.amount.amount) for r in records],
            "close": pd.to_datetime([r.expected_close for r in records]),
            "override": [
                None if r.probability_override is None else float(r.probability_override.value)
                for r in records
            ],
        }
    )
    frame["probability"] = frame["override"].fillna(frame["stage"].map(probability))
    frame["weighted"] = frame["amount"] * frame["probability"] / 100
    frame["quarter"] = frame["close"].dt.to_period("Q")
    return frame.groupby(["owner", "quarter"]).agg(
        count=("amount", "size"), amount=("amount", "sum"), weighted=("weighted", "sum")
    )


def run(quick: bool = False) -> None:
    sizes = (2_000, 10_000) if quick else (100_000, 1_000_000)
    repeat = 3
    rows = []
    for n in sizes:
        records = make_records(n)
        ours = functools.partial(crmcore_forecast, records)
        peer = functools.partial(pandas_forecast, records)
        t_ours, t_peer = best_time(ours, repeat=repeat), best_time(peer, repeat=repeat)
        _, m_ours = peak_memory(ours)
        _, m_peer = peak_memory(peer)
        rows.append((f"{n:,}", t_ours, t_peer, t_ours / t_peer, m_ours / 2**20, m_peer / 2**20))
        del records, ours, peer
    print(
        table(
            f"forecast: weighted forecast by owner and quarter, best of {repeat} "
            "(goal: ratio <= 1.0); pandas time includes building its DataFrame from the records",
            [
                "opportunities",
                "crmcore s",
                "pandas s",
                "ratio",
                "crmcore peak MiB",
                "pandas peak MiB",
            ],
            rows,
        )
    )
