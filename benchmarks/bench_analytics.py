"""Analytics at columnar speed: crmcore's columnar engine against pandas, polars and DuckDB.

Two tasks on the same generated data — the weighted forecast by owner and quarter (stage
probability or a 5 % share of per-deal overrides), and aging by customer (not yet due, 1–30,
31–60, 61–90, 91–120, > 120 days) — from three starting points: a CSV file on disk, an Arrow
table in memory, and a list of Python records. Every peer computes exactly (polars and DuckDB
with decimal columns, pandas with integer cents), and every figure of every peer is checked
against crmcore's to the cent before a ratio is printed. Timings are medians of alternating
runs (the machine is shared), printed as ``analytics: <task> crmcore/<peer> = <ratio>``.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from crmcore.analytics import Installments, Opportunities
from crmcore.forecast import (
    ForecastAggregate,
    OpportunityRecord,
    SalesProcess,
    outcome_distribution,
)
from crmcore.money import Money, Percent
from crmcore.receivables import AgingAggregate, InstallmentRecord
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
PROBABILITY = {s.name: s.probability.value for s in PROCESS.stages}
AS_OF = date(2026, 6, 30)
EDGES = (30, 60, 90, 120)
CENT = Decimal("0.01")

Figures = dict[tuple[str, ...], tuple[Decimal, ...]]


# -- data -------------------------------------------------------------------------------------
def opportunities(n: int, seed: int = 7) -> pa.Table:
    """``n`` opportunities: 200 owners, 5 stages, two years of close dates, 5 % overrides."""
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    cents = [rng.randrange(1_000, 5_000_000) for _ in range(5000)]
    overrides = [str(p) for p in range(0, 101, 5)]
    return pa.table(
        {
            "id": [f"o{i}" for i in range(n)],
            "owner": [f"rep{rng.randrange(200):03d}" for _ in range(n)],
            "stage": [rng.choice(PROCESS.stage_names) for _ in range(n)],
            "amount": pa.array(
                [Decimal(rng.choice(cents)).scaleb(-2) for _ in range(n)], pa.decimal128(18, 2)
            ),
            "currency": ["CNY"] * n,
            "expected_close": [start + timedelta(days=rng.randrange(730)) for _ in range(n)],
            "probability": [
                rng.choice(overrides) if rng.random() < 0.05 else None for _ in range(n)
            ],
        }
    )


def installments(n: int, seed: int = 11) -> pa.Table:
    """``n`` open installments: 5,000 customers, 50 owners, dates over two years."""
    rng = random.Random(seed)
    start = AS_OF - timedelta(days=540)
    due = [start + timedelta(days=rng.randrange(720)) for _ in range(n)]
    return pa.table(
        {
            "customer": [f"customer-{rng.randrange(5000)}" for _ in range(n)],
            "owner": [f"owner-{rng.randrange(50):02d}" for _ in range(n)],
            "due_date": due,
            "issue_date": [d - timedelta(days=30) for d in due],
            "outstanding": pa.array(
                [Decimal(rng.randrange(-5_000, 2_000_000)).scaleb(-2) for _ in range(n)],
                pa.decimal128(18, 2),
            ),
            "currency": ["CNY"] * n,
        }
    )


def opportunity_records(table: pa.Table) -> list[OpportunityRecord]:
    """The same opportunities as Python records."""
    money = {a: Money(a, "CNY") for a in set(table["amount"].to_pylist())}
    percent = {p: Percent(p) for p in set(table["probability"].to_pylist()) if p is not None}
    return [
        OpportunityRecord(i, o, s, money[a], c, None, None if p is None else percent[p])
        for i, o, s, a, c, p in zip(
            *(table[k].to_pylist() for k in ("id", "owner", "stage", "amount")),
            table["expected_close"].to_pylist(),
            table["probability"].to_pylist(),
            strict=True,
        )
    ]


def installment_records(table: pa.Table) -> list[InstallmentRecord]:
    """The same installments as Python records."""
    money = {a: Money(a, "CNY") for a in set(table["outstanding"].to_pylist())}
    columns = ("owner", "customer", "due_date", "issue_date", "outstanding")
    return [
        InstallmentRecord(o, c, None, d, i, money[a])
        for o, c, d, i, a in zip(*(table[k].to_pylist() for k in columns), strict=True)
    ]


# -- crmcore ----------------------------------------------------------------------------------
def crm_forecast(aggregate: ForecastAggregate) -> Figures:
    """Amount and weighted amount per (owner, quarter)."""
    table = aggregate.table(("owner", "period"))
    return {
        tuple(str(k) for k in row.key): (row.amount.amount, row.weighted.amount)
        for row in table.rows
    }


def crm_aging(aggregate: AgingAggregate) -> Figures:
    """Bucket sums and total per customer (``amounts``: the rounded buckets as decimals)."""
    return {(str(row.group),): (*row.amounts, row.total.amount) for row in aggregate.report().rows}


# -- peers ------------------------------------------------------------------------------------
def _quarter(column: pl.Expr) -> pl.Expr:
    return pl.concat_str([column.dt.year().cast(pl.String), pl.lit("-Q"), column.dt.quarter()])


def polars_forecast(frame: pl.DataFrame) -> Figures:
    """polars with decimal columns: weighted = amount × (override or stage probability)."""
    stage = pl.col("stage").replace_strict(
        {k: str(v) for k, v in PROBABILITY.items()}, return_dtype=pl.String
    )
    probability = pl.coalesce(pl.col("probability"), stage).cast(pl.Decimal(5, 1))
    result = (
        frame.lazy()
        .group_by(pl.col("owner"), _quarter(pl.col("expected_close")).alias("quarter"))
        .agg(
            pl.col("amount").sum(),
            (pl.col("amount") * probability).sum().alias("weighted"),
        )
        .collect()
    )
    return {(o, q): (a, w / 100) for o, q, a, w in result.iter_rows()}


def polars_aging(frame: pl.DataFrame) -> Figures:
    """polars with decimal columns."""
    days = (pl.lit(AS_OF) - pl.col("due_date")).dt.total_days()
    bucket = (days > 0).cast(pl.Int8)
    for edge in EDGES:
        bucket = bucket + (days > edge).cast(pl.Int8)
    result = (
        frame.lazy()
        .group_by("customer", bucket.alias("bucket"))
        .agg(pl.col("outstanding").sum())
        .collect()
    )
    return _buckets(result.iter_rows())


def _buckets(rows: Any) -> Figures:
    sums: dict[tuple[str, ...], list[Decimal]] = {}
    for customer, bucket, amount in rows:
        acc = sums.setdefault((customer,), [Decimal(0)] * (len(EDGES) + 2))
        acc[int(bucket)] += Decimal(amount)
    return {k: (*v, sum(v, Decimal(0))) for k, v in sums.items()}


_DUCK_FORECAST = """
select owner, year(expected_close) || '-Q' || quarter(expected_close) as q,
       sum(amount) as amount,
       sum(amount * coalesce(cast(probability as decimal(5, 1)), p.prob)) as weighted
from {source} join stages p using (stage) group by all
"""
_DUCK_AGING = """
select customer, (d > 0)::int + (d > 30)::int + (d > 60)::int + (d > 90)::int
                 + (d > 120)::int as bucket, sum(outstanding)
from (select customer, outstanding, date '{as_of}' - due_date as d from {source}) group by all
"""


def duck(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` and fetch every row."""
    return con.execute(sql).fetchall()


def duck_forecast(con: duckdb.DuckDBPyConnection, source: str) -> Figures:
    """DuckDB with DECIMAL columns."""
    rows = duck(con, _DUCK_FORECAST.format(source=source))
    return {(o, q): (Decimal(a), Decimal(w).scaleb(-2)) for o, q, a, w in rows}


def duck_aging(con: duckdb.DuckDBPyConnection, source: str) -> Figures:
    """DuckDB with DECIMAL columns."""
    return _buckets(duck(con, _DUCK_AGING.format(source=source, as_of=AS_OF.isoformat())))


def pandas_forecast(frame: pd.DataFrame) -> Figures:
    """pandas, exact with integer cents × probability in tenths of a percent."""
    tenths = frame["stage"].map({k: int(v * 10) for k, v in PROBABILITY.items()})
    override = pd.to_numeric(frame["probability"]).mul(10)
    tenths = override.fillna(tenths).astype("int64")
    quarter = frame["expected_close"].dt.year.astype(str) + "-Q"
    quarter = quarter + frame["expected_close"].dt.quarter.astype(str)
    work = pd.DataFrame(
        {
            "owner": frame["owner"],
            "quarter": quarter,
            "cents": frame["cents"],
            "weighted": frame["cents"] * tenths,
        }
    )
    result = work.groupby(["owner", "quarter"], sort=False)[["cents", "weighted"]].sum()
    return {
        key: (Decimal(int(c)).scaleb(-2), Decimal(int(w)).scaleb(-5))
        for key, c, w in zip(result.index, result["cents"], result["weighted"], strict=True)
    }


def pandas_aging(frame: pd.DataFrame) -> Figures:
    """pandas, exact with integer cents."""
    days = (pd.Timestamp(AS_OF) - frame["due_date"]).dt.days
    bucket = (days > 0).astype("int8")
    for edge in EDGES:
        bucket = bucket + (days > edge).astype("int8")
    work = pd.DataFrame({"customer": frame["customer"], "bucket": bucket, "c": frame["cents"]})
    result = work.groupby(["customer", "bucket"], sort=False)["c"].sum()
    return _buckets(
        (customer, b, Decimal(int(c)).scaleb(-2))
        for (customer, b), c in zip(result.index, result, strict=True)
    )


def _cents(text: pd.Series) -> pd.Series:
    """Decimal text with two places → int64 cents, exactly (no float in between)."""
    return text.str.replace(".", "", regex=False).astype("int64")


def pandas_csv_opportunities(path: str) -> pd.DataFrame:
    """An opportunities CSV read by pandas, amounts as integer cents."""
    frame = pd.read_csv(
        path, dtype={"amount": str, "probability": str}, parse_dates=["expected_close"]
    )
    frame["cents"] = _cents(frame["amount"])
    return frame


def pandas_csv_installments(path: str) -> pd.DataFrame:
    """An installments CSV read by pandas, amounts as integer cents."""
    frame = pd.read_csv(path, dtype={"outstanding": str}, parse_dates=["due_date"])
    frame["cents"] = _cents(frame["outstanding"])
    return frame


def pandas_from_records(records: list[Any], kind: str) -> pd.DataFrame:
    """The DataFrame an analyst builds from the records (amounts as integer cents)."""
    if kind == "forecast":
        return pd.DataFrame(
            {
                "owner": [r.owner for r in records],
                "stage": [r.stage for r in records],
                "cents": [int(r.amount.amount * 100) for r in records],
                "expected_close": pd.to_datetime([r.expected_close for r in records]),
                "probability": [
                    None if r.probability_override is None else r.probability_override.value
                    for r in records
                ],
            }
        )
    return pd.DataFrame(
        {
            "customer": [r.customer for r in records],
            "cents": [int(r.outstanding.amount * 100) for r in records],
            "due_date": pd.to_datetime([r.due_date for r in records]),
        }
    )


# -- timing and checking ----------------------------------------------------------------------
def medians(candidates: dict[str, Callable[[], Figures]], rounds: int) -> dict[str, float]:
    """Median seconds of each candidate over ``rounds`` alternating runs."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def check(task: str, candidates: dict[str, Callable[[], Figures]]) -> int:
    """Every peer's figures equal crmcore's to the cent; the number of groups compared."""
    expected = {
        k: tuple(v.quantize(CENT) for v in vs) for k, vs in candidates["crmcore"]().items()
    }
    for name, fn in candidates.items():
        got = {k: tuple(Decimal(v).quantize(CENT) for v in vs) for k, vs in fn().items()}
        if got != expected:
            wrong = sorted(
                k for k in expected.keys() | got.keys() if got.get(k) != expected.get(k)
            )
            first = wrong[0]
            raise AssertionError(
                f"analytics: {task}: {name} disagrees on {len(wrong)} groups, e.g. {first}: "
                f"{got.get(first)} vs crmcore {expected.get(first)}"
            )
    return len(expected)


def report(task: str, candidates: dict[str, Callable[[], Figures]], rounds: int) -> None:
    """Check the figures, time the candidates, print one ratio line per peer."""
    groups = check(task, candidates)
    times = medians(candidates, rounds)
    peers = ", ".join(f"{n} {t:.3f} s" for n, t in times.items())
    print(f"analytics: {task}: {groups:,} groups agree to the cent; median {peers}")
    for name, seconds in times.items():
        if name != "crmcore":
            print(f"analytics: {task} crmcore/{name} = {times['crmcore'] / seconds:.2f}")


def distribution(quick: bool) -> None:
    """Seconds of the FFT method on 10,000 deals, seeded Monte Carlo (numpy, 10,000 trials) on
    10,000 and the normal one on 100,000 (goals: < 1 s, < 5 s), with the error each states.
    CPU seconds are printed beside the wall clock: on a shared machine they show the work."""
    sizes = (
        (("fft", 500), ("monte_carlo", 500), ("normal", 5_000))
        if quick
        else (("fft", 10_000), ("monte_carlo", 10_000), ("normal", 100_000))
    )
    for method, n in sizes:
        deals = opportunity_records(opportunities(n, seed=3))
        start, cpu = time.perf_counter(), time.process_time()
        dist = outcome_distribution(
            deals,
            PROCESS,
            method=method,
            seed=1,
            trials=1_000 if quick else 10_000,  # type: ignore[arg-type]
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        bound = "-" if dist.error_bound is None else f"{dist.error_bound.amount:,.2f}"
        print(
            f"analytics: distribution {method} {n:,} deals = {seconds:.3f} s (cpu {cpu:.3f} s; "
            f"P50 {dist.p50.amount:,.2f}, error_bound {bound}, cdf_error {dist.cdf_error:.2E})"
        )


def run(quick: bool = False) -> None:
    """Generate the data, write the CSVs, check and time every task."""
    distribution(quick)
    n = 2_000 if quick else 1_000_000
    rounds = 1 if quick else 5
    print(f"analytics: {n:,} rows per table; medians of {rounds} alternating runs")
    opp, inst = opportunities(n), installments(n)
    with tempfile.TemporaryDirectory() as folder:
        opp_csv, inst_csv = os.path.join(folder, "opp.csv"), os.path.join(folder, "inst.csv")
        pacsv.write_csv(opp, opp_csv)
        pacsv.write_csv(inst, inst_csv)
        con = duckdb.connect()
        con.execute("set threads to 2")
        con.execute(
            "create table stages as select * from (values "
            + ", ".join(f"('{k}', {v}::decimal(5, 1))" for k, v in PROBABILITY.items())
            + ") t(stage, prob)"
        )
        con.register("opp_arrow", opp)
        con.register("inst_arrow", inst)
        opp_csv_sql = (
            f"read_csv('{opp_csv}', types={{'amount': 'DECIMAL(18,2)', "
            "'probability': 'VARCHAR', 'expected_close': 'DATE'})"
        )
        inst_csv_sql = (
            f"read_csv('{inst_csv}', types={{'outstanding': 'DECIMAL(18,2)', 'due_date': 'DATE'}})"
        )
        pl_opp = {"amount": pl.Decimal(18, 2), "probability": pl.String, "expected_close": pl.Date}
        pl_inst = {"outstanding": pl.Decimal(18, 2), "due_date": pl.Date, "issue_date": pl.Date}

        def crm(source: Callable[[], Opportunities]) -> Callable[[], Figures]:
            return lambda: crm_forecast(source().forecast(PROCESS))

        def crm_a(source: Callable[[], Installments]) -> Callable[[], Figures]:
            return lambda: crm_aging(source().aging(AS_OF, group_by="customer"))

        report(
            "forecast from csv",
            {
                "crmcore": crm(lambda: Opportunities.read_csv(opp_csv)),
                "polars": lambda: polars_forecast(pl.read_csv(opp_csv, schema_overrides=pl_opp)),
                "duckdb": lambda: duck_forecast(con, opp_csv_sql),
                "pandas": lambda: pandas_forecast(pandas_csv_opportunities(opp_csv)),
            },
            rounds,
        )
        report(
            "forecast from arrow",
            {
                "crmcore": crm(lambda: Opportunities.from_arrow(opp)),
                "polars": lambda: polars_forecast(pl.from_arrow(opp)),  # type: ignore[arg-type]
                "duckdb": lambda: duck_forecast(con, "opp_arrow"),
                "pandas": lambda: pandas_forecast(_pandas_of_arrow(opp, "amount")),
            },
            rounds,
        )
        report(
            "aging from csv",
            {
                "crmcore": crm_a(lambda: Installments.read_csv(inst_csv)),
                "polars": lambda: polars_aging(pl.read_csv(inst_csv, schema_overrides=pl_inst)),
                "duckdb": lambda: duck_aging(con, inst_csv_sql),
                "pandas": lambda: pandas_aging(pandas_csv_installments(inst_csv)),
            },
            rounds,
        )
        report(
            "aging from arrow",
            {
                "crmcore": crm_a(lambda: Installments.from_arrow(inst)),
                "polars": lambda: polars_aging(pl.from_arrow(inst)),  # type: ignore[arg-type]
                "duckdb": lambda: duck_aging(con, "inst_arrow"),
                "pandas": lambda: pandas_aging(_pandas_of_arrow(inst, "outstanding")),
            },
            rounds,
        )
        con.close()
    records, items = opportunity_records(opp), installment_records(inst)
    report(
        "forecast from records",
        {
            "crmcore": lambda: crm_forecast(ForecastAggregate.of(records, PROCESS)),
            "pandas": lambda: pandas_forecast(pandas_from_records(records, "forecast")),
        },
        rounds,
    )
    report(
        "aging from records",
        {
            "crmcore": lambda: crm_aging(AgingAggregate.of(items, AS_OF, group_by="customer")),
            "pandas": lambda: pandas_aging(pandas_from_records(items, "aging")),
        },
        rounds,
    )


def _pandas_of_arrow(table: pa.Table, money: str) -> pd.DataFrame:
    """pandas from Arrow, the decimal money column as integer cents (exact)."""
    frame = table.drop([money]).to_pandas()
    for column in ("expected_close", "due_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    cents = pa.compute.cast(pa.compute.multiply(table[money], 100), pa.int64())
    frame["cents"] = cents.to_numpy()
    return frame
