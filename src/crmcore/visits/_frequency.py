"""Visit frequency by customer tier (A级客户每月拜访3次, B级每月1次): the gap per customer
for a period and the to-do list of customers due for a visit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from crmcore._numbers import show
from crmcore.errors import NotFound, ValidationError
from crmcore.visits._customers import CustomerSite
from crmcore.visits._facts import VisitFact
from crmcore.visits._periods import Grain, period_bounds, period_key
from crmcore.visits._tables import html_table

__all__ = ["DueCustomer", "FrequencyRow", "FrequencyRules", "FrequencyTable"]


def _per_tier(value: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"visits: expected tier -> visits per period, got {show(value, 200)}"
        )
    table: dict[str, int] = {}
    for tier, count in value.items():
        if not isinstance(tier, str) or not tier.strip():
            raise ValidationError(f"visits: tier {tier!r} must be a non-empty name")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"visits.{tier}: expected whole visits >= 0, got {count!r}")
        table[tier] = count
    return table


def _grain(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in (Grain.WEEK, Grain.MONTH):
        raise ValidationError(f"{attribute.name}: a week or a month, got {show(value, 200)}")


@attrs.frozen(kw_only=True)
class FrequencyRules:
    """How often each tier must be visited per ``per`` (week or month); tiers not listed
    (and customers without a tier) need ``default`` visits."""

    visits: dict[str, int] = attrs.field(factory=dict, converter=_per_tier)
    per: Grain = attrs.field(default=Grain.MONTH, validator=_grain)
    default: int = 0

    def __attrs_post_init__(self) -> None:
        if isinstance(self.default, bool) or not isinstance(self.default, int) or self.default < 0:
            raise ValidationError(f"default: expected whole visits >= 0, got {show(self.default)}")

    def required(self, tier: str | None) -> int:
        """Visits a customer of ``tier`` needs per period."""
        return self.visits.get(tier, self.default) if tier is not None else self.default

    def table(
        self, sites: Iterable[CustomerSite], facts: Iterable[VisitFact], as_of: date
    ) -> FrequencyTable:
        """Required, done, scheduled and gap per active customer, in the period of ``as_of``.

        Done: completed visits dated in the period up to ``as_of``; scheduled: planned
        visits not completed nor cancelled dated after ``as_of`` in the period; gap:
        required minus done, never below zero; due: the gap not yet scheduled.
        """
        first, last = period_bounds(as_of, self.per)
        done: dict[str, int] = {}
        scheduled: dict[str, int] = {}
        latest: dict[str, date] = {}
        for fact in facts:
            if fact.completed and fact.day <= as_of:
                if first <= fact.day:
                    done[fact.customer_id] = done.get(fact.customer_id, 0) + 1
                seen = latest.get(fact.customer_id)
                if seen is None or fact.day > seen:
                    latest[fact.customer_id] = fact.day
            elif not fact.completed and not fact.cancelled and as_of < fact.day <= last:
                scheduled[fact.customer_id] = scheduled.get(fact.customer_id, 0) + 1
        rows = []
        for site in sorted(sites, key=lambda s: s.id):
            if not site.active:
                continue
            required = self.required(site.tier)
            made = done.get(site.id, 0)
            coming = scheduled.get(site.id, 0)
            gap = max(0, required - made)
            rows.append(
                FrequencyRow(
                    site.id,
                    site.owner_id,
                    site.tier,
                    required,
                    made,
                    coming,
                    gap,
                    max(0, gap - coming),
                    latest.get(site.id),
                )
            )
        return FrequencyTable(period_key(as_of, self.per), as_of, tuple(rows))


@attrs.frozen
class FrequencyRow:
    """One customer in a period: visits required, done, scheduled, the gap and what is due."""

    customer_id: str
    owner_id: str | None
    tier: str | None
    required: int
    done: int
    scheduled: int
    gap: int
    due: int
    last_visit: date | None


@attrs.frozen
class DueCustomer:
    """A to-do entry: a customer still due ``due`` visits this period."""

    customer_id: str
    owner_id: str | None
    tier: str | None
    due: int
    last_visit: date | None
    days_since: int | None


@attrs.frozen
class FrequencyTable:
    """The frequency of every customer in the period ``period`` as of ``as_of``."""

    period: str
    as_of: date
    rows: tuple[FrequencyRow, ...]

    def row(self, customer_id: str) -> FrequencyRow:
        """The row of one customer; NotFound when absent."""
        for row in self.rows:
            if row.customer_id == customer_id:
                return row
        raise NotFound(f"customer_id: {customer_id!r} is not in the table")

    def for_owner(self, owner_id: str) -> FrequencyTable:
        """Only the customers of one salesperson."""
        return attrs.evolve(self, rows=tuple(r for r in self.rows if r.owner_id == owner_id))

    def due(self) -> list[DueCustomer]:
        """Customers with visits due, most due first, then longest unvisited (never visited
        first), then by id: the salesperson's to-do list."""
        items = [
            DueCustomer(
                r.customer_id,
                r.owner_id,
                r.tier,
                r.due,
                r.last_visit,
                None if r.last_visit is None else (self.as_of - r.last_visit).days,
            )
            for r in self.rows
            if r.due > 0
        ]
        return sorted(
            items,
            key=lambda d: (
                -d.due,
                d.last_visit is not None,
                d.last_visit or self.as_of,
                d.customer_id,
            ),
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per customer (for pandas)."""
        return [
            {
                "period": self.period,
                "customer_id": r.customer_id,
                "owner_id": r.owner_id,
                "tier": r.tier,
                "required": r.required,
                "done": r.done,
                "scheduled": r.scheduled,
                "gap": r.gap,
                "due": r.due,
                "last_visit": r.last_visit,
            }
            for r in self.rows
        ]

    def _repr_html_(self) -> str:
        return html_table(f"Visit frequency {self.period} as of {self.as_of}", self.to_records())
