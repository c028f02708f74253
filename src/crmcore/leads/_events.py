"""The events of the leads package: every change to a lead or a pool leaves one."""

from __future__ import annotations

from datetime import date

import attrs

from crmcore.events import DomainEvent

__all__ = [
    "LeadAssigned",
    "LeadCaptured",
    "LeadConverted",
    "LeadFollowedUp",
    "LeadHandedOver",
    "LeadInvalidated",
    "LeadLeftUnassigned",
    "LeadPooled",
    "LeadRecycled",
    "LeadReturned",
    "PoolMemberAdded",
    "PoolMemberChanged",
    "PoolMemberRemoved",
]


@attrs.frozen(kw_only=True)
class LeadCaptured(DomainEvent):
    """A lead entered the system (from a campaign, a referral, a flyer...)."""

    source: str
    campaign_id: str | None


@attrs.frozen(kw_only=True)
class LeadPooled(DomainEvent):
    """A lead was placed in a pool; ``rule`` names the routing rule that matched, if any."""

    pool_id: str
    rule: str | None


@attrs.frozen(kw_only=True)
class LeadAssigned(DomainEvent):
    """A lead got an owner: by the pool's policy, by an admin, or claimed by the member."""

    pool_id: str
    owner_id: str
    how: str


@attrs.frozen(kw_only=True)
class LeadLeftUnassigned(DomainEvent):
    """The pool's policy found nobody with room: the lead stays in the pool unassigned."""

    pool_id: str
    reason: str


@attrs.frozen(kw_only=True)
class LeadFollowedUp(DomainEvent):
    """The owner recorded a follow-up (a call, a visit, a mail)."""

    note: str
    channel: str | None = None
    outcome: str = ""
    next_contact_on: date | None = None


@attrs.frozen(kw_only=True)
class LeadReturned(DomainEvent):
    """The owner (or an admin) gave the lead back to its pool, with a configured reason."""

    pool_id: str
    previous_owner_id: str
    reason: str
    note: str


@attrs.frozen(kw_only=True)
class LeadRecycled(DomainEvent):
    """The lead's protection period ran out: it went back to the pool by itself."""

    pool_id: str
    previous_owner_id: str
    due_on: date
    reason: str


@attrs.frozen(kw_only=True)
class LeadHandedOver(DomainEvent):
    """An admin handed a departing member's lead over: to ``owner_id`` (a colleague, or
    whom the pool's policy chose), or back to the pool to wait (``owner_id`` None)."""

    pool_id: str
    previous_owner_id: str
    owner_id: str | None
    reason: str


@attrs.frozen(kw_only=True)
class LeadConverted(DomainEvent):
    """The lead became a customer, a contact and perhaps an opportunity."""

    customer_id: str
    contact_id: str
    opportunity_id: str | None


@attrs.frozen(kw_only=True)
class LeadInvalidated(DomainEvent):
    """The lead was marked invalid (spam, duplicate, unreachable for good)."""

    reason: str


@attrs.frozen(kw_only=True)
class PoolMemberAdded(DomainEvent):
    """A salesperson joined a pool."""

    member_id: str
    weight: int
    capacity: int | None


@attrs.frozen(kw_only=True)
class PoolMemberRemoved(DomainEvent):
    """A salesperson left a pool (the leads they hold stay theirs)."""

    member_id: str


@attrs.frozen(kw_only=True)
class PoolMemberChanged(DomainEvent):
    """A member's weight, capacity or active flag changed."""

    member_id: str
    weight: int
    capacity: int | None
    active: bool
