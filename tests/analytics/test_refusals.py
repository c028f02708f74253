"""Bad columnar input is refused with a crmcore.errors exception naming the column and row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from crmcore.analytics import Installments, Opportunities, StageHistories
from crmcore.analytics._columns import resolve_columns
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast import SalesProcess
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "won it", "probability": "90"},
        ],
    },
)


def opportunities(**columns: Any) -> pl.DataFrame:
    base: dict[str, Any] = {"id": ["a", "b"], "owner": ["x", "y"], "stage": ["qualify", "qualify"]}
    base.update(amount=["1", "2"], currency=["CNY", "CNY"])
    base.update(columns)
    return pl.DataFrame(base)


def test_bad_values_name_the_column_and_row() -> None:
    with pytest.raises(ValidationError, match=r"amount: row 2: 'abc' is not a decimal number"):
        Opportunities.from_polars(opportunities(amount=["1", "abc"]))
    with pytest.raises(ValidationError, match=r"amount: row 1: '1,000' is not a decimal"):
        Opportunities.from_polars(opportunities(amount=["1,000", "2"]))
    with pytest.raises(ValidationError, match=r"amount: row 2: .* is negative"):
        Opportunities.from_polars(opportunities(amount=["1", "-2"]))
    with pytest.raises(ValidationError, match=r"amount: a float column \(Float64\) is refused"):
        Opportunities.from_polars(opportunities(amount=[0.1, 0.2]))
    with pytest.raises(ValidationError, match=r"owner: row 2: None is empty"):
        Opportunities.from_polars(opportunities(owner=["x", ""]))
    # a cell of only spaces is found when its column is first used: the forecast groups by
    # owner (outer whitespace is looked at on the group values, not on every cell at load)
    spaces = Opportunities.from_polars(opportunities(owner=["x", " "]))
    for _ in range(2):  # refused every time, not only the first
        with pytest.raises(ValidationError, match=r"owner: row 2: None is empty"):
            spaces.forecast(PROCESS)
    with pytest.raises(ValidationError, match=r"owner: row 2: None is empty"):
        list(Opportunities.from_polars(opportunities(owner=["x", " "])).records())
    with pytest.raises(
        ValidationError, match=r"expected_close: row 1: '31/05/2026' is not a date"
    ):
        Opportunities.from_polars(opportunities(close_date=["31/05/2026", None]))
    with pytest.raises(ValidationError, match=r"probability: row 2: 120 is not a percentage"):
        Opportunities.from_polars(opportunities(probability=["5%", "120"]))
    with pytest.raises(ValidationError, match=r"probability: a float column"):
        Opportunities.from_polars(opportunities(probability=[0.5, 0.5]))
    with pytest.raises(ValidationError, match=r"expected a pyarrow Table"):
        Opportunities.from_arrow([1, 2])


def test_columns_are_mapped_or_named_missing() -> None:
    frame = opportunities().rename({"owner": "Verkäufer"})
    with pytest.raises(
        ValidationError, match=r"missing column owner \(the header has: id, Verkäufer"
    ):
        Opportunities.from_polars(frame)
    table = Opportunities.from_polars(frame, columns={"owner": "verkäufer"})
    assert table.frame["owner"].to_list() == ["x", "y"]
    with pytest.raises(
        ValidationError, match=r"columns\[owner\]: the header has no column 'Seller'"
    ):
        Opportunities.from_polars(frame, columns={"owner": "Seller"})
    with pytest.raises(ValidationError, match=r"unknown column 'region'"):
        Opportunities.from_polars(frame, columns={"region": "id"})
    with pytest.raises(ValidationError, match=r"'Owner' and '负责人' both give the owner"):
        resolve_columns(["Owner", "负责人"], {"owner": ("负责人",)}, ["owner"])


def test_forecast_refusals() -> None:
    unknown = Opportunities.from_polars(opportunities(stage=["qualify", "closing"]))
    with pytest.raises(ValidationError, match=r"unknown stage 'closing' \(1 records\)"):
        unknown.forecast(PROCESS)
    usd = Opportunities.from_polars(opportunities(currency=["CNY", "USD"]))
    with pytest.raises(CurrencyMismatch, match="1 opportunities in USD are not in CNY"):
        usd.forecast(PROCESS)
    assert usd.forecast(PROCESS, rates={"USD": "7"}).table(()).total.amount.amount == 15
    no_currency = Opportunities.from_polars(opportunities().drop("currency"))
    with pytest.raises(ValidationError, match="there is no currency column"):
        no_currency.forecast(PROCESS)
    assert no_currency.forecast(PROCESS, currency="EUR").currency.code == "EUR"  # type: ignore[union-attr]
    empty_cell = Opportunities.from_polars(opportunities(currency=["CNY", None]))
    with pytest.raises(ValidationError, match="currency: row 2 is empty"):
        empty_cell.forecast(PROCESS)
    bad_status = Opportunities.from_polars(opportunities(status=["open", "maybe"]))
    with pytest.raises(ValidationError, match="status: 'maybe' is not one of"):
        bad_status.forecast(PROCESS)
    bad_category = Opportunities.from_polars(opportunities(category=["commit", "soon"]))
    with pytest.raises(ValidationError, match="category: 'soon' is not one of"):
        bad_category.forecast(PROCESS)
    spaced = Opportunities.from_polars(opportunities(stage=["Won-It", "QUALIFY"]))
    assert [r.key for r in spaced.forecast(PROCESS).table("stage").rows] == [
        ("qualify",),
        ("won it",),
    ]
    empty = Opportunities.from_polars(opportunities().head(0))
    assert empty.forecast(PROCESS).record_count == 0
    assert repr(empty) == "<Opportunities: 0 rows, columns id, owner, stage, amount, currency>"


def test_installment_refusals() -> None:
    frame = pd.DataFrame(
        {
            "customer": ["c"],
            "owner": ["o"],
            "due_date": ["2026-01-01"],
            "issue_date": [None],
            "outstanding": ["5"],
        }
    )
    with pytest.raises(ValidationError, match="there is no currency column"):
        Installments.from_pandas(frame)
    with pytest.raises(ValidationError, match="issue_date: row 1 is empty"):
        Installments.from_pandas(frame, currency="CNY")
    frame["issue_date"] = [date(2026, 1, 1)]
    frame["currency"] = [None]
    with pytest.raises(ValidationError, match="currency: row 1 is empty"):
        Installments.from_pandas(frame)
    with pytest.raises(ValidationError, match="'zzz' is not a current ISO 4217"):
        Installments.from_pandas(frame, currency="zzz")
    table = Installments.from_arrow(pa.Table.from_pandas(frame), currency="CNY")
    assert len(table) == 1
    assert "1 rows" in repr(table)
    assert next(iter(table.records())).outstanding.amount == 5


def test_history_refusals_and_salesforce_outcome_rows() -> None:
    rows = pl.DataFrame(
        {
            "id": ["a", "a", "b"],
            "owner": ["x", "x", "y"],
            "amount": [10, 10, 5],
            "currency": ["CNY"] * 3,
            "stage": ["Qualify", "Closed Won", "qualify"],
            "entered_at": [datetime(2026, 1, 1), datetime(2026, 1, 5), datetime(2026, 1, 2)],
        }
    )
    funnel = StageHistories.from_polars(rows).funnel(PROCESS, as_of=datetime(2026, 2, 1))
    summary = funnel.summary()
    assert (summary.won, summary.open, summary.average_cycle_days) == (1, 1, 4)
    bad = rows.with_columns(pl.Series("entered_at", ["2026-01-01", "soon", "2026-01-02"]))
    with pytest.raises(ValidationError, match="entered_at: row 2: 'soon' is not an ISO 8601"):
        StageHistories.from_polars(bad)
    unknown = rows.with_columns(pl.Series("stage", ["qualify", "closing", "qualify"]))
    with pytest.raises(ValidationError, match="opportunity 'a': unknown stage 'closing'"):
        StageHistories.from_polars(unknown).funnel(PROCESS, as_of=datetime(2026, 2, 1))
    dated = rows.with_columns(pl.col("entered_at").dt.date())
    assert len(StageHistories.from_pandas(dated.to_pandas())) == 3
    assert repr(StageHistories.from_arrow(dated.to_arrow())) == "<StageHistories: 3 visits>"


def test_the_reader_refuses_what_it_cannot_read(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        Opportunities.read_csv(str(tmp_path / "missing.csv"))
    with pytest.raises(ValidationError, match="reads UTF-8 only, not gbk"):
        Installments.read_csv(str(tmp_path / "x.csv"), encoding="gbk")
    (tmp_path / "h.csv").write_text(
        "id,owner,amount,currency,stage,entered_at\n", encoding="utf-8"
    )
    assert len(StageHistories.read_csv(str(tmp_path / "h.csv"))) == 0
