"""The columnar engine equals the record path; merged partitions equal one pass."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.analytics import Installments, Opportunities, StageHistories, merge_all
from crmcore.errors import ValidationError
from crmcore.forecast import (
    ForecastAggregate,
    ForecastCategory,
    FunnelAggregate,
    OpportunityHistory,
    OpportunityRecord,
    OpportunityStatus,
    SalesProcess,
    StageVisit,
)
from crmcore.money import Money, Percent
from crmcore.receivables import AgingAggregate, InstallmentRecord
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "qualify", "probability": "10", "expected_days": 5},
            {"name": "proposal", "probability": "62.5", "expected_days": 10},
            {"name": "contract", "probability": "90", "category": "commit"},
        ],
    },
)
AS_OF = date(2026, 3, 31)

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)
opportunity = st.builds(
    OpportunityRecord,
    id=st.text("abcdef", min_size=1, max_size=3),
    owner=st.sampled_from(["ann", "bo", "张伟"]),
    stage=st.sampled_from(PROCESS.stage_names),
    amount=st.builds(Money, amounts, st.sampled_from(["CNY", "CNY", "USD"])),
    expected_close=st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    department=st.sampled_from([None, "east", "west"]),
    probability_override=st.none() | st.decimals(0, 100, places=1).map(Percent),
    category=st.none() | st.sampled_from(list(ForecastCategory)),
    status=st.sampled_from(list(OpportunityStatus)),
)


def opportunity_table(records: list[OpportunityRecord]) -> pa.Table:
    return pa.table(
        {
            "Opportunity ID": [r.id for r in records],
            "Opportunity Owner": [r.owner for r in records],
            "Stage": [r.stage.upper() for r in records],
            "Amount": pa.array([r.amount.amount for r in records], pa.decimal128(38, 2)),
            "Currency": [r.amount.currency.code for r in records],
            "Close Date": pa.array([r.expected_close for r in records], pa.date32()),
            "Department": pa.array([r.department for r in records], pa.string()),
            "Probability (%)": [
                None if r.probability_override is None else f"{r.probability_override.value}%"
                for r in records
            ],
            "Forecast Category": pa.array(
                [None if r.category is None else r.category.value for r in records], pa.string()
            ),
            "Status": [r.status.value.title() for r in records],
        }
    )


@given(st.lists(opportunity, max_size=30), st.sampled_from(["month", "quarter"]))
def test_columnar_forecast_equals_the_record_path(
    records: list[OpportunityRecord], period: str
) -> None:
    rates = {"USD": "7.1"}
    columnar = Opportunities.from_arrow(opportunity_table(records)).forecast(
        PROCESS, period=period, currency="CNY", rates=rates
    )
    by_records = ForecastAggregate.of(records, PROCESS, period=period, currency="CNY", rates=rates)
    assert columnar == by_records
    assert columnar.table(("owner", "period")) == by_records.table(("owner", "period"))


@given(
    st.lists(opportunity, max_size=30),
    st.lists(st.sampled_from(["", " ", "\t", "\u3000"]), min_size=2, max_size=2),
)
def test_padded_text_forecasts_like_stripped_text(
    records: list[OpportunityRecord], pads: list[str]
) -> None:
    """Outer whitespace on ids, owners, stages, departments and statuses (looked at on the
    group values) gives the forecast and the records of the stripped values."""
    left, right = pads
    table = opportunity_table(records)
    for name in ("Opportunity ID", "Opportunity Owner", "Stage", "Department", "Status"):
        index = table.schema.get_field_index(name)
        padded = [None if v is None else f"{left}{v}{right}" for v in table[name].to_pylist()]
        table = table.set_column(index, name, pa.array(padded, pa.string()))
    options: dict[str, Any] = {"currency": "CNY", "rates": {"USD": "7.1"}}
    opportunities = Opportunities.from_arrow(table)
    assert opportunities.forecast(PROCESS, **options) == ForecastAggregate.of(
        records, PROCESS, **options
    )
    assert [r.id for r in opportunities.records(PROCESS)] == [r.id for r in records]


@given(st.lists(opportunity, max_size=30), st.integers(1, 4))
def test_merged_forecast_partitions_equal_one_pass(
    records: list[OpportunityRecord], n: int
) -> None:
    options: dict[str, Any] = {"currency": "CNY", "rates": {"USD": "7.1"}}
    parts = [ForecastAggregate.of(records[i::n], PROCESS, **options) for i in range(n)]
    assert merge_all(parts) == sum(parts) == ForecastAggregate.of(records, PROCESS, **options)


installment = st.builds(
    InstallmentRecord,
    owner=st.sampled_from(["ann", "bo"]),
    customer=st.sampled_from(["acme", "globex", "客户甲"]),
    department=st.sampled_from([None, "east"]),
    due_date=st.dates(date(2025, 6, 1), date(2026, 6, 1)),
    issue_date=st.dates(date(2025, 1, 1), date(2026, 3, 31)),
    outstanding=st.builds(
        Money,
        st.decimals(min_value=-(10**6), max_value=10**8, places=3, allow_nan=False),
        st.sampled_from(["CNY", "USD"]),
    ),
)


@given(
    st.lists(installment, max_size=40),
    st.sampled_from(["owner", "customer", "department", "none"]),
    st.sampled_from(["due_date", "issue_date"]),
)
def test_columnar_aging_equals_the_record_path(
    records: list[InstallmentRecord], group_by: str, basis: str
) -> None:
    frame = pd.DataFrame(
        {
            "客户": [r.customer for r in records],
            "负责人": [r.owner for r in records],
            "部门": [r.department for r in records],
            "Due Date": [r.due_date.isoformat() for r in records],
            "Invoice Date": [r.issue_date.isoformat() for r in records],
            "未收金额": [str(r.outstanding.amount) for r in records],
            "币种": [r.outstanding.currency.code for r in records],
        },
        dtype=object,
    )
    columnar = Installments.from_pandas(frame).aging(AS_OF, group_by=group_by, basis=basis)
    by_records = AgingAggregate.of(records, AS_OF, group_by=group_by, basis=basis)
    assert columnar == by_records
    assert columnar.report() == by_records.report()


@given(
    st.lists(installment, max_size=30),
    st.lists(st.sampled_from(["", " ", "\t", "\u3000"]), min_size=2, max_size=2),
    st.sampled_from(["owner", "customer", "department", "none"]),
)
def test_padded_text_ages_like_stripped_text(
    records: list[InstallmentRecord], pads: list[str], group_by: str
) -> None:
    """Outer whitespace is looked at when a column is used (on the group keys when it is the
    group); the result equals the record path over the stripped values either way."""
    left, right = pads
    table = pa.table(
        {
            "customer": [f"{left}{r.customer}{right}" for r in records],
            "owner": [f"{right}{r.owner}" for r in records],
            "department": [None if r.department is None else r.department + left for r in records],
            "due_date": [r.due_date for r in records],
            "issue_date": [r.issue_date for r in records],
            "outstanding": [str(r.outstanding.amount) for r in records],
            "currency": [r.outstanding.currency.code for r in records],
        },
        schema=pa.schema(
            [
                ("customer", pa.string()),
                ("owner", pa.string()),
                ("department", pa.string()),
                ("due_date", pa.date32()),
                ("issue_date", pa.date32()),
                ("outstanding", pa.string()),
                ("currency", pa.string()),
            ]
        ),
    )
    installments = Installments.from_arrow(table)
    columnar = installments.aging(AS_OF, group_by=group_by)
    assert columnar == AgingAggregate.of(records, AS_OF, group_by=group_by)
    assert list(installments.records()) == records
    assert installments.frame["customer"].to_list() == [r.customer for r in records]


def test_a_required_cell_of_only_whitespace_is_refused_when_its_column_is_used() -> None:
    table = pa.table(
        {
            "customer": ["acme", "globex"],
            "owner": ["ann", " "],
            "due_date": [date(2026, 3, 1), date(2026, 2, 1)],
            "issue_date": [date(2026, 1, 1), date(2026, 1, 1)],
            "outstanding": pa.array([Decimal("10.00"), Decimal("5.50")], pa.decimal128(18, 2)),
            "currency": ["CNY", "CNY"],
        }
    )  # typed dates and amounts, one currency: nothing but the text is looked at
    installments = Installments.from_arrow(table)  # an empty owner would be refused here
    # customer aging never reads the owners
    report = installments.aging(AS_OF, group_by="customer").report()
    assert [(row.group, row.total) for row in report.rows] == [
        ("acme", Money("10.00", "CNY")),
        ("globex", Money("5.50", "CNY")),
    ]
    with pytest.raises(ValidationError, match=r"owner: row 2: None is empty \(a value is requ"):
        installments.aging(AS_OF, group_by="owner")
    with pytest.raises(ValidationError, match="owner: row 2"):
        installments.frame  # noqa: B018 - reading the frame checks every text column
    empty = table.set_column(1, "owner", pa.array(["ann", ""]))
    with pytest.raises(ValidationError, match="owner: row 2"):
        Installments.from_arrow(empty)


@st.composite
def histories(draw: st.DrawFn) -> list[OpportunityHistory]:
    result = []
    for i in range(draw(st.integers(0, 8))):
        start = datetime(2026, 1, 1) + timedelta(hours=draw(st.integers(0, 2000)))
        stages = draw(st.lists(st.sampled_from(PROCESS.stage_names), min_size=1, max_size=4))
        gaps = draw(st.lists(st.integers(1, 900), min_size=len(stages), max_size=len(stages)))
        status = draw(st.sampled_from(list(OpportunityStatus)))
        visits, moment = [], start
        for j, (stage, gap) in enumerate(zip(stages, gaps, strict=True)):
            last = j == len(stages) - 1
            left = (
                None
                if last and status is OpportunityStatus.OPEN
                else moment + timedelta(hours=gap)
            )
            visits.append(StageVisit(stage, moment, "ann", left, None if left is None else "ann"))
            moment += timedelta(hours=gap)
        closed = None if status is OpportunityStatus.OPEN else moment
        amount = Money(draw(st.decimals(0, 10**6, places=2)), "CNY")
        result.append(
            OpportunityHistory(f"o{i}", "ann", amount, start, visits, status, closed, "east")
        )
    return result


def history_frame(items: list[OpportunityHistory]) -> pl.DataFrame:
    rows = [
        {
            "Opportunity ID": h.id,
            "Opportunity Owner": h.owner,
            "Amount": str(h.amount.amount),
            "Currency": h.amount.currency.code,
            "Created Date": h.created_at.isoformat(),
            "Stage": v.stage,
            "entered_at": v.entered_at.isoformat(),
            "left_at": None if v.left_at is None else v.left_at.isoformat(),
            "Status": h.status.value,
            "closed_at": None if h.closed_at is None else h.closed_at.isoformat(),
            "Team": h.department,
        }
        for h in items
        for v in h.visits
    ]
    schema = dict.fromkeys(
        (
            "Opportunity ID",
            "Opportunity Owner",
            "Amount",
            "Currency",
            "Created Date",
            "Stage",
            "entered_at",
            "left_at",
            "Status",
            "closed_at",
            "Team",
        ),
        pl.String,
    )
    return pl.DataFrame(rows, schema=schema)


@given(histories(), st.integers(1, 3))
def test_columnar_funnel_equals_the_record_path_and_merges(
    items: list[OpportunityHistory], n: int
) -> None:
    as_of = datetime(2026, 6, 1)
    columnar = StageHistories.from_polars(history_frame(items)).funnel(
        PROCESS, as_of=as_of, currency="CNY"
    )
    by_records = FunnelAggregate.of(items, PROCESS, as_of=as_of, currency="CNY")
    assert columnar == by_records
    parts = [
        FunnelAggregate.of(items[i::n], PROCESS, as_of=as_of, currency="CNY") for i in range(n)
    ]
    assert merge_all(parts) == sum(parts) == by_records
    assert merge_all(parts).summary() == by_records.summary()


def test_csv_with_thousands_separators_and_outcomes(tmp_path: Any) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Opportunity ID,Opportunity Owner,Stage,Amount,Currency,Close Date\n"
        'A-1,Ann,Proposal,"120,000.00",CNY,2026-04-30\n'
        "A-2,Bo,Closed Won,7000,CNY,2026-02-01\n"
        'A-3,Bo,closed lost,"1,000",CNY,\n',
        encoding="utf-8",
    )
    table = Opportunities.read_csv(str(path), locale="en_US")
    aggregate = table.forecast(PROCESS)
    assert aggregate.table("stage").total.weighted == Money("75000", "CNY")
    gap = aggregate.target_gap(Money(100_000, "CNY"))
    assert gap.closed_won == Money(7000, "CNY")
    assert aggregate == ForecastAggregate.of(table.records(PROCESS), PROCESS)
    assert aggregate.missing_close_date == (1, ("A-3",))
    assert Decimal(1000) in table.frame["amount"].to_list()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ann", "bo", "张伟"]),
            st.dates(date(2025, 1, 1), date(2027, 12, 31)),
            st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False),
            st.sampled_from([None, "east"]),
        ),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_messy_text_types_like_clean_text(
    rows: list[tuple[str, date, Decimal, str | None]], messy: bool
) -> None:
    """Cells with padding or empty optional cells take the detailed path, clean ones the
    one-pass path; both type the same values alike."""

    def cell(text: str) -> str:
        return f" {text} " if messy else text

    def frame(pad: bool) -> pl.DataFrame:
        show = cell if pad else str
        return pl.DataFrame(
            {
                "customer": [show(owner) for owner, *_ in rows],
                "owner": [owner for owner, *_ in rows],
                "due_date": [show(due.isoformat()) for _, due, *_ in rows],
                "issue_date": [due.isoformat() for _, due, *_ in rows],
                "outstanding": [show(str(amount)) for _, _, amount, _ in rows],
                "department": [("" if messy else None) if d is None else d for *_, d in rows],
                "currency": ["cny"] * len(rows),
            }
        )

    clean = Installments.from_polars(frame(False)).frame
    assert Installments.from_polars(frame(True)).frame.equals(clean)
    assert clean["outstanding"].to_list() == [amount for _, _, amount, _ in rows]
    assert clean["currency"].to_list() == ["CNY"] * len(rows)
