"""The lead: who the prospect is, where it came from, who holds it and what was done."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._validators import non_empty
from crmcore.errors import PermissionDenied, ValidationError
from crmcore.leads._conversion import ConversionResult
from crmcore.leads._events import LeadCaptured, LeadFollowedUp
from crmcore.ports import Actor
from crmcore.serialization import check_values
from crmcore.workflow import StateMachine, Transition

__all__ = ["LEAD_LIFECYCLE", "FollowUp", "Lead", "LeadStatus", "Ownership"]


class LeadStatus(enum.Enum):
    """Where a lead stands: waiting in a pool, held by a salesperson, or closed."""

    NEW = "new"
    ASSIGNED = "assigned"
    FOLLOWING_UP = "following_up"
    CONVERTED = "converted"
    INVALID = "invalid"


_OPEN = frozenset({LeadStatus.NEW, LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP})
_HELD = frozenset({LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP})

#: The lead's lifecycle; who may make each change is checked by the pool (members, admins).
LEAD_LIFECYCLE: StateMachine[LeadStatus] = StateMachine(
    "lead",
    LeadStatus,
    (
        Transition("assign", LeadStatus.NEW, LeadStatus.ASSIGNED),
        Transition("follow_up", _HELD, LeadStatus.FOLLOWING_UP),
        Transition("release", _HELD, LeadStatus.NEW),
        Transition("convert", _OPEN, LeadStatus.CONVERTED),
        Transition("invalidate", _OPEN, LeadStatus.INVALID),
    ),
)


def _custom_values(_: object, attribute: attrs.Attribute[Any], value: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise ValidationError(f"custom: must be a dict of field values, got {value!r}")
    check_values(value, "custom")


@attrs.frozen
class FollowUp:
    """One contact with the prospect: who, when, what was said, over which ``channel`` (from
    the pool's list), its ``outcome`` and the day the next contact is due."""

    by: str
    at: datetime
    note: str = ""
    channel: str | None = None
    outcome: str = ""
    next_contact_on: date | None = None


@attrs.frozen
class Ownership:
    """One stretch of holding a lead: who, from, to (None while held), how it began and ended."""

    owner_id: str
    start: datetime
    how: str
    end: datetime | None = None
    ended_because: str | None = None


@attrs.define
class Lead(AggregateRoot):
    """A prospect collected by marketing; it moves between a pool and its owners.

    Build one with [`capture`][crmcore.leads.Lead.capture]. Changes of ownership go through the
    lead's
    [`Pool`][crmcore.leads.Pool] (assign, claim, return, recycle, convert); the lead itself
    records follow-ups. ``history`` and ``follow_ups`` are append-only. ``custom`` holds
    values that save and load back as they are (JSON values, Decimal, Money, Percent, date,
    datetime, lists and dicts of them); anything else is refused with its path.
    """

    aggregate_kind: ClassVar[str] = "lead"

    id: str = attrs.field(validator=non_empty)
    name: str
    source: str
    company: str = ""
    email: str = ""
    phone: str = ""
    campaign_id: str | None = None
    industry: str | None = None
    region: str | None = None
    custom: dict[str, Any] = attrs.field(factory=dict, validator=_custom_values)
    status: LeadStatus = LeadStatus.NEW
    owner_id: str | None = None
    pool_id: str | None = None
    captured_at: datetime | None = None
    follow_ups: list[FollowUp] = attrs.field(factory=list)
    history: list[Ownership] = attrs.field(factory=list)
    conversion: ConversionResult | None = None

    @classmethod
    def capture(
        cls,
        id: str,
        name: str,
        *,
        source: str,
        actor: Actor,
        at: datetime,
        company: str = "",
        email: str = "",
        phone: str = "",
        campaign_id: str | None = None,
        industry: str | None = None,
        region: str | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Lead:
        """A new lead, not yet in a pool; raises ValidationError for a blank name or source."""
        check_actor(actor)
        check_time(at)
        for field, value in (("name", name), ("source", source)):
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"lead {id!r}: {field} must be non-empty, got {value!r}")
        lead = cls(
            id,
            name,
            source,
            company=company,
            email=email,
            phone=phone,
            campaign_id=campaign_id,
            industry=industry,
            region=region,
            custom=dict(custom or {}),
            captured_at=at,
        )
        lead._emit(LeadCaptured, actor, at, source=source, campaign_id=campaign_id)
        return lead

    @property
    def is_open(self) -> bool:
        """True until the lead is converted or marked invalid."""
        return self.status in _OPEN

    @property
    def assigned_at(self) -> datetime | None:
        """When the current owner got the lead; None while nobody holds it."""
        if self.owner_id is None or not self.history:
            return None
        return self.history[-1].start

    @property
    def previous_owner(self) -> Ownership | None:
        """The last finished stretch of ownership, if any (for the re-claim cooldown)."""
        for stretch in reversed(self.history):
            if stretch.end is not None:
                return stretch
        return None

    def last_given_up_by(self, member_id: str) -> Ownership | None:
        """The member's latest finished stretch of holding this lead (for the cooldown)."""
        for stretch in reversed(self.history):
            if stretch.owner_id == member_id and stretch.end is not None:
                return stretch
        return None

    def follow_ups_since_assigned(self) -> list[FollowUp]:
        """The current owner's follow-ups since they got the lead."""
        start = self.assigned_at
        if start is None:
            return []
        return [f for f in self.follow_ups if f.by == self.owner_id and f.at >= start]

    @property
    def next_contact_on(self) -> date | None:
        """The next contact the latest follow-up planned (None when none is planned)."""
        return self.follow_ups[-1].next_contact_on if self.follow_ups else None

    def follow_up(
        self,
        actor: Actor,
        *,
        at: datetime,
        note: str = "",
        channel: str | None = None,
        outcome: str = "",
        next_contact_on: date | None = None,
        access_checked: bool = False,
    ) -> None:
        """Record a contact with the prospect; only the owner may, while holding the lead
        (``access_checked``: whoever the host's record-access rule let write the lead, such
        as the owner's manager; the follow-up names who made it)."""
        for name, text in (("note", note), ("outcome", outcome)):
            if not isinstance(text, str):
                raise ValidationError(f"lead {self.id}: {name} must be text, got {text!r}")
        if channel is not None and (not isinstance(channel, str) or not channel.strip()):
            raise ValidationError(f"lead {self.id}: channel must be a name, got {channel!r}")
        if next_contact_on is not None:
            if type(next_contact_on) is not date:
                raise ValidationError(
                    f"lead {self.id}: next_contact_on must be a date, got {next_contact_on!r}"
                )
            if isinstance(at, datetime) and next_contact_on < at.date():
                raise ValidationError(
                    f"lead {self.id}: next_contact_on {next_contact_on.isoformat()} is before "
                    f"the follow-up on {at.date().isoformat()}"
                )
        target = LEAD_LIFECYCLE.check("follow_up", self.status, actor, self)
        if actor.user_id != self.owner_id and not access_checked:
            raise PermissionDenied(
                f"lead {self.id}: only the owner {self.owner_id} may record a follow-up, "
                f"not {actor.user_id}"
            )
        self._check_change(actor, at)
        self.follow_ups.append(
            FollowUp(actor.user_id, at, note, channel, outcome, next_contact_on)
        )
        self.status = target
        self._emit(
            LeadFollowedUp,
            actor,
            at,
            note=note,
            channel=channel,
            outcome=outcome,
            next_contact_on=next_contact_on,
        )

    # -- used by the pool; each is called only after every check has passed ---------------

    def _take(self, owner_id: str, how: str, at: datetime) -> None:
        self.history.append(Ownership(owner_id, at, how))
        self.owner_id = owner_id
        self.status = LeadStatus.ASSIGNED

    def _end_ownership(self, at: datetime, because: str) -> None:
        self.history[-1] = attrs.evolve(self.history[-1], end=at, ended_because=because)
        self.owner_id = None

    def _last_change_at(self) -> datetime | None:
        moments = [self.captured_at] if self.captured_at is not None else []
        moments += [f.at for f in self.follow_ups[-1:]]
        for stretch in self.history[-1:]:
            moments.append(stretch.start if stretch.end is None else stretch.end)
        return max(moments, key=_sort_key) if moments else None


def _sort_key(moment: datetime) -> datetime:
    """A key that orders naive and aware moments together (naive ones read as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
