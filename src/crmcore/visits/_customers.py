"""Customers as visits see them: where they are, their tier, owner and attributes; choosing
customers by attributes for a plan, and finding customers near a location (附近的客户)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._decimal import to_decimal
from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.ports import Actor
from crmcore.visits._events import CustomerSiteChanged, CustomerSiteRegistered
from crmcore.visits._geo import GeoPoint, distance_m

__all__ = ["CustomerSelector", "CustomerSite", "Nearby", "nearby"]


def _names(value: Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _point(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, GeoPoint):
        raise ValidationError(f"{attribute.name}: expected a GeoPoint, got {value!r}")


#: A lower bound of the metres per degree of latitude (R1 x pi / 180 = 111,195.08...).
_DEGREE_M = Decimal(111195)

_CHANGEABLE = ("name", "location", "owner_id", "tier", "type", "region", "campaigns", "active")


@attrs.define
class CustomerSite(AggregateRoot):
    """A customer's visiting record: registered location, owner, tier (A, B...), type,
    region and the campaigns it takes part in. Change it with ``update``."""

    aggregate_kind: ClassVar[str] = "visit_customer"
    aware_times: ClassVar[bool] = True

    id: str = attrs.field(validator=non_empty)
    name: str
    location: GeoPoint = attrs.field(validator=_point)
    owner_id: str | None = None
    tier: str | None = None
    type: str | None = None
    region: str | None = None
    campaigns: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    active: bool = True
    updated_at: datetime | None = None

    @classmethod
    def register(
        cls,
        id: str,
        name: str,
        location: GeoPoint,
        *,
        by: Actor,
        at: datetime,
        owner_id: str | None = None,
        tier: str | None = None,
        type: str | None = None,
        region: str | None = None,
        campaigns: Iterable[str] = (),
    ) -> CustomerSite:
        """A customer's site, ready to plan visits to."""
        check_actor(by)
        check_time(at, aware=True)
        site = cls(
            id,
            name,
            location,
            owner_id=owner_id,
            tier=tier,
            type=type,
            region=region,
            campaigns=frozenset(campaigns),
            updated_at=at,
        )
        site._emit(CustomerSiteRegistered, by, at, owner_id=owner_id, tier=tier)
        return site

    def update(self, actor: Actor, *, at: datetime, **changes: Any) -> None:
        """Change some of name, location, owner_id, tier, type, region, campaigns, active."""
        self._check_change(actor, at)
        unknown = sorted(set(changes) - set(_CHANGEABLE))
        if unknown:
            raise ValidationError(f"{unknown[0]}: not a changeable field of a customer site")
        if not changes:
            raise ValidationError("changes: nothing to change")
        candidate = attrs.evolve(self, **changes)  # runs the validators; self is untouched
        for name in changes:
            setattr(self, name, getattr(candidate, name))
        self.updated_at = at
        self._emit(
            CustomerSiteChanged, actor, at, owner_id=self.owner_id, what=tuple(sorted(changes))
        )

    def _last_change_at(self) -> datetime | None:
        return self.updated_at


@attrs.frozen(kw_only=True)
class CustomerSelector:
    """Which customers a batch plan takes: every given attribute must match (an empty set
    means any); ``campaign`` matches customers taking part in any of the campaigns."""

    tiers: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    types: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    regions: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    campaigns: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    owner_id: str | None = None

    def matches(self, site: CustomerSite) -> bool:
        """True when ``site`` is active and has every attribute asked for."""
        return (
            site.active
            and (not self.tiers or site.tier in self.tiers)
            and (not self.types or site.type in self.types)
            and (not self.regions or site.region in self.regions)
            and (not self.campaigns or not self.campaigns.isdisjoint(site.campaigns))
            and (self.owner_id is None or site.owner_id == self.owner_id)
        )

    def select(self, sites: Iterable[CustomerSite]) -> list[CustomerSite]:
        """The matching sites, by id."""
        return sorted((s for s in sites if self.matches(s)), key=lambda s: s.id)


@attrs.frozen
class Nearby:
    """A customer near the asked location and its distance in metres."""

    customer_id: str
    name: str
    distance_m: Decimal


def nearby(
    sites: Iterable[CustomerSite],
    location: GeoPoint,
    radius_m: Decimal | int | str,
    *,
    limit: int | None = None,
) -> list[Nearby]:
    """Active customers within ``radius_m`` of ``location``, nearest first (ties by id)."""
    if not isinstance(location, GeoPoint):
        raise ValidationError(f"location: expected a GeoPoint, got {location!r}")
    radius = to_decimal(radius_m, "radius_m")
    if radius <= 0:
        raise ValidationError(f"radius_m: must be > 0, got {radius}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(f"limit: expected a whole number >= 1, got {limit!r}")
    found = []
    for site in sites:
        # One degree of latitude is 111,195.08 m on this sphere: a cheap, safe pre-filter.
        if not site.active or abs(site.location.lat - location.lat) * _DEGREE_M > radius:
            continue
        d = distance_m(location, site.location)
        if d <= radius:
            found.append(Nearby(site.id, site.name, d))
    found.sort(key=lambda n: (n.distance_m, n.customer_id))
    return found if limit is None else found[:limit]
