"""The collections forecast on columns: the same `CashForecast` as the record path.

Each customer's delays (median, 10th and 90th percentile days late) are joined to the open
installments, each due date is shifted by them (never before ``as_of``) and turned into an
integer period key (``year·100 + month`` or ISO ``year·100 + week``); polars sums the
outstanding amounts exactly (128-bit decimals) per (group, period) for each of the three
bands, in parallel. Only those sums — a few thousand, not a million rows — reach Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from crmcore.analytics._frame import polars
from crmcore.errors import CurrencyMismatch
from crmcore.money import get_currency
from crmcore.receivables import PRIOR_DELAY, CashForecast, PaymentBehaviour
from crmcore.receivables._cash_forecast import check_forecast_arguments

__all__ = ["cash_forecast"]


def _label(key: int, by: str) -> str:
    year, part = divmod(key, 100)
    return f"{year}-{part:02d}" if by == "month" else f"{year}-W{part:02d}"


def _delays(behaviour: Mapping[str, PaymentBehaviour]) -> Any:
    pl = polars()
    found = list(behaviour.values())
    return pl.DataFrame(
        {
            "customer": [b.customer for b in found],
            "d0": [b.median_days_late for b in found],
            "d1": [b.p10_days_late for b in found],
            "d2": [b.p90_days_late for b in found],
        },
        schema={"customer": pl.String, "d0": pl.Int32, "d1": pl.Int32, "d2": pl.Int32},
    )


def cash_forecast(
    frame: Any,
    as_of: date,
    *,
    by: str = "month",
    group: str | None = None,
    behaviour: Mapping[str, PaymentBehaviour] | None = None,
    prior: tuple[int, int, int] = PRIOR_DELAY,
) -> CashForecast:
    """The collections forecast of the installment rows of ``frame`` (typed columns)."""
    pl = polars()
    check_forecast_arguments(by, group, prior)
    codes = sorted(frame["currency"].unique().to_list())
    if len(codes) > 1:
        raise CurrencyMismatch(
            f"installments in {', '.join(codes)}: the forecast is in one currency; "
            "forecast each currency separately"
        )
    currency = get_currency(codes[0]) if codes else None
    known = {} if behaviour is None else behaviour
    bands = (
        frame.lazy()
        .filter(pl.col("outstanding") > 0)
        .join(_delays(known).lazy(), on="customer", how="left")
        .with_columns(
            pl.col(f"d{i}").fill_null(days).cast(pl.Int32) for i, days in enumerate(prior)
        )
    )
    name = (
        pl.lit("all", pl.String)
        if group is None
        else pl.col(group).fill_null("(none)").replace("", "(none)")
    )
    queries = []
    for i in range(3):
        day = pl.max_horizontal(
            pl.col("due_date") + pl.duration(days=pl.col(f"d{i}")), pl.lit(as_of, pl.Date)
        )
        if by == "month":
            key = day.dt.year().cast(pl.Int32) * 100 + day.dt.month().cast(pl.Int32)
        else:
            key = day.dt.iso_year().cast(pl.Int32) * 100 + day.dt.week().cast(pl.Int32)
        sums = [pl.col("outstanding").sum().alias("sum")]
        if i == 0:
            sums.append(pl.len().alias("count"))
        queries.append(bands.group_by(name.alias("group"), key.alias("key")).agg(sums))
    cells: dict[tuple[str, str], list[Any]] = {}
    for i, result in enumerate(pl.collect_all(queries)):
        for row in result.iter_rows(named=True):
            cell = cells.setdefault(
                (row["group"], _label(row["key"], by)), [0, Decimal(0), Decimal(0), Decimal(0)]
            )
            cell[i + 1] = row["sum"]
            if i == 0:
                cell[0] = row["count"]
    return CashForecast(as_of, by, group, currency, cells)
