"""Aging of many installments grouped by owner: crmcore's streaming aging against pandas.

Both start from the same list of :class:`InstallmentRecord`; pandas' time includes building
its DataFrame from those records (that is what an analyst starting from the same records
pays). pandas sums floats (inexact); crmcore sums exact Decimals. Peak memory is measured
with tracemalloc (the input list exists before either starts and is not counted).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from benchmarks._harness import best_time, peak_memory, table
from crmcore.money import Money
from crmcore.receivables import AgingBuckets, InstallmentRecord, aging

AS_OF = date(2024, 6, 30)


def make_records(n: int, seed: int = 7) -> list[InstallmentRecord]:
    """``n`` open installments: 50 owners, 5,000 customers, 10 departments, two years of dates."""
    rng = random.Random(seed)
    owners = [f"owner-{i:02d}" for i in range(50)]
    departments = [f"dept-{i}" for i in range(10)]
    start = AS_OF - timedelta(days=540)
    dates = [start + timedelta(days=d) for d in range(720)]
    amounts = [Money(Decimal(c).scaleb(-2), "CNY") for c in range(1, 2_000_001, 997)]
    return [
        InstallmentRecord(
            owner=rng.choice(owners),
            customer=f"customer-{rng.randrange(5000)}",
            department=rng.choice(departments),
            due_date=(due := rng.choice(dates)),
            issue_date=due - timedelta(days=30),
            outstanding=rng.choice(amounts),
        )
        for _ in range(n)
    ]


def crmcore_aging(records: list[InstallmentRecord]) -> object:
    return aging(records, AS_OF, group_by="owner")


def pandas_aging(records: list[InstallmentRecord]) -> object:
    import pandas as pd

    edges = AgingBuckets().edges
    frame = pd.DataFrame(
        {
            "owner": [r.owner for r in records],
            "due_date": [r.due_date for r in records],
            "outstanding": [r.outstanding.amount for r in records],
        }
    )
    days = (pd.Timestamp(AS_OF) - pd.to_datetime(frame["due_date"])).dt.days
    bins = [-float("inf"), 0, *edges, float("inf")]
    frame["bucket"] = pd.cut(days, bins=bins, labels=list(AgingBuckets().labels))
    frame["outstanding"] = frame["outstanding"].astype(float)
    return frame.groupby(["owner", "bucket"], observed=False)["outstanding"].sum().unstack()


def _check(records: list[InstallmentRecord]) -> None:
    """Both agree (to the float's precision) before anything is timed."""
    ours = aging(records, AS_OF, group_by="owner")
    theirs = pandas_aging(records)
    for row in ours.rows:
        expected = [float(m.amount) for m in row.buckets]
        got = list(theirs.loc[row.group])  # type: ignore[attr-defined]
        assert all(abs(a - b) < 0.01 for a, b in zip(expected, got, strict=True)), row.group


def run(quick: bool = False) -> None:
    sizes = [10_000] if quick else [100_000, 1_000_000]
    repeat = 1 if quick else 5
    rows = []
    for n in sizes:
        records = make_records(n)
        _check(records[:20_000])
        # Alternate the two so that load from other processes hits both alike; keep the best.
        t_ours = t_pandas = float("inf")
        for _ in range(repeat):
            t_ours = min(t_ours, best_time(lambda records=records: crmcore_aging(records), 1))
            t_pandas = min(t_pandas, best_time(lambda records=records: pandas_aging(records), 1))
        _, m_ours = peak_memory(lambda records=records: crmcore_aging(records))
        _, m_pandas = peak_memory(lambda records=records: pandas_aging(records))
        rows.append(
            (
                f"{n:,}",
                t_ours,
                t_pandas,
                t_ours / t_pandas,
                m_ours / 2**20,
                m_pandas / 2**20,
            )
        )
        del records
    print(
        table(
            "receivables: aging grouped by owner, seconds (best of "
            f"{repeat}, alternating) and peak MiB (goal: ratio <= 1.0, crmcore memory flat)",
            [
                "installments",
                "crmcore s",
                "pandas s",
                "crmcore/pandas",
                "crmcore MiB",
                "pandas MiB",
            ],
            rows,
        )
    )
