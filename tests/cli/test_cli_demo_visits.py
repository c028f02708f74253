"""The demo's week of visits: planned from the frequency to-do list, made through the
services, and a printed coverage table that matches what is stored (the same seed printing
the same week is checked with the whole demo in test_cli_demo)."""

from __future__ import annotations

import io
from datetime import date

from crmcore.adapters.memory import MemoryDatabase
from crmcore.cli._demo import run_demo
from crmcore.services import KINDS
from crmcore.visits import Visit, VisitPlan, VisitStatus

AS_OF = date(2026, 2, 15)


def _played() -> tuple[MemoryDatabase, str, object]:
    storage = MemoryDatabase(KINDS)
    out = io.StringIO()
    summary = run_demo(storage, seed=3, locale="en_US", as_of=AS_OF, out=out)
    return storage, out.getvalue(), summary


def test_the_week_of_visits_is_stored_and_counted_as_printed() -> None:
    storage, text, summary = _played()
    week = summary.visits  # type: ignore[attr-defined]
    assert week is not None
    assert (week.start, week.end) == (date(2026, 1, 12), date(2026, 1, 16))
    with storage.unit_of_work() as uow:
        visits = uow.repository(Visit).find()
        plans = uow.repository(VisitPlan).find()
    in_week = [v for v in visits if week.start <= v.day <= week.end]
    assert len(in_week) == week.planned == sum(len(p.stops) for p in plans)
    assert sum(v.status is VisitStatus.COMPLETED for v in in_week) == week.made
    assert sum(v.status is VisitStatus.CANCELLED for v in in_week) == week.cancelled
    assert sum(v.outside_tolerance for v in in_week) == week.flagged
    assert sum(bool(v.co_visits) for v in in_week) == week.co_visits
    assert sum(p.distance_m for p in plans) == week.distance_m
    rows = week.analysis.rows
    assert sum(r.planned for r in rows) == week.planned
    assert sum(r.completed for r in rows) == week.made
    assert "== Customer visits, week of Jan 12, 2026 ==" in text
    assert f"{week.planned} visits planned from Jan 12, 2026 to Jan 16, 2026" in text
    assert "visit plan assigned to you" in text  # the notifications table
    for row in rows:
        assert row.owner_id in text
        assert row.completion_rate is not None
        assert row.completion_rate <= 100
        assert row.coverage is not None
        assert row.coverage <= 100
