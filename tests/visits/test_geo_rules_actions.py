"""Distances checked by hand, coordinates and configuration refused with the field named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore.errors import ConfigError, NotFound, PermissionDenied, ValidationError
from crmcore.money import Money
from crmcore.serialization import from_dict
from crmcore.visits import (
    EARTH_RADIUS_M,
    ActionCatalog,
    GeoPoint,
    OutsidePolicy,
    Requirement,
    VisitRules,
    distance_m,
)

from .visits_helpers import BASE, DEGREE_M, catalog, north


def test_one_degree_along_a_meridian_is_r_times_pi_over_180() -> None:
    # 6,371,008.8 x 3.14159265358979... / 180 = 111,195.0802... m
    assert Decimal("6371008.8") == EARTH_RADIUS_M
    assert distance_m(GeoPoint("0", "0"), GeoPoint("1", "0")) == DEGREE_M
    assert distance_m(GeoPoint("0", "0"), GeoPoint("0", "1")) == DEGREE_M  # on the equator


def test_half_the_equator_and_pole_to_pole_are_pi_r() -> None:
    # pi x 6,371,008.8 = 20,015,114.442 m
    assert distance_m(GeoPoint("0", "0"), GeoPoint("0", "180")) == Decimal("20015114.44")
    assert distance_m(GeoPoint("90", "0"), GeoPoint("-90", "0")) == Decimal("20015114.44")


def test_small_steps_on_a_meridian_scale_exactly() -> None:
    # 0.001 degree = 111.195 m -> 111.20; 0.005 degree = 555.975 -> 555.98
    assert distance_m(BASE, north(1)) == Decimal("111.20")
    assert distance_m(BASE, north(5)) == Decimal("555.98")
    assert distance_m(north(5), BASE) == Decimal("555.98")
    assert distance_m(BASE, BASE) == Decimal("0.00")


def test_shanghai_to_beijing_on_the_sphere() -> None:
    # People's Square to Tiananmen: haversine on R1 gives 1,067,311.645 m
    shanghai, beijing = GeoPoint("31.2304", "121.4737"), GeoPoint("39.9042", "116.4074")
    assert distance_m(shanghai, beijing) == Decimal("1067311.65")


def test_at_a_longitude_step_the_parallel_shrinks_with_the_cosine() -> None:
    # at 60 degrees north one degree of longitude is about half of one at the equator
    d = distance_m(GeoPoint("60", "0"), GeoPoint("60", "1"))
    assert Decimal("55597") < d < DEGREE_M / 2


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        (0.5, "1", "lat: float 0.5 refused"),
        ("1", 0.25, "lon: float 0.25 refused"),
        ("90.0001", "0", "lat: must be between -90 and 90"),
        ("0", "-180.5", "lon: must be between -180 and 180"),
        ("north", "0", "lat: 'north' is not a decimal number"),
        ("NaN", "0", "lat: 'NaN' is not a decimal number"),
    ],
)
def test_bad_coordinates_are_refused_naming_the_field(
    lat: object, lon: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        GeoPoint(lat, lon)  # type: ignore[arg-type]


def test_distance_wants_points() -> None:
    with pytest.raises(ValidationError, match="to: expected a GeoPoint"):
        distance_m(BASE, (31, 121))  # type: ignore[arg-type]


def test_rules_load_from_data_with_defaults() -> None:
    rules = from_dict(VisitRules, {"tolerance_m": "300", "outside": "refuse"})
    assert rules.check_in is Requirement.REQUIRED
    assert rules.tolerance_m == Decimal(300)
    assert rules.outside is OutsidePolicy.REFUSE
    assert rules.min_minutes is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tolerance_m": 0.5}, "tolerance_m: float 0.5 refused"),
        ({"tolerance_m": "0"}, "tolerance_m: must be > 0 metres"),
        ({"check_in": "sometimes"}, "check_in: 'sometimes' is not one of"),
        ({"min_minutes": 30, "max_minutes": 20}, "max_minutes: 20 is below min_minutes 30"),
        ({"min_minutes": -1}, "min_minutes: must be >= 0"),
        ({"check_in": "off", "check_out": "off"}, "cannot both be off"),
        ({"radius": 5}, "unknown keys"),
    ],
)
def test_bad_rules_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(VisitRules, data)


def test_actions_per_department() -> None:
    actions = catalog()
    assert [a.id for a in actions.for_department("wholesale")] == ["stock", "shelf", "prices"]
    assert actions.required_for("wholesale") == ("stock",)
    assert actions.required_for("retail") == ("stock", "campaign")
    with pytest.raises(PermissionDenied, match="'campaign' is not available to department"):
        actions.clean("campaign", "wholesale", {"executed": True, "display": "shelf"})
    with pytest.raises(NotFound, match="action_id: no visit action 'survey'"):
        actions.get("survey")


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("stock", {}, "stock.counts: required"),
        ("stock", {"counts": {"SKU-1": -1}}, r"stock.counts.SKU-1: expected whole units >= 0"),
        ("stock", {"counts": {"SKU-1": 1.0}}, r"stock.counts.SKU-1: expected whole units"),
        ("stock", {"counts": {}}, "stock.counts: expected a non-empty mapping"),
        ("stock", {"counts": {"A": 1}, "colour": "red"}, r"stock: unknown fields \['colour'\]"),
        ("shelf", {"photo": "  "}, "shelf.photo: expected non-empty text"),
        ("campaign", {"executed": "yes", "display": "shelf"}, "campaign.executed: expected true"),
        ("campaign", {"executed": True, "display": "floor"}, "campaign.display: 'floor' is not"),
        ("prices", {"seen": {"SKU-1": Decimal("3")}}, "prices.seen.SKU-1: expected a Money"),
    ],
)
def test_bad_form_data_names_the_field(action: str, data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        catalog().clean(action, "retail", data)


def test_form_data_is_normalised() -> None:
    cleaned = catalog().clean(
        "prices", None, {"seen": {"SKU-2": Money("9.9", "CNY"), "SKU-1": Money(8, "CNY")}}
    )
    assert list(cleaned["seen"]) == ["SKU-1", "SKU-2"]  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"actions": [{"id": "a", "fields": []}]}, "a.fields: an action needs at least one"),
        (
            {"actions": [{"id": "a", "fields": [{"name": "x", "kind": "choice"}]}]},
            "x.choices: a choice field needs its choices",
        ),
        (
            {
                "actions": [
                    {"id": "a", "fields": [{"name": "x", "kind": "text"}]},
                    {"id": "a", "fields": [{"name": "x", "kind": "text"}]},
                ]
            },
            r"actions: ids \['a'\] appear twice",
        ),
        (
            {"actions": [{"id": "a", "fields": [{"name": "x", "kind": "colour"}]}]},
            "kind: 'colour' is not one of",
        ),
    ],
)
def test_bad_catalogs_name_the_path(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(ActionCatalog, data)
