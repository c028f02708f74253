"""Shared values of the visits tests: a small team, customers on one meridian (so distances
are easy to check by hand: 0.001 degree of latitude is 111.20 m), rules and actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from crmcore.visits import (
    ActionCatalog,
    CustomerSite,
    GeoPoint,
    Visit,
    VisitRules,
)

MONDAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Actor("alice", {"sales"})
BOB = Actor("bob", {"sales"})
MARY = Actor("mary", {"manager"})

#: One degree of latitude on the IUGG sphere: 6,371,008.8 x pi / 180 metres.
DEGREE_M = Decimal("111195.08")
BASE = GeoPoint("31.2300", "121.4700")


def north(thousandths: int, lon: str = "121.4700") -> GeoPoint:
    """A point ``thousandths`` x 0.001 degree north of BASE's latitude (111.20 m each)."""
    return GeoPoint(Decimal("31.2300") + Decimal(thousandths) / 1000, lon)


def rules(**changes: object) -> VisitRules:
    data: dict[str, object] = {
        "check_in": "required",
        "check_out": "required",
        "tolerance_m": "200",
        "outside": "flag",
        "min_minutes": 10,
        "max_minutes": 120,
    }
    data.update(changes)
    return from_dict(VisitRules, data)


def catalog() -> ActionCatalog:
    return from_dict(
        ActionCatalog,
        {
            "actions": [
                {
                    "id": "stock",
                    "name": "Stock count",
                    "required": True,
                    "fields": [
                        {"name": "counts", "kind": "stock_counts"},
                        {"name": "note", "kind": "text", "required": False},
                    ],
                },
                {
                    "id": "shelf",
                    "name": "Shelf photo",
                    "fields": [{"name": "photo", "kind": "photo"}],
                },
                {
                    "id": "campaign",
                    "name": "Campaign execution",
                    "departments": ["retail"],
                    "required": True,
                    "fields": [
                        {"name": "executed", "kind": "boolean"},
                        {"name": "display", "kind": "choice", "choices": ["end cap", "shelf"]},
                    ],
                },
                {
                    "id": "prices",
                    "name": "Price check",
                    "fields": [{"name": "seen", "kind": "price_checks"}],
                },
            ]
        },
    )


def site(
    id: str, thousandths: int, tier: str | None = "A", owner: str = "alice", **kw: object
) -> CustomerSite:
    site = CustomerSite.register(
        id,
        f"Customer {id}",
        north(thousandths),
        by=MARY,
        at=AT - timedelta(days=30),
        owner_id=owner,
        tier=tier,
        **kw,  # type: ignore[arg-type]
    )
    site.pull_events()
    return site


def visit(
    id: str = "v1",
    customer: str = "c1",
    where: GeoPoint | None = None,
    day: date = MONDAY,
    department: str | None = "wholesale",
    owner: str = "alice",
) -> Visit:
    v = Visit.schedule(
        id,
        owner_id=owner,
        customer_id=customer,
        site=where or BASE,
        day=day,
        by=MARY,
        at=AT - timedelta(days=3),
        department=department,
    )
    v.pull_events()
    return v


STOCK = {"counts": {"SKU-1": 12, "SKU-2": 0}}
CNY = Money("12.50", "CNY")
