"""The demo's week of customer visits: managers plan their salespeople's days from the
frequency to-do list, the visits are made (some outside the tolerance, some with the
manager along, some called off), and the report prints the week's coverage table.

It runs in the month's second week, after the month's customers were converted; it touches
only visit records (plans, visits, customer sites), drawing from the story's seeded random.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final, TextIO

import attrs

from crmcore.cli._output import text_table
from crmcore.cli._words import N_, Words
from crmcore.errors import NotFound
from crmcore.ports import Actor, DirectoryUser
from crmcore.serialization import from_dict
from crmcore.services import Crm, VisitSettings
from crmcore.testing.fakes import FixedClock
from crmcore.visits import CustomerSite, GeoPoint, Grain, VisitAnalysis, VisitPlan

__all__ = ["VISIT_SETTINGS", "VISIT_TOPICS", "VisitWeek", "play_visit_week", "print_visit_week"]

#: The demo company's visit rules: check in within 200 m, 10 to 120 minutes, a stock count
#: at every visit; tier A customers 3 visits a month, B 1, C none required.
VISIT_SETTINGS: Final = from_dict(
    VisitSettings,
    {
        "rules": {"tolerance_m": "200", "min_minutes": 10, "max_minutes": 120},
        "actions": {
            "actions": [
                {
                    "id": "stock",
                    "name": "Stock count",
                    "required": True,
                    "fields": [{"name": "counts", "kind": "stock_counts"}],
                },
                {
                    "id": "shelf",
                    "name": "Shelf photo",
                    "fields": [{"name": "photo", "kind": "photo"}],
                },
            ]
        },
        "frequency": {"visits": {"A": 3, "B": 1, "C": 0}, "per": "month"},
        "nearby_radius_m": "2000",
    },
)

#: Each department's office, where the day's route starts.
OFFICES: Final = {
    "east": GeoPoint("31.2304", "121.4737"),  # Shanghai, People's Square
    "north": GeoPoint("39.9042", "116.4074"),  # Beijing, Tiananmen
}
STOPS_PER_DAY: Final = 3
#: The visits' notification topics, for the demo's table of notifications.
VISIT_TOPICS: Final = {
    "visit plan assigned to you": N_("visit plan assigned to you"),
    "co-visit requested": N_("co-visit requested"),
    "check-in outside tolerance": N_("check-in outside tolerance"),
    "co-visit feedback": N_("co-visit feedback"),
}


@attrs.frozen
class VisitWeek:
    """What the week of visits did, and its analysis per salesperson."""

    start: date
    end: date
    planned: int
    made: int
    cancelled: int
    flagged: int
    co_visits: int
    distance_m: Decimal
    analysis: VisitAnalysis
    due: int


@attrs.frozen
class _Team:
    """The demo company's people: who sells in which department, who manages it."""

    users: tuple[DirectoryUser, ...]
    sales: Mapping[str, tuple[str, ...]]
    managers: Mapping[str, str]

    def actor(self, user_id: str) -> Actor:
        return next(u for u in self.users if u.id == user_id).as_actor()

    def department(self, user_id: str) -> str:
        return next(str(u.department) for u in self.users if u.id == user_id)


def _near(point: GeoPoint, rng: random.Random, metres: int) -> GeoPoint:
    """A point about ``metres`` north-east of ``point`` (0.00001 degree is about 1.1 m)."""
    step = Decimal(metres) / Decimal(111195) / Decimal(2)
    return GeoPoint(
        (point.lat + step * Decimal(rng.randint(8, 12)) / 10).quantize(Decimal("0.000001")),
        (point.lon + step * Decimal(rng.randint(8, 12)) / 10).quantize(Decimal("0.000001")),
    )


def _register(
    crm: Crm, team: _Team, rng: random.Random, customers: Mapping[str, tuple[str, str]]
) -> None:
    """Give every converted customer a site near its salesperson's office."""
    for customer, (owner, tier) in sorted(customers.items()):
        with crm.storage.unit_of_work() as uow:
            try:
                uow.repository(CustomerSite).get(customer)
                continue
            except NotFound:
                pass
        office = OFFICES[team.department(owner)]
        where = GeoPoint(
            office.lat + Decimal(rng.randint(-300, 300)) / 10000,
            office.lon + Decimal(rng.randint(-300, 300)) / 10000,
        )
        manager = team.actor(team.managers[team.department(owner)])
        crm.visits.register_customer(
            manager, customer, f"Customer {customer}", where, owner_id=owner, tier=tier
        )


def play_visit_week(
    crm: Crm,
    clock: FixedClock,
    rng: random.Random,
    month_start: date,
    customers: Mapping[str, tuple[str, str]],
    *,
    users: tuple[DirectoryUser, ...],
    sales: Mapping[str, tuple[str, ...]],
    managers: Mapping[str, str],
) -> VisitWeek:
    """Plan and make a week of visits (Monday to Friday of the month's second week) for
    ``customers`` (id -> owner, tier), with the company's ``users``, ``sales`` people per
    department and their ``managers``."""
    team = _Team(users, sales, managers)
    _register(crm, team, rng, customers)
    monday = month_start + timedelta(days=(7 - month_start.weekday()) % 7 + 7)
    counts = {"planned": 0, "made": 0, "cancelled": 0, "flagged": 0, "co_visits": 0}
    distance = Decimal("0.00")
    for offset in range(5):
        day = monday + timedelta(days=offset)
        for department, people in sorted(sales.items()):
            manager = team.actor(managers[department])
            for person in people:
                clock.set(datetime(day.year, day.month, day.day, 8, tzinfo=UTC))
                due = [d.customer_id for d in crm.visits.due(manager, day, owner_id=person)]
                if not due:
                    continue
                plan = crm.visits.plan_day(
                    manager, person, day, due[:STOPS_PER_DAY], start=OFFICES[department]
                )
                counts["planned"] += len(plan.stops)
                distance += plan.distance_m
                _make_the_visits(crm, clock, rng, plan, team.actor(person), manager, counts)
    end = monday + timedelta(days=4)
    clock.set(datetime(end.year, end.month, end.day, 19, tzinfo=UTC))
    director = Actor("director", {"admin"})
    analysis = crm.visits.analysis(director, monday, end, grain=Grain.WEEK)
    still_due = sum(d.due for d in crm.visits.due(director, end))
    return VisitWeek(
        monday,
        end,
        counts["planned"],
        counts["made"],
        counts["cancelled"],
        counts["flagged"],
        counts["co_visits"],
        distance,
        analysis,
        still_due,
    )


def _make_the_visits(
    crm: Crm,
    clock: FixedClock,
    rng: random.Random,
    plan: VisitPlan,
    person: Actor,
    manager: Actor,
    counts: dict[str, int],
) -> None:
    clock.advance(hours=1)
    for stop in plan.stops:
        clock.advance(minutes=rng.randint(20, 50))  # travel
        chance = rng.random()
        if chance < 0.1:
            crm.visits.cancel(person, stop.visit_id, "customer not available")
            counts["cancelled"] += 1
            continue
        if chance < 0.15:
            continue  # not made: the plan shows it as missed
        metres = 350 if rng.random() < 0.12 else rng.randint(5, 120)
        stamp = crm.visits.check_in(person, stop.visit_id, _near(stop.location, rng, metres))
        counts["flagged"] += stamp.outside_tolerance
        joined = rng.random() < 0.15
        if joined:
            crm.visits.request_co_visit(person, stop.visit_id, manager.user_id)
            crm.visits.co_visit_check_in(manager, stop.visit_id, stop.location)
            counts["co_visits"] += 1
        clock.advance(minutes=rng.randint(5, 15))
        crm.visits.record_action(
            person, stop.visit_id, "stock", {"counts": {"PUMP-S": rng.randint(0, 30)}}
        )
        if rng.random() < 0.5:
            crm.visits.record_action(
                person, stop.visit_id, "shelf", {"photo": f"photo://{stop.visit_id}/shelf"}
            )
        clock.advance(minutes=rng.randint(10, 50))
        if joined:
            crm.visits.co_visit_feedback(
                manager, stop.visit_id, rng.randint(3, 5), "Well prepared; ask for the order"
            )
        crm.visits.check_out(person, stop.visit_id, stop.location)
        counts["made"] += 1


def print_visit_week(out: TextIO, week: VisitWeek, w: Words) -> None:
    """The week's coverage table: per salesperson planned, made, completion, coverage of
    their customers, check-ins outside the tolerance, average minutes."""
    out.write(
        w._(
            "{planned} visits planned from {start} to {end} ({km} km of routes): {made} made, "
            "{cancelled} called off, {flagged} check-ins outside the tolerance, {co} with a "
            "manager along; {due} visits still due this month.",
            planned=week.planned,
            start=w.day(week.start),
            end=w.day(week.end),
            km=(week.distance_m / 1000).quantize(Decimal("0.1")),
            made=week.made,
            cancelled=week.cancelled,
            flagged=week.flagged,
            co=week.co_visits,
            due=week.due,
        )
        + "\n\n"
    )
    header = [
        w._("salesperson"),
        w._("planned"),
        w._("made"),
        w._("completion"),
        w._("coverage"),
        w._("outside tolerance"),
        w._("average minutes"),
    ]
    rows = [
        [
            r.owner_id,
            str(r.planned),
            str(r.completed),
            "" if r.completion_rate is None else f"{r.completion_rate} %",
            ""
            if r.coverage is None
            else f"{r.coverage} % ({r.owned_covered}/{r.owned_customers})",
            str(r.outside_tolerance),
            "" if r.average_minutes is None else str(r.average_minutes),
        ]
        for r in week.analysis.rows
    ]
    out.write(text_table(header, rows, 6))
