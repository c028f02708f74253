"""Visits from Arrow, pandas, polars or CSV: the analysis on columns equals the record path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.analytics import Visits
from crmcore.errors import ValidationError
from crmcore.visits import Grain, VisitAnalysis, VisitFact

fact = st.builds(
    VisitFact,
    visit_id=st.text("abc", min_size=1, max_size=3),
    owner_id=st.sampled_from(["ann", "bo", "梅"]),
    customer_id=st.sampled_from(["acme", "zen", "北方", "dot"]),
    day=st.dates(date(2025, 12, 20), date(2026, 3, 10)),
    planned=st.booleans(),
    completed=st.booleans(),
    cancelled=st.booleans(),
    outside=st.booleans(),
    duration_s=st.none() | st.integers(0, 20_000),
)
owned = st.dictionaries(
    st.sampled_from(["ann", "bo", "kim"]),
    st.frozensets(st.sampled_from(["acme", "zen", "北方", "dot", "new"])),
)


def table(facts: list[VisitFact]) -> pa.Table:
    """The facts as an export would have them: text flags, Chinese headers."""
    return pa.table(
        {
            "拜访编号": [f.visit_id for f in facts],
            "负责人": [f.owner_id for f in facts],
            "客户": [f.customer_id for f in facts],
            "拜访日期": [f.day.isoformat() for f in facts],
            "计划内": ["是" if f.planned else "否" for f in facts],
            "Completed": ["Yes" if f.completed else "" for f in facts],
            "cancelled": [f.cancelled for f in facts],
            "Outside Tolerance": [int(f.outside) for f in facts],
            "Duration": ["" if f.duration_s is None else str(f.duration_s) for f in facts],
        },
        schema=pa.schema(
            [
                *((n, pa.string()) for n in ("拜访编号", "负责人", "客户", "拜访日期", "计划内")),
                ("Completed", pa.string()),
                ("cancelled", pa.bool_()),
                ("Outside Tolerance", pa.int64()),
                ("Duration", pa.string()),
            ]
        ),
    )


@given(st.lists(fact, max_size=30), st.sampled_from(list(Grain)), owned)
def test_columnar_visit_analysis_equals_the_record_path(
    facts: list[VisitFact], grain: Grain, books: dict[str, frozenset[str]]
) -> None:
    expected = VisitAnalysis.of(facts, grain=grain, owned=books)
    visits = Visits.from_arrow(table(facts))
    assert list(visits.facts()) == facts
    assert visits.analysis(grain=grain, owned=books) == expected
    assert Visits.from_facts(facts).analysis(grain=grain, owned=books) == expected
    half = len(facts) // 2
    parts = [Visits.from_facts(facts[:half]), Visits.from_facts(facts[half:])]
    merged = (
        parts[0]
        .analysis(grain=grain, owned=books)
        .merge(parts[1].analysis(grain=grain, owned=books))
    )
    assert merged.rows == expected.rows


def test_a_csv_export_by_hand(tmp_path: Path) -> None:
    """Ann planned acme and zen on Monday 2 March, completed acme (30 minutes) and visited
    dot ad hoc (50 minutes, outside the tolerance); zen was cancelled."""
    path = tmp_path / "visits.csv"
    path.write_text(
        "Visit,Salesperson,Customer,Date,Planned,Done,Canceled,Outside,Duration\n"
        "v1,ann,acme,2026-03-02,yes,yes,no,no,1800\n"
        "v2,ann,zen,2026-03-02,yes,no,yes,no,\n"
        "v3,ann,dot,2026-03-02,no,yes,no,yes,3000\n",
        encoding="utf-8",
    )
    visits = Visits.read_csv(str(path))
    assert len(visits) == 3
    assert "3 rows" in repr(visits)
    row = visits.analysis(owned={"ann": ["acme", "zen", "dot", "new"]}).row("ann", "2026-03")
    assert (row.planned, row.completed, row.planned_completed, row.ad_hoc, row.cancelled) == (
        2,
        2,
        1,
        1,
        1,
    )
    assert (str(row.completion_rate), str(row.coverage)) == ("50.00", "50.00")
    assert (row.outside_tolerance, str(row.average_minutes), str(row.visits_per_day)) == (
        1,
        "40.0",
        "2.00",
    )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert Visits.from_pandas(frame).analysis() == visits.analysis()


def test_refusals() -> None:
    base = {
        "visit_id": ["v1"],
        "owner_id": ["ann"],
        "customer_id": ["acme"],
        "day": ["2026-03-02"],
    }
    with pytest.raises(ValidationError, match="completed: row 1: 'maybe' is not yes or no"):
        Visits.from_pandas(pd.DataFrame({**base, "completed": ["maybe"]}))
    with pytest.raises(ValidationError, match=r"duration_s: row 1: '1\.5' is not whole seconds"):
        Visits.from_pandas(pd.DataFrame({**base, "duration_s": ["1.5"]}))
    with pytest.raises(ValidationError, match="duration_s: a float column"):
        Visits.from_pandas(pd.DataFrame({**base, "duration_s": [1.5]}))
    with pytest.raises(ValidationError, match="duration_s: row 1 is negative"):
        Visits.from_pandas(pd.DataFrame({**base, "duration_s": [-1]}))
    with pytest.raises(ValidationError, match="day: row 1 is empty"):
        Visits.from_pandas(pd.DataFrame({**base, "day": [None]}))
    with pytest.raises(ValidationError, match="missing column customer_id"):
        Visits.from_pandas(pd.DataFrame({k: v for k, v in base.items() if k != "customer_id"}))
    with pytest.raises(ValidationError, match="facts: expected VisitFact, got str"):
        Visits.from_facts(["v1"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="grain: expected a Grain"):
        Visits.from_pandas(pd.DataFrame(base)).analysis(grain="month")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="grain: expected a Grain"):
        VisitAnalysis.of_groups([], grain="month")  # type: ignore[arg-type]
    plain = Visits.from_pandas(pd.DataFrame(base))
    assert list(plain.facts()) == [VisitFact("v1", "ann", "acme", date(2026, 3, 2))]
