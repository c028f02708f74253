"""The events of the visits package: every change to a plan, a visit or a customer site."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from crmcore.events import DomainEvent

__all__ = [
    "CoVisitCheckedIn",
    "CoVisitFeedbackGiven",
    "CoVisitRequested",
    "CustomerSiteChanged",
    "CustomerSiteRegistered",
    "VisitActionRecorded",
    "VisitCancelled",
    "VisitCheckedIn",
    "VisitCheckedOut",
    "VisitNoted",
    "VisitOutsideTolerance",
    "VisitPlanAssigned",
    "VisitPlanChanged",
    "VisitRescheduled",
    "VisitScheduled",
]


@attrs.frozen(kw_only=True)
class CustomerSiteRegistered(DomainEvent):
    """A customer's visiting data (location, tier, owner) was registered."""

    owner_id: str | None
    tier: str | None


@attrs.frozen(kw_only=True)
class CustomerSiteChanged(DomainEvent):
    """A customer's location, tier, owner or attributes changed; ``what`` lists the fields."""

    owner_id: str | None
    what: tuple[str, ...]


@attrs.frozen(kw_only=True)
class VisitPlanAssigned(DomainEvent):
    """A day's visit plan was made for a salesperson (by themself or their manager)."""

    owner_id: str
    day: date
    stops: int
    distance_m: Decimal


@attrs.frozen(kw_only=True)
class VisitPlanChanged(DomainEvent):
    """A plan's stops were added, removed or re-ordered; the new total distance."""

    owner_id: str
    how: str
    stops: int
    distance_m: Decimal


@attrs.frozen(kw_only=True)
class VisitScheduled(DomainEvent):
    """A visit was planned for a day, or started ad hoc near the salesperson."""

    owner_id: str
    customer_id: str
    day: date
    ad_hoc: bool


@attrs.frozen(kw_only=True)
class VisitCheckedIn(DomainEvent):
    """The visitor checked in; distance to the customer (None without a location)."""

    owner_id: str
    customer_id: str
    distance_m: Decimal | None
    outside_tolerance: bool


@attrs.frozen(kw_only=True)
class VisitOutsideTolerance(DomainEvent):
    """A check-in (or check-out) farther from the customer than the rules allow (flagged)."""

    owner_id: str
    customer_id: str
    step: str
    distance_m: Decimal
    tolerance_m: Decimal


@attrs.frozen(kw_only=True)
class VisitActionRecorded(DomainEvent):
    """An action's form was filled in (a later revision keeps the earlier ones)."""

    owner_id: str
    action_id: str
    revision: int


@attrs.frozen(kw_only=True)
class VisitNoted(DomainEvent):
    """A note was added to the visit."""

    owner_id: str


@attrs.frozen(kw_only=True)
class VisitCheckedOut(DomainEvent):
    """The visit was finished; its duration in seconds (None without a check-in)."""

    owner_id: str
    customer_id: str
    duration_s: int | None
    overlong: bool


@attrs.frozen(kw_only=True)
class VisitRescheduled(DomainEvent):
    """A planned visit was moved to another day (and onto that day's plan, if any)."""

    owner_id: str
    customer_id: str
    from_day: date
    to_day: date
    reason: str


@attrs.frozen(kw_only=True)
class VisitCancelled(DomainEvent):
    """A planned visit was called off, with the reason."""

    owner_id: str
    reason: str


@attrs.frozen(kw_only=True)
class CoVisitRequested(DomainEvent):
    """A manager or colleague was asked to join the visit (协访)."""

    owner_id: str
    colleague_id: str


@attrs.frozen(kw_only=True)
class CoVisitCheckedIn(DomainEvent):
    """The co-visitor checked in at the customer."""

    owner_id: str
    colleague_id: str
    distance_m: Decimal | None


@attrs.frozen(kw_only=True)
class CoVisitFeedbackGiven(DomainEvent):
    """The co-visitor left feedback and a rating (1..5) on the visit."""

    owner_id: str
    colleague_id: str
    rating: int
