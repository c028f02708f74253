"""Visit analysis (拜访分析) per salesperson and period, and the orders that followed visits.

Both results are *mergeable*: compute them over partitions of the facts (by day, by
salesperson, by customer for the outcome) and ``merge`` the parts; the result equals one
pass over everything. Rates are percentages rounded half-even to 0.01 and never exceed
100 %: completion counts planned visits completed out of planned visits, coverage counts
owned customers visited out of owned customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT
from crmcore.errors import NotFound, ValidationError
from crmcore.money import Money
from crmcore.visits._facts import OrderFact, VisitFact
from crmcore.visits._periods import Grain, period_key
from crmcore.visits._tables import html_table, percent_of

__all__ = ["OutcomeGroup", "VisitAnalysis", "VisitOutcome", "VisitRow"]

_MINUTE = Decimal("0.1")


@attrs.define
class _Cell:
    """What one salesperson did in one period (the mergeable state)."""

    planned: int = 0
    planned_done: int = 0
    completed: int = 0
    ad_hoc: int = 0
    cancelled: int = 0
    outside: int = 0
    duration_s: int = 0
    timed: int = 0
    planned_customers: set[str] = attrs.field(factory=set)
    covered: set[str] = attrs.field(factory=set)
    field_days: set[date] = attrs.field(factory=set)

    def merge(self, other: _Cell) -> _Cell:
        return _Cell(
            self.planned + other.planned,
            self.planned_done + other.planned_done,
            self.completed + other.completed,
            self.ad_hoc + other.ad_hoc,
            self.cancelled + other.cancelled,
            self.outside + other.outside,
            self.duration_s + other.duration_s,
            self.timed + other.timed,
            self.planned_customers | other.planned_customers,
            self.covered | other.covered,
            self.field_days | other.field_days,
        )


@attrs.frozen
class VisitRow:
    """One salesperson in one period.

    ``completion_rate``: planned visits completed / planned visits (cancelled ones count as
    planned and not completed); ``coverage``: owned customers with a completed visit / owned
    customers; ``average_minutes``: mean check-in to check-out of the timed visits;
    ``visits_per_day``: completed visits / days with at least one completed visit.
    """

    owner_id: str
    period: str
    planned: int
    completed: int
    planned_completed: int
    ad_hoc: int
    cancelled: int
    completion_rate: Decimal | None
    customers_planned: int
    customers_covered: int
    owned_customers: int
    owned_covered: int
    coverage: Decimal | None
    outside_tolerance: int
    average_minutes: Decimal | None
    visits_per_day: Decimal | None


def _owned(value: Mapping[str, Iterable[str]] | None) -> dict[str, frozenset[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"owned: expected owner -> customer ids, got {value!r}")
    return {owner: frozenset(ids) for owner, ids in value.items()}


@attrs.frozen(eq=False)
class VisitAnalysis:
    """Visits per salesperson and period; build with ``of``, combine with ``merge``."""

    grain: Grain
    owned: dict[str, frozenset[str]]
    _cells: dict[tuple[str, str], _Cell] = attrs.field(alias="_cells")

    @classmethod
    def of(
        cls,
        facts: Iterable[VisitFact],
        *,
        grain: Grain = Grain.MONTH,
        owned: Mapping[str, Iterable[str]] | None = None,
    ) -> VisitAnalysis:
        """One streaming pass over ``facts``; ``owned`` maps each salesperson to the
        customers they own (for the coverage of their book)."""
        if not isinstance(grain, Grain):
            raise ValidationError(f"grain: expected a Grain, got {grain!r}")
        cells: dict[tuple[str, str], _Cell] = {}
        keys: dict[date, str] = {}
        for fact in facts:
            period = keys.get(fact.day)
            if period is None:
                period = keys[fact.day] = period_key(fact.day, grain)
            key = (fact.owner_id, period)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = _Cell()
            if fact.planned:
                cell.planned += 1
                cell.planned_customers.add(fact.customer_id)
                if fact.completed:
                    cell.planned_done += 1
            else:
                cell.ad_hoc += 1
            if fact.cancelled:
                cell.cancelled += 1
            if fact.completed:
                cell.completed += 1
                cell.covered.add(fact.customer_id)
                cell.field_days.add(fact.day)
                if fact.outside:
                    cell.outside += 1
                if fact.duration_s is not None:
                    cell.duration_s += fact.duration_s
                    cell.timed += 1
        return cls(grain, _owned(owned), cells)

    @classmethod
    def of_groups(
        cls,
        groups: Iterable[tuple[str, str, Mapping[str, Any]]],
        *,
        grain: Grain = Grain.MONTH,
        owned: Mapping[str, Iterable[str]] | None = None,
    ) -> VisitAnalysis:
        """From (owner, period, what they did) computed elsewhere — the columnar engine's way
        in. What they did: the counts ``planned``, ``planned_done``, ``completed``,
        ``ad_hoc``, ``cancelled``, ``outside``, ``duration_s``, ``timed`` and the sets
        ``planned_customers``, ``covered``, ``field_days``; a repeated key is merged."""
        if not isinstance(grain, Grain):
            raise ValidationError(f"grain: expected a Grain, got {grain!r}")
        cells: dict[tuple[str, str], _Cell] = {}
        for owner, period, found in groups:
            cell = _Cell(**found)
            mine = cells.get((owner, period))
            cells[owner, period] = cell if mine is None else mine.merge(cell)
        return cls(grain, _owned(owned), cells)

    def merge(self, other: VisitAnalysis) -> VisitAnalysis:
        """The analysis of both parts' facts together (same grain; owned books combined)."""
        if other.grain is not self.grain:
            raise ValidationError(
                f"grain: cannot merge a {self.grain.value} analysis with a {other.grain.value} one"
            )
        cells = dict(self._cells)
        for key, cell in other._cells.items():
            mine = cells.get(key)
            cells[key] = cell if mine is None else mine.merge(cell)
        owned = dict(self.owned)
        for owner, ids in other.owned.items():
            owned[owner] = owned.get(owner, frozenset()) | ids
        return VisitAnalysis(self.grain, owned, cells)

    @property
    def rows(self) -> tuple[VisitRow, ...]:
        """One row per salesperson and period with visits, by salesperson then period."""
        return tuple(self._row(key, self._cells[key]) for key in sorted(self._cells))

    def row(self, owner_id: str, period: str) -> VisitRow:
        """The row of one salesperson and period; NotFound when they had no visits."""
        cell = self._cells.get((owner_id, period))
        if cell is None:
            raise NotFound(f"owner_id: no visits of {owner_id!r} in {period}")
        return self._row((owner_id, period), cell)

    def _row(self, key: tuple[str, str], cell: _Cell) -> VisitRow:
        owner, period = key
        book = self.owned.get(owner, frozenset())
        owned_covered = len(book & cell.covered)
        average = None
        if cell.timed:
            average = CONTEXT.divide(Decimal(cell.duration_s), Decimal(60 * cell.timed))
            average = average.quantize(_MINUTE, context=CONTEXT)
        per_day = None
        if cell.field_days:
            per_day = CONTEXT.divide(Decimal(cell.completed), Decimal(len(cell.field_days)))
            per_day = per_day.quantize(Decimal("0.01"), context=CONTEXT)
        return VisitRow(
            owner,
            period,
            cell.planned,
            cell.completed,
            cell.planned_done,
            cell.ad_hoc,
            cell.cancelled,
            percent_of(cell.planned_done, cell.planned),
            len(cell.planned_customers),
            len(cell.covered),
            len(book),
            owned_covered,
            percent_of(owned_covered, len(book)),
            cell.outside,
            average,
            per_day,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row (for pandas): the VisitRow's fields."""
        return [attrs.asdict(row) for row in self.rows]

    def _repr_html_(self) -> str:
        return html_table(f"Visits per salesperson and {self.grain.value}", self.to_records())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VisitAnalysis):
            return NotImplemented
        return (self.grain, self.owned, self.rows) == (other.grain, other.owned, other.rows)

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen
class OutcomeGroup:
    """Customers of one group, their orders and amounts (per currency, never mixed)."""

    group: str
    customers: int
    ordering_customers: int
    orders: int
    amounts: tuple[Money, ...]


def _amounts(value: Mapping[str, Decimal]) -> tuple[Money, ...]:
    return tuple(Money(amount, code) for code, amount in sorted(value.items()))


@attrs.frozen(eq=False)
class VisitOutcome:
    """Orders from visited customers within ``within_days`` after a completed visit, against
    orders from customers not visited, over the period ``start``..``end``.

    A customer is *visited* when it had a completed visit in the period; its orders count
    when dated 0..``within_days`` days after one of those visits. A customer of the given
    population with no completed visit is *not visited*; its orders in the period count.
    Merge parts computed over disjoint sets of customers.
    """

    start: date
    end: date
    within_days: int
    _state: dict[str, tuple[set[str], set[str], int, dict[str, Decimal]]] = attrs.field(
        alias="_state"
    )

    @classmethod
    def of(
        cls,
        customers: Iterable[str],
        visits: Iterable[VisitFact],
        orders: Iterable[OrderFact],
        *,
        start: date,
        end: date,
        within_days: int = 14,
    ) -> VisitOutcome:
        """Compare visited and not visited ``customers`` (the population) over the period."""
        if isinstance(within_days, bool) or not isinstance(within_days, int) or within_days < 0:
            raise ValidationError(f"within_days: expected whole days >= 0, got {within_days!r}")
        if end < start:
            raise ValidationError(f"end: {end} is before start {start}")
        population = set(customers)
        visit_days: dict[str, list[date]] = {}
        for fact in visits:
            if fact.completed and start <= fact.day <= end and fact.customer_id in population:
                visit_days.setdefault(fact.customer_id, []).append(fact.day)
        state = {
            "visited": (set(visit_days), set[str](), 0, dict[str, Decimal]()),
            "not visited": (population - set(visit_days), set[str](), 0, dict[str, Decimal]()),
        }
        counts = {"visited": 0, "not visited": 0}
        for order in orders:
            cid = order.customer_id
            if cid not in population:
                continue
            days = visit_days.get(cid)
            if days is None:
                group, counted = "not visited", start <= order.day <= end
            else:
                group = "visited"
                counted = any(0 <= (order.day - d).days <= within_days for d in days)
            if not counted:
                continue
            _, ordering, _, amounts = state[group]
            ordering.add(cid)
            counts[group] += 1
            code = order.amount.currency.code
            amounts[code] = amounts.get(code, Decimal(0)) + order.amount.amount
        final = {g: (c, o, counts[g], a) for g, (c, o, _, a) in state.items()}
        return cls(start, end, within_days, final)

    def merge(self, other: VisitOutcome) -> VisitOutcome:
        """Both parts together (same period and window; disjoint customers)."""
        if (self.start, self.end, self.within_days) != (other.start, other.end, other.within_days):
            raise ValidationError("within_days: parts of different periods or windows")
        state = {}
        for group, (cust, ordering, n, amounts) in self._state.items():
            c2, o2, n2, a2 = other._state[group]
            overlap = cust & c2
            if overlap:
                raise ValidationError(f"customers: {sorted(overlap)[:3]} are in both parts")
            merged = dict(amounts)
            for code, amount in a2.items():
                merged[code] = merged.get(code, Decimal(0)) + amount
            state[group] = (cust | c2, ordering | o2, n + n2, merged)
        return VisitOutcome(self.start, self.end, self.within_days, state)

    @property
    def groups(self) -> tuple[OutcomeGroup, ...]:
        """The visited group, then the not-visited group."""
        return tuple(
            OutcomeGroup(g, len(c), len(o), n, _amounts(a))
            for g, (c, o, n, a) in self._state.items()
        )

    def group(self, name: str) -> OutcomeGroup:
        """``"visited"`` or ``"not visited"``."""
        for group in self.groups:
            if group.group == name:
                return group
        raise NotFound(f"group: {name!r} is neither 'visited' nor 'not visited'")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group and currency (a group without orders has one row, no currency)."""
        records: list[dict[str, Any]] = []
        for g in self.groups:
            base = {
                "group": g.group,
                "customers": g.customers,
                "ordering_customers": g.ordering_customers,
                "orders": g.orders,
            }
            if not g.amounts:
                records.append({**base, "currency": None, "amount": Decimal(0)})
            for money in g.amounts:
                records.append({**base, "currency": money.currency.code, "amount": money.amount})
        return records

    def _repr_html_(self) -> str:
        title = f"Orders within {self.within_days} days after a visit, {self.start} to {self.end}"
        return html_table(title, self.to_records())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VisitOutcome):
            return NotImplemented
        return (self.start, self.end, self.within_days, self.groups) == (
            other.start,
            other.end,
            other.within_days,
            other.groups,
        )

    __hash__ = None  # type: ignore[assignment]
