"""Frequency gaps by tier, the per-salesperson analysis and the outcome of visits, with
figures checked by hand; properties: rates never exceed 100 %, merged parts equal one pass."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.money import Money
from crmcore.serialization import from_dict
from crmcore.visits import (
    FrequencyRules,
    Grain,
    OrderFact,
    VisitAnalysis,
    VisitFact,
    VisitOutcome,
    period_bounds,
    period_key,
)

from .visits_helpers import site

MARCH = date(2026, 3, 1)


def fact(n: int, customer: str, day: int, owner: str = "alice", **kw: object) -> VisitFact:
    return VisitFact(f"v{n}", owner, customer, MARCH + timedelta(days=day - 1), **kw)  # type: ignore[arg-type]


def test_periods() -> None:
    assert period_key(date(2026, 3, 2), Grain.WEEK) == "2026-W10"
    assert period_key(date(2026, 3, 2), Grain.MONTH) == "2026-03"
    assert period_bounds(date(2026, 2, 11), Grain.MONTH) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds(date(2026, 3, 4), Grain.WEEK) == (date(2026, 3, 2), date(2026, 3, 8))
    with pytest.raises(ValidationError, match="day: expected a date"):
        period_key("2026-03-02", Grain.DAY)  # type: ignore[arg-type]


def test_frequency_gaps_per_customer_and_the_due_list() -> None:
    rules = from_dict(FrequencyRules, {"visits": {"A": 3, "B": 1}, "per": "month"})
    sites = [site("a1", 1, "A"), site("a2", 2, "A"), site("b1", 3, "B"), site("c1", 4, None)]
    facts = [
        fact(1, "a1", 2, completed=True),
        fact(2, "a1", 9, completed=True),
        fact(3, "a1", 20),  # planned after as_of: scheduled
        fact(4, "a2", 3, cancelled=True),
        fact(5, "a2", 25),  # scheduled
        fact(6, "b1", 5, completed=True),
        fact(7, "a2", -10, completed=True),  # 18 February: counts for the last visit only
    ]
    table = rules.table(sites, facts, date(2026, 3, 15))
    assert table.period == "2026-03"
    got = [(r.customer_id, r.required, r.done, r.scheduled, r.gap, r.due) for r in table.rows]
    assert got == [
        ("a1", 3, 2, 1, 1, 0),
        ("a2", 3, 0, 1, 3, 2),
        ("b1", 1, 1, 0, 0, 0),
        ("c1", 0, 0, 0, 0, 0),
    ]
    assert table.row("a2").last_visit == date(2026, 2, 18)
    (due,) = table.due()
    assert (due.customer_id, due.due, due.days_since) == ("a2", 2, 25)
    assert table.to_records()[0]["gap"] == 1
    assert "<caption>Visit frequency 2026-03 as of 2026-03-15</caption>" in table._repr_html_()
    assert [r.customer_id for r in table.for_owner("bob").rows] == []
    with pytest.raises(NotFound, match="customer_id: 'zz' is not in the table"):
        table.row("zz")


def test_due_list_order_most_due_then_never_visited_then_longest_ago() -> None:
    rules = FrequencyRules(visits={"A": 2, "B": 1})
    sites = [site("x", 1, "B"), site("y", 2, "B"), site("z", 3, "A"), site("w", 4, "B")]
    facts = [fact(1, "x", -20, completed=True), fact(2, "w", -40, completed=True)]
    order = [d.customer_id for d in rules.table(sites, facts, date(2026, 3, 10)).due()]
    assert order == ["z", "y", "w", "x"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"visits": {"A": -1}}, "visits.A: expected whole visits >= 0"),
        ({"visits": {"A": 1}, "per": "day"}, "per: a week or a month"),
        ({"visits": {"A": "3"}}, r"visits\['A'\]: expected a whole number, got '3'"),
        ({"visits": {}, "default": -2}, "default: expected whole visits >= 0"),
    ],
)
def test_bad_frequency_rules_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(FrequencyRules, data)


def _march_facts() -> list[VisitFact]:
    return [
        # alice: 5 planned (one cancelled, one missed), 1 ad hoc; on 2 field days
        fact(1, "a1", 2, completed=True, duration_s=1800),
        fact(2, "a2", 2, completed=True, duration_s=2700, outside=True),
        fact(3, "b1", 3, completed=True),  # finished without a check-in: untimed
        fact(4, "a1", 4, cancelled=True),
        fact(5, "c1", 5),
        fact(6, "x9", 3, planned=False, completed=True, duration_s=900),
        # bob: one planned, completed
        fact(7, "b7", 2, owner="bob", completed=True, duration_s=600),
    ]


def test_analysis_per_salesperson_and_month_by_hand() -> None:
    owned = {"alice": ["a1", "a2", "b1", "c1"], "bob": ["b7", "b8"]}
    analysis = VisitAnalysis.of(_march_facts(), grain=Grain.MONTH, owned=owned)
    alice = analysis.row("alice", "2026-03")
    assert (alice.planned, alice.completed, alice.planned_completed, alice.ad_hoc) == (5, 4, 3, 1)
    assert alice.completion_rate == Decimal("60.00")  # 3 / 5
    assert (alice.customers_planned, alice.customers_covered) == (
        4,
        4,
    )  # a1 a2 b1 c1 / a1 a2 b1 x9
    assert (alice.owned_customers, alice.owned_covered, alice.coverage) == (4, 3, Decimal("75.00"))
    assert alice.outside_tolerance == 1
    assert alice.average_minutes == Decimal("30.0")  # (1800 + 2700 + 900) / 3 / 60
    assert alice.visits_per_day == Decimal("2.00")  # 4 completed on 2 days
    bob = analysis.row("bob", "2026-03")
    assert (bob.completion_rate, bob.coverage, bob.average_minutes) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("10.0"),
    )
    records = analysis.to_records()
    assert [r["owner_id"] for r in records] == ["alice", "bob"]
    assert "<caption>Visits per salesperson and month</caption>" in analysis._repr_html_()
    with pytest.raises(NotFound, match="owner_id: no visits of 'carol' in 2026-03"):
        analysis.row("carol", "2026-03")


def test_weekly_analysis_splits_the_same_facts() -> None:
    weekly = VisitAnalysis.of(_march_facts(), grain=Grain.WEEK)
    # 2..5 March 2026 fall in ISO week 10 (Monday 2 March)
    assert [(r.owner_id, r.period, r.planned, r.completed) for r in weekly.rows] == [
        ("alice", "2026-W10", 5, 4),
        ("bob", "2026-W10", 1, 1),
    ]


def test_merging_needs_the_same_grain() -> None:
    with pytest.raises(ValidationError, match="grain: cannot merge a month analysis with a week"):
        VisitAnalysis.of([]).merge(VisitAnalysis.of([], grain=Grain.WEEK))


def test_outcome_orders_within_n_days_after_a_visit_against_not_visited() -> None:
    visits = [
        fact(1, "a1", 2, completed=True),
        fact(2, "a2", 10, completed=True),
        fact(3, "b1", 12),  # planned, never completed: b1 counts as not visited
    ]
    cny = "CNY"
    orders = [
        OrderFact("o1", "a1", date(2026, 3, 9), Money("1000.00", cny)),  # 7 days after: counts
        OrderFact("o2", "a1", date(2026, 3, 20), Money("500.00", cny)),  # 18 days: not within
        OrderFact("o3", "a2", date(2026, 3, 10), Money("250.50", cny)),  # same day: counts
        OrderFact("o4", "b1", date(2026, 3, 15), Money("300.00", cny)),
        OrderFact("o5", "c1", date(2026, 4, 2), Money("999.00", cny)),  # after the period
        OrderFact("o6", "zz", date(2026, 3, 5), Money("1.00", cny)),  # not in the population
    ]
    outcome = VisitOutcome.of(
        ["a1", "a2", "b1", "c1"],
        visits,
        orders,
        start=MARCH,
        end=date(2026, 3, 31),
        within_days=14,
    )
    visited, not_visited = outcome.groups
    assert (visited.customers, visited.ordering_customers, visited.orders) == (2, 2, 2)
    assert visited.amounts == (Money("1250.50", cny),)
    assert (not_visited.customers, not_visited.ordering_customers, not_visited.orders) == (2, 1, 1)
    assert not_visited.amounts == (Money("300.00", cny),)
    assert outcome.to_records()[0]["amount"] == Decimal("1250.50")
    assert "within 14 days" in outcome._repr_html_()
    with pytest.raises(NotFound, match="group: 'others'"):
        outcome.group("others")
    with pytest.raises(ValidationError, match="within_days: expected whole days >= 0"):
        VisitOutcome.of([], [], [], start=MARCH, end=MARCH, within_days=-1)
    with pytest.raises(ValidationError, match="end: 2026-02-01 is before start"):
        VisitOutcome.of([], [], [], start=MARCH, end=date(2026, 2, 1))


_FACTS = st.lists(
    st.builds(
        lambda n, owner, customer, day, planned, state, outside, minutes: VisitFact(
            f"v{n}",
            owner,
            customer,
            MARCH + timedelta(days=day),
            planned=planned,
            completed=state == "done",
            cancelled=state == "cancelled",
            outside=outside and state == "done",
            duration_s=None if minutes is None or state != "done" else minutes * 60,
        ),
        st.integers(0, 10**6),
        st.sampled_from(["alice", "bob", "carol"]),
        st.sampled_from([f"c{i}" for i in range(8)]),
        st.integers(0, 60),
        st.booleans(),
        st.sampled_from(["planned", "done", "cancelled"]),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 240)),
    ),
    max_size=40,
)
_OWNED = st.fixed_dictionaries(
    {
        o: st.lists(st.sampled_from([f"c{i}" for i in range(8)]), unique=True)
        for o in ("alice", "bob", "carol")
    }
)


@settings(max_examples=80, deadline=None)
@given(_FACTS, _OWNED, st.integers(0, 40), st.sampled_from(list(Grain)))
def test_rates_stay_within_100_percent_and_parts_merge_into_one_pass(
    facts: list[VisitFact], owned: dict[str, list[str]], cut: int, grain: Grain
) -> None:
    whole = VisitAnalysis.of(facts, grain=grain, owned=owned)
    left = VisitAnalysis.of(facts[:cut], grain=grain, owned=owned)
    right = VisitAnalysis.of(facts[cut:], grain=grain, owned=owned)
    assert left.merge(right) == whole
    assert right.merge(left).to_records() == whole.to_records()
    for row in whole.rows:
        for rate in (row.completion_rate, row.coverage):
            assert rate is None or Decimal(0) <= rate <= Decimal(100)
        assert row.planned_completed <= row.planned
        assert row.owned_covered <= row.owned_customers


@settings(max_examples=60, deadline=None)
@given(_FACTS, st.lists(st.integers(0, 70), max_size=20), st.integers(0, 8), st.integers(0, 20))
def test_outcome_parts_by_customer_merge_into_one_pass(
    facts: list[VisitFact], order_days: list[int], split: int, window: int
) -> None:
    customers = [f"c{i}" for i in range(8)]
    orders = [
        OrderFact(f"o{i}", customers[i % 8], MARCH + timedelta(days=d), Money(d + 1, "CNY"))
        for i, d in enumerate(order_days)
    ]
    end = MARCH + timedelta(days=30)

    def part(ids: list[str]) -> VisitOutcome:
        return VisitOutcome.of(ids, facts, orders, start=MARCH, end=end, within_days=window)

    whole = part(customers)
    assert part(customers[:split]).merge(part(customers[split:])) == whole
    assert sum(g.customers for g in whole.groups) == 8
    with pytest.raises(ValidationError, match=r"customers: \['c0'\] are in both parts"):
        part(["c0"]).merge(part(["c0"]))
