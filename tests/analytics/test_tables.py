"""The result-table protocol: records, totals apart, exact Arrow and pandas, compact reprs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from crmcore._tables import arrow_table, require
from crmcore.errors import ValidationError
from crmcore.forecast import OpportunityRecord, SalesProcess, weighted_forecast
from crmcore.money import Money
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [{"name": "a", "probability": "12.5"}, {"name": "b", "probability": "60"}],
    },
)


def table():  # type: ignore[no-untyped-def]
    records = [
        OpportunityRecord(
            f"o{i}",
            "alice" if i % 2 else "bob",
            "ab"[i % 2],
            Money(f"{i}.01", "CNY"),
            date(2026, 1, 1),
        )
        for i in range(1, 8)
    ]
    return weighted_forecast(records, PROCESS, by="owner")


def test_to_arrow_has_exact_decimal_money_columns() -> None:
    arrow = table().to_arrow()
    assert arrow.column_names == ["owner", "count", "amount", "weighted_amount", "currency"]
    assert arrow.schema.field("amount").type == pa.decimal128(38, 2)
    # weighted amounts stay exact: 12.03 × 12.5 % = 1.50375, not rounded to cents
    assert arrow.schema.field("weighted_amount").type == pa.decimal128(38, 5)
    assert arrow.column("weighted_amount").to_pylist() == [Decimal("9.624"), Decimal("1.50375")]
    with_total = table().to_arrow(totals=True)
    assert with_total.num_rows == 3
    assert with_total.column("owner").to_pylist()[-1] is None


def test_to_pandas_keeps_arrow_decimals() -> None:
    frame = table().to_pandas()
    assert str(frame["amount"].dtype) == "decimal128(38, 2)[pyarrow]"
    assert frame["amount"].sum() == Decimal("28.07")
    assert list(frame["owner"]) == ["alice", "bob"]


def test_wide_and_empty_columns() -> None:
    wide = arrow_table([{"x": Decimal("1" * 30 + "." + "1" * 20)}])
    assert wide.schema.field("x").type == pa.decimal256(76, 20)
    with pytest.raises(ValidationError, match="x: 80 digits"):
        arrow_table([{"x": Decimal("1" * 60 + "." + "1" * 20)}])
    assert arrow_table([]).num_rows == 0
    with pytest.raises(ImportError, match=r"crmcore\[nothing\]"):
        require("no_such_module_here", "nothing")


def test_repr_is_short() -> None:
    text = repr(table())
    assert text.startswith("<ForecastTable Weighted pipeline by owner: 2 rows [{owner: alice")
    assert len(text) < 400
