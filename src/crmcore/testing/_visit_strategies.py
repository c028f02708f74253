"""Hypothesis strategies for the visits package: points, customer sites, plans and visits in
every state, each built through the public API with generated inputs."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from hypothesis import strategies as st

from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.visits import (
    ActionCatalog,
    ActionSpec,
    CustomerSite,
    FieldKind,
    FieldSpec,
    GeoPoint,
    PlannedStop,
    Visit,
    VisitPlan,
    VisitRules,
    VisitStatus,
)

__all__ = [
    "VISIT_ACTIONS",
    "VISIT_RULES",
    "customer_sites",
    "geo_points",
    "visit_plans",
    "visits",
]

_serial = itertools.count(1)
_START: Final = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_OWNER = Actor("ann", {"sales"})
_MANAGER = Actor("mia", {"manager"})

#: The rules the generated visits follow: required check-in and check-out within 300 m.
VISIT_RULES: Final = VisitRules(tolerance_m=Decimal(300), min_minutes=5, max_minutes=90)
#: The actions the generated visits record (a required stock count, an optional price check).
VISIT_ACTIONS: Final = ActionCatalog(
    (
        ActionSpec(
            id="stock",
            required=True,
            fields=(FieldSpec(name="counts", kind=FieldKind.STOCK_COUNTS),),
        ),
        ActionSpec(
            id="prices",
            fields=(
                FieldSpec(name="seen", kind=FieldKind.PRICE_CHECKS),
                FieldSpec(name="note", kind=FieldKind.TEXT, required=False),
            ),
        ),
    )
)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def geo_points(
    lat: tuple[str, str] = ("31.0", "31.4"), lon: tuple[str, str] = ("121.2", "121.6")
) -> st.SearchStrategy[GeoPoint]:
    """Points with six decimal places (about 0.1 m) inside the given box (Shanghai)."""
    return st.builds(
        GeoPoint,
        st.decimals(Decimal(lat[0]), Decimal(lat[1]), places=6, allow_nan=False),
        st.decimals(Decimal(lon[0]), Decimal(lon[1]), places=6, allow_nan=False),
    )


def _near(point: GeoPoint, draw: st.DrawFn) -> GeoPoint:
    """A point up to about 550 m from ``point`` (0.005 degree each way)."""
    step = st.decimals(Decimal("-0.005"), Decimal("0.005"), places=5, allow_nan=False)
    return GeoPoint(point.lat + draw(step), point.lon + draw(step))


@st.composite
def customer_sites(draw: st.DrawFn) -> CustomerSite:
    """A registered customer site, perhaps changed once (tier, location, active)."""
    site = CustomerSite.register(
        _id("cust"),
        draw(st.sampled_from(["Hua Mart", "Lin Grocery", "Zhou Foods", "张记"])),
        draw(geo_points()),
        by=_MANAGER,
        at=_START,
        owner_id=draw(st.sampled_from(["ann", "bob", None])),
        tier=draw(st.sampled_from(["A", "B", "C", None])),
        type=draw(st.sampled_from(["retail", "wholesale", None])),
        region=draw(st.sampled_from(["huangpu", "jingan", None])),
        campaigns=draw(st.frozensets(st.sampled_from(["spring", "autumn"]))),
    )
    if draw(st.booleans()):
        site.update(
            _MANAGER,
            at=_START + timedelta(days=1),
            tier=draw(st.sampled_from(["A", "B"])),
            location=draw(geo_points()),
            active=draw(st.booleans()),
        )
    return site


@st.composite
def visit_plans(draw: st.DrawFn, max_stops: int = 6) -> VisitPlan:
    """A day's plan of 0..``max_stops`` stops, perhaps optimised, re-ordered or trimmed."""
    points = draw(st.lists(geo_points(), max_size=max_stops, unique=True))
    stops = [PlannedStop(_id("cust"), p, _id("visit")) for p in points]
    plan = VisitPlan.create(
        _id("plan"),
        owner_id="ann",
        day=_START.date() + timedelta(days=draw(st.integers(0, 30))),
        stops=stops,
        by=_MANAGER,
        at=_START,
        start=draw(st.one_of(st.none(), geo_points())),
        optimise=draw(st.booleans()),
    )
    at = _START
    for step in draw(st.lists(st.sampled_from(["optimise", "reverse", "drop"]), max_size=3)):
        at += timedelta(minutes=draw(st.integers(1, 120)))
        if step == "optimise":
            plan.optimise(_OWNER, at=at)
        elif step == "reverse":
            plan.reorder(_OWNER, list(reversed(plan.order)), at=at)
        elif plan.stops:
            plan.remove_stop(_OWNER, plan.order[-1], at=at)
    return plan


@st.composite
def visits(draw: st.DrawFn, statuses: Iterable[VisitStatus] = tuple(VisitStatus)) -> Visit:
    """A visit in one of ``statuses``, with the check-ins, actions (and corrections), notes
    and co-visits a real one would have (rules: ``VISIT_RULES``)."""
    status = draw(st.sampled_from(list(statuses)))
    site = draw(geo_points())
    day = _START.date() + timedelta(days=draw(st.integers(0, 60)))
    at = datetime.combine(day, _START.timetz())
    visit = Visit.schedule(
        _id("visit"),
        owner_id="ann",
        customer_id=_id("cust"),
        site=site,
        day=day,
        by=_MANAGER,
        at=at - timedelta(days=1),
        department=draw(st.sampled_from(["retail", None])),
        plan_id=draw(st.one_of(st.none(), st.just(_id("plan")))),
        ad_hoc=draw(st.booleans()),
    )
    if draw(st.booleans()):
        visit.request_co_visit(_OWNER, "mia", at=at - timedelta(hours=1))
    if status is VisitStatus.CANCELLED:
        visit.cancel(_MANAGER, draw(st.sampled_from(["closed", "buyer away"])), at=at)
        return visit
    if status is VisitStatus.PLANNED:
        return visit
    visit.check_in_at(_OWNER, _near(site, draw), VISIT_RULES, at=at)
    counts = draw(
        st.dictionaries(st.sampled_from(["SKU-1", "SKU-2"]), st.integers(0, 50), min_size=1)
    )
    for _ in range(draw(st.integers(1, 2))):
        at += timedelta(minutes=draw(st.integers(1, 20)))
        visit.record_action(_OWNER, "stock", {"counts": counts}, VISIT_ACTIONS, VISIT_RULES, at=at)
    if draw(st.booleans()):
        price = Money(draw(st.decimals(Decimal(0), Decimal(500), places=2)), "CNY")
        visit.record_action(
            _OWNER,
            "prices",
            {"seen": {"SKU-1": price}, "note": "promo tag"},
            VISIT_ACTIONS,
            VISIT_RULES,
            at=at,
        )
    joins: bool = draw(st.booleans())
    if joins and visit.co_visits:
        at += timedelta(minutes=1)
        visit.co_visit_check_in(_MANAGER, _near(site, draw), VISIT_RULES, at=at)
        visit.co_visit_feedback(_MANAGER, draw(st.integers(1, 5)), "well done", at=at)
    if draw(st.booleans()):
        visit.add_note(_OWNER, draw(st.sampled_from(["met the buyer", "需要补货"])), at=at)
    if status is VisitStatus.COMPLETED:
        at += timedelta(minutes=draw(st.integers(5, 150)))
        visit.check_out_at(_OWNER, _near(site, draw), VISIT_RULES, VISIT_ACTIONS, at=at)
    return visit
