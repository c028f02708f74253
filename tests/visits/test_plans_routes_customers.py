"""Day plans and their routes (distances stated and checked), customers chosen by attributes,
customers near a location."""

from __future__ import annotations

import copy
import itertools
import math
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import InvariantViolation, NotFound, ValidationError
from crmcore.visits import (
    CustomerSelector,
    GeoPoint,
    PlannedStop,
    Stop,
    VisitPlan,
    VisitPlanAssigned,
    nearby,
    plan_route,
    route_of,
)

from .visits_helpers import ALICE, AT, BASE, MARY, MONDAY, north, site

THOUSANDTH = Decimal("111.20")  # 0.001 degree of latitude, rounded to the centimetre


def _float_haversine(a: GeoPoint, b: GeoPoint) -> float:
    """An independent float check of the Decimal haversine (tests only)."""
    p1, p2 = math.radians(float(a.lat)), math.radians(float(b.lat))
    dp, dl = p2 - p1, math.radians(float(b.lon - a.lon))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def test_the_route_as_listed_states_every_leg() -> None:
    stops = [Stop("c5", north(5)), Stop("c1", north(1)), Stop("c3", north(3))]
    route = route_of(stops, BASE)
    assert [(leg.from_id, leg.to_id, leg.distance_m) for leg in route.legs] == [
        (None, "c5", Decimal("555.98")),  # 0.005 degree
        ("c5", "c1", Decimal("444.78")),  # 0.004 degree
        ("c1", "c3", Decimal("222.39")),  # 0.002 degree
    ]
    assert route.total_m == Decimal("1223.15")


def test_on_a_line_nearest_neighbour_walks_outwards() -> None:
    stops = [
        Stop("c5", north(5)),
        Stop("c1", north(1)),
        Stop("c3", north(3)),
        Stop("c2", north(2)),
    ]
    route = plan_route(stops, BASE)
    assert route.order == ("c1", "c2", "c3", "c5")
    assert [leg.distance_m for leg in route.legs] == [THOUSANDTH] * 3 + [Decimal("222.39")]
    assert route.total_m == Decimal("555.99")  # legs rounded one by one (0.005 degree: 555.98)


def test_two_opt_uncrosses_what_nearest_neighbour_left() -> None:
    points = {
        "c0": GeoPoint("31.290", "121.440"),
        "c1": GeoPoint("31.250", "121.480"),
        "c2": GeoPoint("31.200", "121.470"),
        "c3": GeoPoint("31.230", "121.400"),
        "c4": GeoPoint("31.220", "121.410"),
    }
    start = GeoPoint("31.200", "121.400")
    stops = [Stop(c, p) for c, p in points.items()]
    # nearest neighbour alone: start c4 c3 c2 c1 c0 = 22,819.27 m; 2-opt reverses c4 c3
    greedy = route_of([stops[i] for i in (4, 3, 2, 1, 0)], start)
    assert greedy.total_m == Decimal("22819.27")
    route = plan_route(stops, start)
    assert route.order == ("c3", "c4", "c2", "c1", "c0")
    assert route.total_m == Decimal("22414.73")
    # the best of all 120 orders, and an independent float haversine agrees to a centimetre
    best = min(
        (route_of(list(p), start).total_m for p in itertools.permutations(stops)),
    )
    assert route.total_m == best
    legs = [start, *(points[c] for c in route.order)]
    floats = sum(_float_haversine(a, b) for a, b in itertools.pairwise(legs))
    assert abs(Decimal(repr(floats)) - route.total_m) < Decimal("0.03")


def test_without_a_start_the_first_listed_stop_begins_the_route() -> None:
    stops = [Stop("c3", north(3)), Stop("c1", north(1)), Stop("c4", north(4))]
    route = plan_route(stops)
    assert route.order == ("c3", "c4", "c1")
    assert route.total_m == THOUSANDTH + Decimal("333.59")
    assert plan_route([]).total_m == Decimal("0.00")
    assert plan_route([Stop("c1", north(1))], BASE).total_m == THOUSANDTH


def test_a_customer_twice_on_a_route_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"stops: customers \['c1'\] appear twice"):
        plan_route([Stop("c1", BASE), Stop("c1", north(1))])
    with pytest.raises(ValidationError, match="stops\\[0\\]: expected a Stop"):
        route_of([("c1", BASE)])  # type: ignore[list-item]


_POINTS = st.builds(
    lambda a, b: GeoPoint(Decimal(a) / 1000 + 31, Decimal(b) / 1000 + 121),
    st.integers(0, 200),
    st.integers(0, 200),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_POINTS, min_size=0, max_size=7, unique=True), st.booleans())
def test_a_planned_route_is_a_permutation_no_single_reversal_can_shorten(
    points: list[GeoPoint], with_start: bool
) -> None:
    stops = [Stop(f"c{i}", p) for i, p in enumerate(points)]
    start = GeoPoint("31.1", "121.1") if with_start else None
    route = plan_route(stops, start)
    assert sorted(route.order) == sorted(s.customer_id for s in stops)
    assert route.total_m == sum((leg.distance_m for leg in route.legs), Decimal("0.00"))
    assert plan_route(stops, start) == route  # deterministic
    fixed = 0 if start is not None else 1
    listed = list(route.stops)
    for i in range(fixed, len(listed)):
        for j in range(i + 1, len(listed)):
            flipped = listed[:i] + listed[i : j + 1][::-1] + listed[j + 1 :]
            assert route_of(flipped, start).total_m >= route.total_m - Decimal("0.05")


def _plan(**kw: object) -> VisitPlan:
    stops = [
        PlannedStop("c5", north(5), "v5"),
        PlannedStop("c1", north(1), "v1"),
        PlannedStop("c3", north(3), "v3"),
    ]
    return VisitPlan.create(
        "p1",
        owner_id="alice",
        day=MONDAY,
        stops=stops,
        by=MARY,
        at=AT,
        start=BASE,
        **kw,  # type: ignore[arg-type]
    )


def test_a_plan_states_its_distance_and_is_optimised_on_request() -> None:
    plan = _plan()
    assert plan.order == ("c5", "c1", "c3")
    assert plan.distance_m == Decimal("1223.15")
    (assigned,) = plan.pull_events()
    assert isinstance(assigned, VisitPlanAssigned)
    assert (assigned.owner_id, assigned.stops, assigned.distance_m) == (
        "alice",
        3,
        Decimal("1223.15"),
    )
    route = plan.optimise(ALICE, at=AT + timedelta(minutes=1))
    assert plan.order == ("c1", "c3", "c5")
    assert route.total_m == plan.distance_m == THOUSANDTH + Decimal("222.39") * 2
    assert [c.how for c in plan.history] == ["created", "optimised"]
    assert _plan(optimise=True).order == ("c1", "c3", "c5")


def test_stops_are_added_removed_and_reordered_with_history() -> None:
    plan = _plan()
    plan.add_stop(ALICE, PlannedStop("c2", north(2), "v2"), at=AT + timedelta(minutes=1))
    with pytest.raises(InvariantViolation, match=r"customers \['c2'\] appear twice"):
        plan.add_stop(ALICE, PlannedStop("c2", north(2), "v9"), at=AT + timedelta(minutes=2))
    removed = plan.remove_stop(ALICE, "c5", at=AT + timedelta(minutes=2))
    assert removed.visit_id == "v5"
    plan.reorder(ALICE, ["c1", "c2", "c3"], at=AT + timedelta(minutes=3))
    assert plan.distance_m == THOUSANDTH * 3
    before = copy.deepcopy(plan)
    with pytest.raises(ValidationError, match="order: must list each stop of plan p1 once"):
        plan.reorder(ALICE, ["c1", "c1", "c3"], at=AT + timedelta(minutes=4))
    with pytest.raises(NotFound, match="customer_id: plan p1 has no stop at 'c9'"):
        plan.remove_stop(ALICE, "c9", at=AT + timedelta(minutes=4))
    assert plan == before
    assert [c.order for c in plan.history] == [
        ("c5", "c1", "c3"),
        ("c5", "c1", "c3", "c2"),
        ("c1", "c3", "c2"),
        ("c1", "c2", "c3"),
    ]


def test_a_days_route_is_reused_on_another_day() -> None:
    plan = _plan(optimise=True)
    copied = plan.copy_to("p2", MONDAY + timedelta(days=7), ["w1", "w3", "w5"], by=ALICE, at=AT)
    assert copied.order == plan.order
    assert copied.distance_m == plan.distance_m
    assert [s.visit_id for s in copied.stops] == ["w1", "w3", "w5"]
    assert (copied.copied_from, copied.history[0].how) == ("p1", "copied")
    with pytest.raises(ValidationError, match="visit_ids: plan p1 has 3 stops, got 1 ids"):
        plan.copy_to("p3", MONDAY, ["x"], by=ALICE, at=AT)
    with pytest.raises(ValidationError, match="day: plan p1 is already for 2026-03-02"):
        plan.copy_to("p3", MONDAY, ["x", "y", "z"], by=ALICE, at=AT)


def test_customers_are_chosen_by_attributes() -> None:
    sites = [
        site("c1", 1, "A", region="east", type="retail", campaigns=["spring"]),
        site("c2", 2, "B", region="east", type="wholesale"),
        site("c3", 3, "A", region="west", type="retail"),
        site("c4", 4, "A", owner="bob", region="east", type="retail", campaigns=["spring"]),
    ]
    pick = CustomerSelector(tiers={"A"}, regions={"east"})
    assert [s.id for s in pick.select(sites)] == ["c1", "c4"]
    assert [
        s.id for s in CustomerSelector(campaigns="spring", owner_id="alice").select(sites)
    ] == ["c1"]
    sites[0].update(MARY, at=AT, active=False)
    assert [s.id for s in pick.select(sites)] == ["c4"]


def test_customers_near_a_location_with_their_distance() -> None:
    sites = [site("c1", 1), site("c3", 3), site("c9", 9), site("c2", 2)]
    found = nearby(sites, BASE, "300")
    assert [(n.customer_id, n.distance_m) for n in found] == [
        ("c1", Decimal("111.20")),
        ("c2", Decimal("222.39")),
    ]
    assert [n.customer_id for n in nearby(sites, north(3), 1000, limit=2)] == ["c3", "c2"]
    with pytest.raises(ValidationError, match=r"radius_m: float 0\.3 refused"):
        nearby(sites, BASE, 0.3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="radius_m: must be > 0"):
        nearby(sites, BASE, 0)
    with pytest.raises(ValidationError, match="limit: expected a whole number >= 1"):
        nearby(sites, BASE, 10, limit=0)


def test_a_customer_site_changes_with_its_fields_checked() -> None:
    s = site("c1", 1)
    s.update(MARY, at=AT, tier="B", location=north(2))
    assert (s.tier, s.location) == ("B", north(2))
    (changed,) = s.pull_events()
    assert changed.what == ("location", "tier")  # type: ignore[attr-defined]
    before = copy.deepcopy(s)
    with pytest.raises(ValidationError, match="colour: not a changeable field"):
        s.update(MARY, at=AT, colour="red")
    with pytest.raises(ValidationError, match="location: expected a GeoPoint"):
        s.update(MARY, at=AT, location="here")
    with pytest.raises(ValidationError, match=r"is before visit_customer .*last change"):
        s.update(MARY, at=AT - timedelta(days=1), tier="C")
    assert s == before
