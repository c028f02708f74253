"""The collections forecast: crmcore from receivables against the same computation in pandas.

Both place each open installment's outstanding amount in the month of its due date shifted
by its customer's median, 10th- and 90th-percentile delay (never before ``as_of``) and sum
per month. Both get the same per-customer delays (``behaviour``), so only the forecast is
timed. crmcore starts from the receivables (it derives each installment's outstanding
amount from their facts) and sums exact Decimals; pandas starts from installment rows
already extracted (customer, due date, outstanding as a float) — the most it could be
handed — and sums floats.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from benchmarks._harness import best_time, table
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
    """The same three bands per month, in pandas."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["customer", "due", "outstanding"])
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


def _check(receivables: list[Receivable], known: dict[str, PaymentBehaviour]) -> None:
    """Both agree (to the float's precision) before anything is timed."""
    ours = collections_forecast(receivables, AS_OF, by="month", behaviour=known)
    theirs = pandas_forecast(rows_of(receivables), known)
    for row in ours.rows:
        got = float(theirs.loc[row.period, "expected"])
        assert abs(float(row.expected.amount) - got) < 0.01 * max(1, row.installments), row


def run(quick: bool = False) -> None:
    sizes = [2_000] if quick else [20_000, 200_000]
    repeat = 1 if quick else 3
    known = behaviour_of()
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
            "collections forecast by month (three bands), seconds, best of "
            f"{repeat} alternating (goal: crmcore/pandas <= 1.0)",
            ["installments", "crmcore s", "pandas s", "crmcore/pandas"],
            rows,
        )
    )
    if len(rows) > 1:
        print(f"crmcore at {sizes[-1]:,} ÷ at {sizes[0]:,}: {ratio:.2f} (linear: {10:.2f})")
