"""The collections forecast: crmcore against the same computation in pandas.

On 1,000,000 installments: crmcore's columnar engine from an Arrow table (ingress checks
included) against pandas from a ready DataFrame, and crmcore's record path from
``InstallmentRecord`` rows against pandas from the same rows; one line
``collections: <path> crmcore/pandas = <ratio>`` each. Then, at 20,000 and 200,000, the
forecast from the receivables themselves (crmcore derives each installment's outstanding
amount from the receivable's facts).

Both place each open installment's outstanding amount in the month of its due date shifted
by its customer's median, 10th- and 90th-percentile delay (never before ``as_of``) and sum
per month. Both get the same per-customer delays (``behaviour``), so only the forecast is
timed. crmcore starts from the receivables (it derives each installment's outstanding
amount from their facts) and sums exact Decimals; pandas starts from installment rows
already extracted (customer, due date, outstanding as a float) — the most it could be
handed — and sums floats.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from benchmarks._harness import best_time, table
from benchmarks.bench_analytics import installment_records
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    DueRule,
    PaymentBehaviour,
    PaymentTerms,
    Portion,
    Receivable,
    TermLine,
    collections_forecast,
)

AS_OF = date(2026, 6, 30)
SALES = Actor("sam", {"sales"})
QUARTERS = PaymentTerms(
    "4 x 25 %",
    [
        TermLine(Portion.percent(25), DueRule.net(0)),
        TermLine(Portion.percent(25), DueRule.net(30)),
        TermLine(Portion.percent(25), DueRule.net(60)),
        TermLine(Portion.balance(), DueRule.net(90)),
    ],
)


def make_receivables(installments: int, seed: int = 11) -> list[Receivable]:
    """``installments`` / 4 receivables of 500 customers, issued over the six months to
    ``AS_OF``, each on four quarterly installments."""
    rng = random.Random(seed)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Receivable.open(
            f"AR-{i}",
            customer=f"c{rng.randrange(500)}",
            owner_id="sam",
            amount=Money(Decimal(rng.randrange(10_000, 10_000_000)).scaleb(-2), "CNY"),
            issue_date=AS_OF - timedelta(days=rng.randrange(180)),
            terms=QUARTERS,
            actor=SALES,
            at=at,
        )
        for i in range(installments // 4)
    ]


def behaviour_of(customers: int = 500, seed: int = 5) -> dict[str, PaymentBehaviour]:
    """Each customer's delays (median, 10th, 90th percentile), as history would give them."""
    rng = random.Random(seed)
    found = {}
    for c in range(customers):
        delays = sorted(rng.randrange(-5, 40) for _ in range(9))
        found[f"c{c}"] = PaymentBehaviour.from_delays(f"c{c}", delays)
    return found


def rows_of(receivables: list[Receivable]) -> list[tuple[str, date, float]]:
    """The open installments as plain rows, for pandas (not timed)."""
    return [
        (r.customer, row.due_date, float(row.outstanding.amount))
        for r in receivables
        for row in r.installment_view(AS_OF)
        if row.outstanding.amount > 0
    ]


def pandas_forecast(
    rows: list[tuple[str, date, float]], known: dict[str, PaymentBehaviour]
) -> Any:
    """The same three bands per month, in pandas, from rows."""
    import pandas as pd

    return pandas_frame(pd.DataFrame(rows, columns=["customer", "due", "outstanding"]), known)


def _check(receivables: list[Receivable], known: dict[str, PaymentBehaviour]) -> None:
    """Both agree (to the float's precision) before anything is timed."""
    ours = collections_forecast(receivables, AS_OF, by="month", behaviour=known)
    theirs = pandas_forecast(rows_of(receivables), known)
    for row in ours.rows:
        got = float(theirs.loc[row.period, "expected"])
        assert abs(float(row.expected.amount) - got) < 0.01 * max(1, row.installments), row


def installment_table(n: int, seed: int = 13) -> Any:
    """``n`` open installments of 500 customers as an Arrow table (decimal money)."""
    import pyarrow as pa

    rng = random.Random(seed)
    due = [AS_OF + timedelta(days=rng.randrange(-120, 240)) for _ in range(n)]
    return pa.table(
        {
            "customer": [f"c{rng.randrange(500)}" for _ in range(n)],
            "owner": [f"owner-{rng.randrange(50):02d}" for _ in range(n)],
            "due_date": due,
            "issue_date": [d - timedelta(days=30) for d in due],
            "outstanding": pa.array(
                [Decimal(rng.randrange(1, 2_000_000)).scaleb(-2) for _ in range(n)],
                pa.decimal128(18, 2),
            ),
            "currency": ["CNY"] * n,
        }
    )


def pandas_frame(frame: Any, known: dict[str, PaymentBehaviour]) -> Any:
    """The three bands per month from a DataFrame (customer, due, outstanding as float)."""
    import pandas as pd

    due = pd.to_datetime(frame["due"])
    floor = pd.Timestamp(AS_OF)
    sums = {}
    for band, attribute in (
        ("expected", "median_days_late"),
        ("early", "p10_days_late"),
        ("late", "p90_days_late"),
    ):
        delay = frame["customer"].map({c: getattr(b, attribute) for c, b in known.items()})
        day = (due + pd.to_timedelta(delay, unit="D")).clip(lower=floor)
        sums[band] = frame["outstanding"].groupby(day.dt.strftime("%Y-%m")).sum()
    return pd.DataFrame(sums).fillna(0.0)


def _agree(ours: Any, theirs: Any) -> int:
    """crmcore's exact rows against pandas' float sums (to a cent per installment)."""
    for row in ours.rows:
        got = float(theirs.loc[row.period, "expected"])
        assert abs(float(row.expected.amount) - got) < 0.01 * max(1, row.installments), row
    return len(ours.rows)


def _median(fn: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rows_and_columns(n: int, rounds: int, known: dict[str, PaymentBehaviour]) -> None:
    """crmcore's record path (from InstallmentRecord rows) and columnar engine (from Arrow)
    against pandas, on ``n`` installments; one ratio line each."""
    import pandas as pd

    from crmcore.analytics import Installments

    table = installment_table(n)
    records = installment_records(table)
    plain = [(r.customer, r.due_date, float(r.outstanding.amount)) for r in records]
    frame = pd.DataFrame(plain, columns=["customer", "due", "outstanding"])
    columnar = Installments.from_arrow(table).collections_forecast(AS_OF, behaviour=known)
    assert columnar == collections_forecast(records, AS_OF, behaviour=known)
    groups = _agree(columnar, pandas_frame(frame, known))
    candidates = {
        "crmcore columnar from arrow": lambda: Installments.from_arrow(table).collections_forecast(
            AS_OF, behaviour=known
        ),
        "pandas from a DataFrame": lambda: pandas_frame(frame, known),
        "crmcore from records": lambda: collections_forecast(records, AS_OF, behaviour=known),
        "pandas from rows": lambda: pandas_forecast(plain, known),
    }
    times = {name: [] for name in candidates}  # type: dict[str, list[float]]
    for _ in range(rounds):  # alternate, keep the median of each
        for name, fn in candidates.items():
            times[name].append(_median(fn, 1))
    median = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"collections: {n:,} installments, {groups} months agree; median of {rounds}: "
        + ", ".join(f"{name} {t:.3f} s" for name, t in median.items())
    )
    print(
        "collections: columnar crmcore/pandas = "
        f"{median['crmcore columnar from arrow'] / median['pandas from a DataFrame']:.2f}"
    )
    print(
        "collections: records crmcore/pandas = "
        f"{median['crmcore from records'] / median['pandas from rows']:.2f}"
    )


def run(quick: bool = False) -> None:
    sizes = [2_000] if quick else [20_000, 200_000]
    repeat = 1 if quick else 3
    known = behaviour_of()
    rows_and_columns(2_000 if quick else 1_000_000, repeat, known)
    rows = []
    for n in sizes:
        receivables = make_receivables(n)
        _check(receivables[:2_000], known)
        plain = rows_of(receivables)
        t_ours = t_pandas = float("inf")
        for _ in range(repeat):  # alternate, keep the best of each
            t_ours = min(
                t_ours,
                best_time(
                    lambda r=receivables: collections_forecast(
                        r, AS_OF, by="month", behaviour=known
                    ),
                    1,
                ),
            )
            t_pandas = min(t_pandas, best_time(lambda p=plain: pandas_forecast(p, known), 1))
        rows.append((f"{n:,}", t_ours, t_pandas, t_ours / t_pandas))
    ratio = rows[-1][1] / rows[0][1] if len(rows) > 1 else 1.0
    print(
        table(
            "collections forecast from receivables by month (three bands), seconds, best of "
            f"{repeat} alternating (crmcore derives each installment from the receivable's facts)",
            ["installments", "crmcore s", "pandas s", "crmcore/pandas"],
            rows,
        )
    )
    if len(rows) > 1:
        print(f"crmcore at {sizes[-1]:,} ÷ at {sizes[0]:,}: {ratio:.2f} (linear: {10:.2f})")
