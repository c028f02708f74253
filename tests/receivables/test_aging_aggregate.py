"""The mergeable aging aggregate: unrounded sums, ``+``, ``sum()``, ``merge_all``, credit notes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ValidationError
from crmcore.money import Money
from crmcore.receivables import (
    AgingAggregate,
    AgingBuckets,
    AgingRow,
    InstallmentRecord,
    aging,
    merge_all,
)

AS_OF = date(2024, 3, 31)


def installment(owner: str, days_late: int, amount: str, code: str = "CNY") -> InstallmentRecord:
    due = AS_OF - timedelta(days=days_late)
    return InstallmentRecord(owner, "acme", None, due, due, Money(amount, code))


def test_partials_are_summed_unrounded_then_rounded_once() -> None:
    left = AgingAggregate.of([installment("sally", 10, "10.005")], AS_OF)
    right = AgingAggregate.of([installment("sally", 12, "10.005")], AS_OF)
    # each partial alone rounds to 10.01; merged, 20.01 (not 10.01 + 10.01 = 20.02)
    assert left.report().rows[0].total == Money("10.01", "CNY")
    merged = left + right
    assert merged.report().rows[0].total == Money("20.01", "CNY")
    assert merged.sums() == {
        ("sally", "CNY"): ((Decimal(0), Decimal("20.010"), *[Decimal(0)] * 4), 2)
    }
    assert sum([left, right]) == merged == merge_all([right, left])


def test_a_credit_note_lowers_its_bucket_and_total() -> None:
    report = aging([installment("tom", 40, "500.00"), installment("tom", 45, "-120.00")], AS_OF)
    (row,) = report.rows
    assert row.buckets[2] == Money("380.00", "CNY")
    assert row.total == Money("380.00", "CNY")
    assert row.count == 2


def test_merge_refuses_other_settings_and_empty_input() -> None:
    a = AgingAggregate.of([], AS_OF)
    with pytest.raises(ValidationError, match="same as_of, buckets"):
        a + AgingAggregate.of([], AS_OF, buckets=AgingBuckets((15,)))
    with pytest.raises(ValidationError, match="same as_of"):
        a.merge(AgingAggregate(date(2024, 1, 1)))
    with pytest.raises(ValidationError, match="expected AgingAggregate"):
        a.merge(3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no partial aggregates"):
        merge_all([])
    with pytest.raises(ValidationError, match="expected 6 buckets"):
        a.add_sums("x", "CNY", [Decimal(1)], 1)
    # add_rows checks every row first: a bad second row leaves the first unadded
    before = a.sums()
    six = [Decimal("1.005")] * 6
    with pytest.raises(ValidationError, match="expected Decimal sums"):
        a.add_rows([("x", "CNY", six, 1), ("y", "CNY", [*six[:5], "2"], 1)])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="an int count"):
        a.add_rows([("x", "CNY", six, 1.0)])  # type: ignore[list-item]
    assert a.sums() == before
    a.add_rows([("x", "CNY", six, 2), ("x", "CNY", six, 1)])
    assert a.sums()[("x", "CNY")] == ((Decimal("2.010"),) * 6, 3)
    assert a.__radd__(1) is NotImplemented
    assert (a == 1) is False


def test_records_keep_totals_apart_and_name_the_group_column() -> None:
    report = aging(
        [installment("sally", 5, "10.00"), installment("tom", 70, "7.00", "USD")],
        AS_OF,
        buckets=AgingBuckets((30, 60)),
    )
    assert report.to_records() == [
        {
            "owner": "sally",
            "currency": "CNY",
            "not_yet_due": Decimal("0.00"),
            "days_1_30": Decimal("10.00"),
            "days_31_60": Decimal("0.00"),
            "days_over_60": Decimal("0.00"),
            "total": Decimal("10.00"),
            "count": 1,
        },
        {
            "owner": "tom",
            "currency": "USD",
            "not_yet_due": Decimal("0.00"),
            "days_1_30": Decimal("0.00"),
            "days_31_60": Decimal("0.00"),
            "days_over_60": Decimal("7.00"),
            "total": Decimal("7.00"),
            "count": 1,
        },
    ]
    assert [(t["owner"], t["currency"], t["total"]) for t in report.total_records()] == [
        (None, "CNY", Decimal("10.00")),
        (None, "USD", Decimal("7.00")),
    ]
    assert "<tfoot>" in report._repr_html_()
    assert repr(report).startswith("<AgingReport Aging on 2024-03-31 by owner (due date): 2 rows")
    none = aging([installment("sally", 5, "1.00")], AS_OF, group_by="none")
    assert "owner" not in none.to_records()[0]


amounts = st.decimals(min_value=-1000, max_value=100_000, places=3, allow_nan=False)
rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(-30, 200),
        amounts,
        st.sampled_from(["CNY", "USD"]),
    ),
    max_size=40,
)


@given(rows, st.integers(1, 5))
def test_merged_partitions_equal_one_pass(
    data: list[tuple[str, int, Decimal, str]], n: int
) -> None:
    records = [installment(o, d, str(a), c) for o, d, a, c in data]
    parts = [AgingAggregate.of(records[i::n], AS_OF, group_by="owner") for i in range(n)]
    whole = AgingAggregate.of(records, AS_OF, group_by="owner")
    assert merge_all(parts) == whole == sum(parts)
    assert merge_all(parts).report() == whole.report()


def test_a_row_keeps_plain_amounts_and_builds_money_when_read() -> None:
    report = aging([installment("sally", 5, "10.005"), installment("sally", 0, "2.00")], AS_OF)
    (row,) = report.rows
    assert row.amounts == (Decimal("2.00"), Decimal("10.01"), *(Decimal("0.00"),) * 4)
    assert row.buckets == (Money("2.00", "CNY"), Money("10.01", "CNY"), *(Money(0, "CNY"),) * 4)
    assert row.total == Money("12.01", "CNY")
    assert row == AgingRow("sally", "CNY", row.amounts, 2)
    assert str(AgingRow(None, "USD", (Decimal("1.50"), Decimal("-0.25")), 2).total) == "1.25 USD"
    for bad, message in (
        ([Decimal(1)], "expected a tuple of Decimal"),
        ((Decimal("NaN"),), r"amounts\[0\]: expected a finite Decimal"),
        ((Decimal(1), 1), r"amounts\[1\]: expected a finite Decimal"),
        ((Decimal("1e18"),), r"amounts\[0\]: the result .* is out of range"),
        ((Decimal("6e17"), Decimal("6e17")), "amounts: the total: the result .* is out of range"),
    ):
        with pytest.raises(ValidationError, match=message):
            AgingRow("sally", "CNY", bad, 1)
