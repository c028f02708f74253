"""The lead pool: members, admins, the policy that hands out leads, claims, returns, recycling.

Every operation that changes who holds a lead goes through the pool, so the pool's open
counts and its policy's memory stay in step with the leads (``recount`` rebuilds the
counts from the leads themselves). Each operation checks everything first and changes
nothing when it refuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import attrs

from crmcore._aggregate import UNCHANGED, AggregateRoot, Unchanged
from crmcore._validators import non_empty
from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.leads._config import ClaimLimits, PoolMember, RecycleRules
from crmcore.leads._conversion import ConversionRequest, ConversionResult, build_result
from crmcore.leads._events import (
    LeadAssigned,
    LeadConverted,
    LeadHandedOver,
    LeadInvalidated,
    LeadLeftUnassigned,
    LeadPooled,
    LeadRecycled,
    LeadReturned,
    PoolMemberAdded,
    PoolMemberChanged,
    PoolMemberRemoved,
)
from crmcore.leads._lead import LEAD_LIFECYCLE, Lead, LeadStatus
from crmcore.leads._policies import AssignmentPolicy, RoundRobin
from crmcore.leads._recycling import RecycleDue, recycle_due
from crmcore.leads._state import QUOTA_WINDOW_DAYS, PoolState, daily_share_of
from crmcore.ports import Actor

__all__ = ["Assignment", "AssignmentResult", "MemberQuota", "Pool", "PoolConfig"]

DEFAULT_RETURN_REASONS = ("unreachable", "not interested", "wrong contact", "duplicate")
#: How a follow-up reached the prospect, unless the pool configures its own list.
DEFAULT_CHANNELS = ("call", "visit", "email", "wechat", "meeting", "message")
UNASSIGNED_REASON = "every member is full or inactive"


def _strings(value: Iterable[str]) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


#: What a pool's ``quota_limits`` may say, from the narrowest to the widest.
QUOTA_LIMITS = ("automatic", "claims", "all")


def _quota_limits(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in QUOTA_LIMITS:
        raise ValidationError(
            f"{attribute.name}: {value!r} is not one of {', '.join(map(repr, QUOTA_LIMITS))}"
        )


@attrs.frozen
class PoolConfig:
    """A pool as configuration data (loads from dicts / JSON through ``from_dict``)."""

    id: str = attrs.field(validator=non_empty)
    name: str = ""
    members: tuple[PoolMember, ...] = ()
    admins: frozenset[str] = attrs.field(factory=frozenset, converter=_strings)
    admin_roles: frozenset[str] = attrs.field(
        factory=lambda: frozenset({"admin"}), converter=_strings
    )
    default_assignee: str | None = None
    policy: AssignmentPolicy = attrs.field(factory=RoundRobin)
    claim_limits: ClaimLimits = attrs.field(factory=ClaimLimits)
    recycle: RecycleRules = attrs.field(factory=RecycleRules)
    members_may_claim: bool = True
    return_reasons: tuple[str, ...] = DEFAULT_RETURN_REASONS
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    #: Hand each lead out by the policy as soon as it enters the pool (Odoo's auto-assign).
    auto_assign: bool = False
    #: Also hold each member to their quota's daily share (``assignment_max`` / 30).
    quota_daily_share: bool = False
    #: Which assignments the members' quotas limit: ``"automatic"`` (the policy's, as
    #: Odoo's ``assignment_max``), ``"claims"`` (members' own claims too) or ``"all"`` (an
    #: admin's assignments too). Every assignment counts towards the quota whatever this says.
    quota_limits: str = attrs.field(default="automatic", validator=_quota_limits)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for i, member in enumerate(self.members):
            if member.user_id in seen:
                raise ValidationError(f"members[{i}].user_id: duplicate {member.user_id!r}")
            seen.add(member.user_id)
        if self.default_assignee is not None and self.default_assignee not in seen:
            raise ConfigError(
                f"pool {self.id}: default_assignee {self.default_assignee!r} is not a member "
                f"(members: {', '.join(sorted(seen)) or 'none'}); the fallback must be one"
            )


@attrs.frozen
class Assignment:
    """Where one lead went: ``owner_id`` None means it stayed in the pool (``reason``)."""

    lead_id: str
    owner_id: str | None
    how: str
    reason: str | None = None


@attrs.frozen
class AssignmentResult:
    """The outcome of a batch, one [`Assignment`][crmcore.leads.Assignment] per lead in the order
    given."""

    assignments: tuple[Assignment, ...]
    #: Leads of a batch distribution that were not waiting (held, converted, invalid, in
    #: another pool) and were left as they are, each with the reason.
    skipped: tuple[Assignment, ...] = ()

    @property
    def assigned(self) -> list[Assignment]:
        """The leads that got an owner."""
        return [a for a in self.assignments if a.owner_id is not None]

    @property
    def unassigned(self) -> list[str]:
        """Ids of the leads left in the pool because nobody had room."""
        return [a.lead_id for a in self.assignments if a.owner_id is None]

    def per_member(self) -> dict[str, int]:
        """How many leads each member got in this batch."""
        counts = Counter(a.owner_id for a in self.assignments if a.owner_id is not None)
        return dict(sorted(counts.items()))


@attrs.frozen
class MemberQuota:
    """A member's assignment quota on one day: the 30-day cap, what they got in the 30 days
    up to that day, and the cap's daily share (None: no quota)."""

    member_id: str
    assignment_max: int | None
    assigned: int
    daily_share: int | None

    @property
    def remaining(self) -> int | None:
        """Leads the policy may still give them in the window (None: no quota)."""
        if self.assignment_max is None:
            return None
        return max(self.assignment_max - self.assigned, 0)


@attrs.define
class Pool(AggregateRoot):
    """A pool of leads with its members, admins, policy and limits; see the module docstring.

    Build one with [`from_config`][crmcore.leads.Pool.from_config]. ``state`` holds the members and
    everything the
    policies remember (cursor, current weights, last assignments, open counts) as data.
    """

    aggregate_kind: ClassVar[str] = "pool"

    id: str = attrs.field(validator=non_empty)
    name: str = ""
    state: PoolState = attrs.field(factory=PoolState)
    admins: frozenset[str] = attrs.field(factory=frozenset, converter=_strings)
    admin_roles: frozenset[str] = attrs.field(
        factory=lambda: frozenset({"admin"}), converter=_strings
    )
    policy: AssignmentPolicy = attrs.field(factory=RoundRobin)
    claim_limits: ClaimLimits = attrs.field(factory=ClaimLimits)
    recycle_rules: RecycleRules = attrs.field(factory=RecycleRules)
    members_may_claim: bool = True
    return_reasons: tuple[str, ...] = DEFAULT_RETURN_REASONS
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    auto_assign: bool = False
    quota_daily_share: bool = False
    quota_limits: str = attrs.field(default="automatic", validator=_quota_limits)

    @classmethod
    def from_config(cls, config: PoolConfig) -> Pool:
        """A new pool from its configuration, with empty assignment memory."""
        return cls(
            config.id,
            config.name,
            PoolState(
                members={m.user_id: m for m in config.members},
                default_assignee=config.default_assignee,
            ),
            config.admins,
            config.admin_roles,
            config.policy,
            config.claim_limits,
            config.recycle,
            config.members_may_claim,
            config.return_reasons,
            config.channels,
            auto_assign=config.auto_assign,
            quota_daily_share=config.quota_daily_share,
            quota_limits=config.quota_limits,
        )

    # -- reading ----------------------------------------------------------------------------

    @property
    def members(self) -> dict[str, PoolMember]:
        """The current members by id (a copy)."""
        return dict(self.state.members)

    def open_leads(self, member_id: str) -> int:
        """Open leads the member holds in this pool."""
        return self.state.open_leads(member_id)

    def current_weights(self) -> dict[str, int]:
        """The smooth-weighted current weight of each member."""
        return self.state.current_weights()

    def quota(self, member_id: str, on: date) -> MemberQuota:
        """The member's 30-day assignment quota as of ``on`` (every assignment in this pool
        counts: the policy's, an admin's, a claim, a handover)."""
        member = self._member(member_id)
        cap = member.assignment_max
        return MemberQuota(
            member_id,
            cap,
            self.state.book(member_id).assigned_within(on, QUOTA_WINDOW_DAYS),
            None if cap is None else daily_share_of(cap),
        )

    def is_admin(self, actor: Actor) -> bool:
        """True for the pool's admins and holders of an admin role."""
        return actor.user_id in self.admins or actor.has_role(*self.admin_roles)

    def recycle_due(self, leads: Iterable[Lead], as_of: date) -> list[RecycleDue]:
        """This pool's held leads whose protection has run out on ``as_of``."""
        return recycle_due(
            [lead for lead in leads if lead.pool_id == self.id], as_of, self.recycle_rules
        )

    # -- membership -------------------------------------------------------------------------

    def add_member(self, actor: Actor, member: PoolMember, *, at: datetime) -> None:
        """Add a salesperson; a returning member keeps their history (open leads, last turn)."""
        self._begin(actor, at)
        self._require_admin(actor, "add members")
        if member.user_id in self.state.members:
            raise InvariantViolation(f"pool {self.id}: {member.user_id} is already a member")
        self.state.change(member.user_id, member)
        self._emit(
            PoolMemberAdded,
            actor,
            at,
            member_id=member.user_id,
            weight=member.weight,
            capacity=member.capacity,
        )

    def remove_member(self, actor: Actor, member_id: str, *, at: datetime) -> None:
        """Remove a salesperson; the leads they hold stay theirs (history intact) until an
        admin hands them over; they may no longer act on them."""
        self._begin(actor, at)
        self._require_admin(actor, "remove members")
        self._member(member_id)
        self.state.change(member_id, None)
        self._emit(PoolMemberRemoved, actor, at, member_id=member_id)

    def update_member(
        self,
        actor: Actor,
        member_id: str,
        *,
        at: datetime,
        weight: int | None = None,
        capacity: int | Unchanged | None = UNCHANGED,
        active: bool | None = None,
    ) -> None:
        """Change a member's weight, capacity (None: no limit) or active flag."""
        self._begin(actor, at)
        self._require_admin(actor, "change members")
        old = self._member(member_id)
        changes: dict[str, Any] = {}
        if weight is not None:
            changes["weight"] = weight
        if capacity is not UNCHANGED:
            changes["capacity"] = capacity
        if active is not None:
            changes["active"] = active
        new = attrs.evolve(old, **changes)
        self.state.change(member_id, new)
        self._emit(
            PoolMemberChanged,
            actor,
            at,
            member_id=member_id,
            weight=new.weight,
            capacity=new.capacity,
            active=new.active,
        )

    # -- leads coming in ---------------------------------------------------------------------

    def admit(
        self, actor: Actor, leads: Sequence[Lead], *, at: datetime, rule: str | None = None
    ) -> None:
        """Put unowned open leads into this pool (after routing); ``rule`` is what matched."""
        self._begin(actor, at, leads)
        self._distinct(leads)
        for lead in leads:
            if not lead.is_open or lead.owner_id is not None:
                raise InvalidTransition(
                    f"lead {lead.id}: only an open lead nobody holds can enter pool {self.id} "
                    f"(status {lead.status.name}, owner {lead.owner_id})"
                )
        for lead in leads:
            lead.pool_id = self.id
            lead._emit(LeadPooled, actor, at, pool_id=self.id, rule=rule)

    # -- handing out -------------------------------------------------------------------------

    def distribute(self, actor: Actor, leads: Sequence[Lead], *, at: datetime) -> AssignmentResult:
        """Give each lead to the member the pool's policy chooses, in order.

        A batch of N gives exactly what N single calls would. Leads that are not waiting in
        this pool (held, converted, invalid, elsewhere) are skipped and listed in the
        result's ``skipped`` with the reason, as Odoo does. When nobody has room, the pool's
        default assignee (an active member) takes the lead whatever their capacity; without
        one the lead stays in the pool unassigned, and the result (and a
        ``LeadLeftUnassigned`` event) says so.
        """
        self._begin(actor, at, leads)
        self._require_admin(actor, "distribute leads")
        return self._hand_out(actor, leads, at)

    def assign_automatically(
        self, actor: Actor, leads: Sequence[Lead], *, at: datetime
    ) -> AssignmentResult:
        """Hand out leads that just entered a pool whose configuration says ``auto_assign``,
        exactly as ``distribute`` would; whoever brought the leads in may trigger it."""
        self._begin(actor, at, leads)
        if not self.auto_assign:
            raise InvariantViolation(
                f"pool {self.id}: auto_assign is off; an admin distributes its leads"
            )
        return self._hand_out(actor, leads, at)

    def _hand_out(self, actor: Actor, leads: Sequence[Lead], at: datetime) -> AssignmentResult:
        self._distinct(leads)
        barred = self._barred_by_conditions(leads)
        how = self.policy.kind
        results = []
        skipped = []
        fallback = self._fallback()
        try:
            for lead in leads:
                why_not = self._not_waiting(lead)
                if why_not is not None:
                    skipped.append(Assignment(lead.id, None, how, why_not))
                    continue
                owner, how_given = self._pick(fallback, barred.get(lead.id), at)
                if owner is None:
                    lead._emit(
                        LeadLeftUnassigned, actor, at, pool_id=self.id, reason=UNASSIGNED_REASON
                    )
                    results.append(Assignment(lead.id, None, how, UNASSIGNED_REASON))
                    continue
                self._give(lead, owner, how_given, actor, at)
                results.append(Assignment(lead.id, owner, how_given))
        finally:
            self.state.block(set())
        return AssignmentResult(tuple(results), tuple(skipped))

    def hand_over(
        self,
        actor: Actor,
        leads: Sequence[Lead],
        from_id: str,
        *,
        at: datetime,
        reason: str,
        to: str | None = None,
        redistribute: bool = False,
    ) -> AssignmentResult:
        """An admin hands over the open leads ``from_id`` (a member who left or is inactive)
        holds in this pool: to the colleague ``to``, to whom the pool's policy picks
        (``redistribute``; the default assignee takes what nobody has room for, the rest
        waits in the pool), or back to the pool to wait (neither).

        The lead's history keeps every stretch: the departing member's ends "handed over by
        <admin>: <reason>" and the receiver's begins with ``how`` "handover"; each lead
        leaves a ``LeadHandedOver`` event naming both and the reason. Nothing changes when
        anything is refused.
        """
        self._begin(actor, at, leads)
        self._require_admin(actor, "hand over leads")
        self._distinct(leads)
        self._check_handover(actor, leads, from_id, reason, to, redistribute)
        because = f"handed over by {actor.user_id}: {reason}"
        fallback = self._fallback() if redistribute else None
        barred = self._barred_by_conditions(leads) if redistribute else {}
        results = []
        for lead in leads:
            owner = to
            if redistribute:
                owner, _ = self._pick(fallback, barred.get(lead.id), at)
                self.state.block(set())
            self.state.record_release(from_id)
            lead._end_ownership(at, because)
            if owner is None:
                lead.status = LeadStatus.NEW
            else:
                lead._take(owner, "handover", at)
                self.state.record_assignment(owner, at)
            lead._emit(
                LeadHandedOver,
                actor,
                at,
                pool_id=self.id,
                previous_owner_id=from_id,
                owner_id=owner,
                reason=reason,
            )
            results.append(
                Assignment(lead.id, owner, "handover", None if owner else "back to the pool")
            )
        return AssignmentResult(tuple(results))

    def _check_handover(
        self,
        actor: Actor,
        leads: Sequence[Lead],
        from_id: str,
        reason: str,
        to: str | None,
        redistribute: bool,
    ) -> None:
        """Refuse a handover without a reason, from an active member, of leads the member
        does not hold, or to a receiver who is inactive or has no room for them."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(f"handover: a reason is required, got {reason!r}")
        if not isinstance(from_id, str) or not from_id.strip():
            raise ValidationError(f"handover: from_id must be a user id, got {from_id!r}")
        if to is not None and redistribute:
            raise ValidationError(
                f"handover: give either to={to!r} or redistribute=True, not both"
            )
        if to == from_id:
            raise ValidationError(f"handover: {from_id} cannot hand leads over to themself")
        departing = self.state.members.get(from_id)
        if departing is not None and departing.active:
            raise InvariantViolation(
                f"pool {self.id}: {from_id} is still an active member; remove or deactivate "
                f"them before handing their leads over"
            )
        for lead in leads:
            self._check_in_pool(lead)
            if lead.owner_id != from_id or not lead.is_open:
                raise InvariantViolation(
                    f"lead {lead.id}: not an open lead held by {from_id} (owner "
                    f"{lead.owner_id}, status {lead.status.name}); nothing to hand over"
                )
            LEAD_LIFECYCLE.check("release", lead.status, actor, lead)
        if to is not None:
            receiver = self._member(to)
            if not receiver.active:
                raise InvariantViolation(f"pool {self.id}: member {to} is inactive")
            room = self.state.room(to)
            if room is not None and len(leads) > room:
                raise InvariantViolation(
                    f"pool {self.id}: {to} holds {self.open_leads(to)} of capacity "
                    f"{receiver.capacity}; cannot take {len(leads)} more (redistribute instead)"
                )

    def assign_to(
        self, actor: Actor, leads: Sequence[Lead], member_id: str, *, at: datetime
    ) -> AssignmentResult:
        """An admin hands a batch of waiting leads to one active member, within capacity."""
        self._begin(actor, at, leads)
        self._require_admin(actor, "assign leads")
        member = self._member(member_id)
        if not member.active:
            raise InvariantViolation(f"pool {self.id}: member {member_id} is inactive")
        self._check_waiting(leads, actor)
        room = self.state.room(member_id)
        if room is not None and len(leads) > room:
            raise InvariantViolation(
                f"pool {self.id}: {member_id} holds {self.open_leads(member_id)} of capacity "
                f"{member.capacity}; cannot take {len(leads)} more"
            )
        if self.quota_limits == "all":
            self._check_quota(member, len(leads), at, "assigning")
        for lead in leads:
            self._give(lead, member_id, "admin", actor, at)
        return AssignmentResult(tuple(Assignment(lead.id, member_id, "admin") for lead in leads))

    def _check_quota(self, member: PoolMember, wanted: int, at: datetime, doing: str) -> None:
        """Refuse ``wanted`` more leads that would pass the member's 30-day quota (or, with
        ``quota_daily_share``, its share for the day)."""
        cap = member.assignment_max
        if cap is None:
            return
        day = at.date()
        book = self.state.book(member.user_id)
        got = book.assigned_within(day)
        limits = [(got, cap, f"the 30 days up to {day.isoformat()}", "quota")]
        if self.quota_daily_share:
            limits.append(
                (book.assigned_within(day, 1), daily_share_of(cap), "that day", "daily share")
            )
        for count, limit, when, what in limits:
            if count + wanted > limit:
                raise InvariantViolation(
                    f"pool {self.id}: {member.user_id} got {count} leads in {when}; {doing} "
                    f"{wanted} more would pass their {what} of {limit} (the pool's quotas "
                    f"limit {self.quota_limits!r} assignments)"
                )

    def _check_claim_limits(
        self,
        member: PoolMember,
        leads: Sequence[Lead],
        at: datetime,
        global_limits: ClaimLimits | None,
        held_elsewhere: int,
        claimed_elsewhere_today: int,
    ) -> ClaimLimits:
        """The limits in force for this claim, after refusing one that passes any of them:
        holding (pool and global), capacity, and claims per day (pool and global)."""
        member_id = member.user_id
        limits = self.claim_limits.tighter(global_limits)
        held = self.open_leads(member_id)
        wanted = len(leads)
        pool_limit = self.claim_limits.max_held
        global_limit = None if global_limits is None else global_limits.max_held
        if limits.max_held is not None and held + wanted > limits.max_held:
            raise InvariantViolation(
                f"pool {self.id}: {member_id} holds {held} leads; claiming {wanted} more would "
                f"pass the holding limit of {limits.max_held} (pool {pool_limit}, "
                f"global {global_limit})"
            )
        if global_limit is not None and held + held_elsewhere + wanted > global_limit:
            raise InvariantViolation(
                f"{member_id} holds {held + held_elsewhere} leads in all pools; claiming "
                f"{wanted} more would pass the global holding limit of {global_limit}"
            )
        room = self.state.room(member_id)
        if room is not None and wanted > room:
            raise InvariantViolation(
                f"pool {self.id}: {member_id} holds {held} of capacity {member.capacity}; "
                f"cannot claim {wanted} more"
            )
        today = at.date()
        claimed_today = self.state.book(member_id).claims_that_day(today)
        if limits.max_per_day is not None and claimed_today + wanted > limits.max_per_day:
            raise InvariantViolation(
                f"pool {self.id}: {member_id} claimed {claimed_today} leads on "
                f"{today.isoformat()}; claiming {wanted} more would pass the daily claim "
                f"limit of {limits.max_per_day}"
            )
        global_daily = None if global_limits is None else global_limits.max_per_day
        if (
            global_daily is not None
            and claimed_today + claimed_elsewhere_today + wanted > global_daily
        ):
            raise InvariantViolation(
                f"{member_id} claimed {claimed_today + claimed_elsewhere_today} leads in all "
                f"pools on {today.isoformat()}; claiming {wanted} more would pass the global "
                f"daily claim limit of {global_daily}"
            )
        return limits

    def claim(
        self,
        actor: Actor,
        leads: Sequence[Lead],
        *,
        at: datetime,
        global_limits: ClaimLimits | None = None,
        held_elsewhere: int = 0,
        claimed_elsewhere_today: int = 0,
    ) -> AssignmentResult:
        """A member takes waiting leads for themself, within every limit.

        The holding limit is the smaller of the pool's and the global one and counts the
        leads held in this pool (plus ``held_elsewhere`` for the global limit, when the host
        tracks holdings across pools); the daily limit counts claims made on ``at``'s day in
        this pool, and the global daily limit adds ``claimed_elsewhere_today`` (the claims
        made that day in every other pool); the previous owner may not re-claim a lead
        within the cooldown.
        """
        self._begin(actor, at, leads)
        member_id = actor.user_id
        if not self.members_may_claim:
            raise PermissionDenied(f"pool {self.id}: members may not claim; only admins assign")
        member = self.state.members.get(member_id)
        if member is None or not member.active:
            raise PermissionDenied(
                f"pool {self.id}: {member_id} is not an active member and may not claim"
            )
        for name, count in (
            ("held_elsewhere", held_elsewhere),
            ("claimed_elsewhere_today", claimed_elsewhere_today),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValidationError(f"{name}: must be a whole number >= 0, got {count!r}")
        for lead in leads:
            if lead.owner_id is not None and lead.is_open:
                raise InvariantViolation(
                    f"lead {lead.id}: already owned by {lead.owner_id}; it cannot be claimed"
                )
        self._check_waiting(leads, actor)
        limits = self._check_claim_limits(
            member, leads, at, global_limits, held_elsewhere, claimed_elsewhere_today
        )
        if self.quota_limits != "automatic":
            self._check_quota(member, len(leads), at, "claiming")
        cooldown = timedelta(days=limits.reclaim_cooldown_days)
        for lead in leads:
            # Every stretch this member held counts, not only the last one: a colleague
            # holding the lead for an hour in between does not end the cooldown.
            previous = lead.last_given_up_by(member_id)
            if previous is not None and previous.end is not None and at < previous.end + cooldown:
                allowed_from = (previous.end + cooldown).isoformat()
                raise PermissionDenied(
                    f"lead {lead.id}: {member_id} gave it up on {previous.end.isoformat()} and "
                    f"may re-claim it only after the cooldown of "
                    f"{limits.reclaim_cooldown_days} days (from {allowed_from})"
                )
        self.state.record_claims(member_id, at.date(), len(leads))
        for lead in leads:
            self._give(lead, member_id, "claim", actor, at)
        return AssignmentResult(tuple(Assignment(lead.id, member_id, "claim") for lead in leads))

    # -- giving back -------------------------------------------------------------------------

    def return_lead(
        self,
        actor: Actor,
        lead: Lead,
        *,
        at: datetime,
        reason: str,
        note: str = "",
        access_checked: bool = False,
    ) -> None:
        """The owner (or an admin) gives the lead back, with a reason from the pool's list.

        ``access_checked``: the host's record-access rule already let the actor write the
        lead (the services' rule: the owner's managers too); see ``_check_owner_or_admin``.
        """
        self._begin(actor, at, [lead])
        self._check_held(lead, actor, "return it", access_checked)
        if reason not in self.return_reasons:
            raise ValidationError(
                f"lead {lead.id}: return reason {reason!r} is not one of "
                f"{', '.join(repr(r) for r in self.return_reasons)}"
            )
        owner = self._release(lead, at, f"returned: {reason}")
        lead._emit(
            LeadReturned,
            actor,
            at,
            pool_id=self.id,
            previous_owner_id=owner,
            reason=reason,
            note=note,
        )

    def recycle(
        self, actor: Actor, leads: Iterable[Lead], as_of: date, *, at: datetime
    ) -> list[RecycleDue]:
        """Take back every lead of this pool whose protection ran out on ``as_of`` (admin)."""
        candidates = list(leads)
        self._begin(actor, at, candidates)
        self._require_admin(actor, "recycle leads")
        self._distinct(candidates)
        due = self.recycle_due(candidates, as_of)
        by_id = {lead.id: lead for lead in candidates}
        for item in due:
            lead = by_id[item.lead_id]
            LEAD_LIFECYCLE.check("release", lead.status, actor, lead)
        for item in due:
            lead = by_id[item.lead_id]
            owner = self._release(lead, at, f"recycled: {item.reason.value}")
            lead._emit(
                LeadRecycled,
                actor,
                at,
                pool_id=self.id,
                previous_owner_id=owner,
                due_on=item.due_on,
                reason=item.reason.value,
            )
        return due

    def convert(
        self,
        actor: Actor,
        lead: Lead,
        request: ConversionRequest,
        *,
        at: datetime,
        access_checked: bool = False,
    ) -> ConversionResult:
        """Convert the lead (once) by its owner or an admin (or whom the host's record-access
        rule let write it: ``access_checked``); the result says what to create."""
        self._begin(actor, at, [lead])
        self._check_in_pool(lead)
        target = LEAD_LIFECYCLE.check("convert", lead.status, actor, lead)
        self._check_owner_or_admin(lead, actor, "convert it", access_checked)
        result = build_result(lead, request, actor.user_id, at)
        if lead.owner_id is not None:
            self.state.record_release(lead.owner_id)
        lead.status = target
        lead.conversion = result
        opportunity = result.opportunity.id if result.opportunity is not None else None
        lead._emit(
            LeadConverted,
            actor,
            at,
            customer_id=request.customer_id,
            contact_id=request.contact_id,
            opportunity_id=opportunity,
        )
        return result

    def follow_up(
        self,
        actor: Actor,
        lead: Lead,
        *,
        at: datetime,
        note: str = "",
        channel: str | None = None,
        outcome: str = "",
        next_contact_on: date | None = None,
        access_checked: bool = False,
    ) -> None:
        """The owner, while an active member of this pool, records a contact with the
        prospect over one of the pool's ``channels`` (or whom the host's record-access rule
        let write the lead: ``access_checked``)."""
        self._begin(actor, at, [lead])
        self._check_in_pool(lead)
        if channel is not None and channel not in self.channels:
            raise ValidationError(
                f"lead {lead.id}: channel {channel!r} is not one of "
                f"{', '.join(repr(c) for c in self.channels)}"
            )
        if lead.owner_id == actor.user_id:
            self._require_active_member(lead, actor, "follow it up")
        lead.follow_up(
            actor,
            at=at,
            note=note,
            channel=channel,
            outcome=outcome,
            next_contact_on=next_contact_on,
            access_checked=access_checked,
        )

    def invalidate(self, actor: Actor, lead: Lead, *, at: datetime, reason: str) -> None:
        """Mark the lead invalid (spam, duplicate...) by its owner or an admin."""
        self._begin(actor, at, [lead])
        self._check_in_pool(lead)
        target = LEAD_LIFECYCLE.check("invalidate", lead.status, actor, lead)
        self._check_owner_or_admin(lead, actor, "mark it invalid")
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(f"lead {lead.id}: a reason is required, got {reason!r}")
        if lead.owner_id is not None:
            self.state.record_release(lead.owner_id)
            lead._end_ownership(at, f"invalid: {reason}")
        lead.status = target
        lead._emit(LeadInvalidated, actor, at, reason=reason)

    def recount(self, leads: Iterable[Lead]) -> dict[str, int]:
        """Rebuild the open counts from the leads (the facts) and return them."""
        counts = Counter(
            lead.owner_id
            for lead in leads
            if lead.pool_id == self.id and lead.is_open and lead.owner_id is not None
        )
        self.state.set_open_counts(dict(counts))
        return dict(sorted(counts.items()))

    # -- internals ---------------------------------------------------------------------------

    def _give(self, lead: Lead, owner: str, how: str, actor: Actor, at: datetime) -> None:
        lead._take(owner, how, at)
        self.state.record_assignment(owner, at)
        lead._emit(LeadAssigned, actor, at, pool_id=self.id, owner_id=owner, how=how)

    def _release(self, lead: Lead, at: datetime, because: str) -> str:
        owner = lead.owner_id
        if owner is None:  # a held status without an owner: the record was edited by hand
            raise InvariantViolation(
                f"lead {lead.id} is {lead.status.name} but nobody holds it; "
                f"recount or repair it before releasing"
            )
        self.state.record_release(owner)
        lead._end_ownership(at, because)
        lead.status = LeadStatus.NEW
        return owner

    def _member(self, member_id: str) -> PoolMember:
        try:
            return self.state.members[member_id]
        except KeyError:
            raise NotFound(f"pool {self.id}: no member {member_id!r}") from None

    def _require_admin(self, actor: Actor, what: str) -> None:
        if not self.is_admin(actor):
            roles = ", ".join(sorted(self.admin_roles))
            raise PermissionDenied(
                f"pool {self.id}: {actor.user_id} may not {what}; only the pool's admins "
                f"or holders of {roles} may"
            )

    def _distinct(self, leads: Sequence[Lead]) -> None:
        seen: set[str] = set()
        for lead in leads:
            if lead.id in seen:
                raise ValidationError(f"lead {lead.id} appears twice in the batch")
            seen.add(lead.id)

    def _check_in_pool(self, lead: Lead) -> None:
        if lead.pool_id != self.id:
            raise InvariantViolation(f"lead {lead.id} is in pool {lead.pool_id}, not {self.id}")

    def _barred_by_conditions(self, leads: Sequence[Lead]) -> dict[str, set[str]]:
        """For each lead, the members whose condition it does not meet — evaluated before
        anything changes, so a condition that cannot be evaluated refuses the whole batch."""
        state = self.state
        conditioned = [
            (member_id, condition)
            for member_id in state.restricted()
            if (condition := state.members[member_id].condition) is not None
        ]
        if not conditioned:
            return {}
        return {
            lead.id: {m for m, condition in conditioned if not condition.evaluate(lead)}
            for lead in leads
        }

    def _pick(
        self, fallback: str | None, barred: set[str] | None, at: datetime
    ) -> tuple[str | None, str]:
        """The policy's choice (and its name) among the members whose condition the lead
        meets and whose 30-day quota is not used up, else the fallback as
        "default_assignee". The caller unblocks (``state.block(set())``) when done."""
        state = self.state
        restricted = state.restricted()
        if restricted:
            day = at.date()
            blocked = set(barred or ())
            blocked.update(state.over_quota_members(day, self.quota_daily_share))
            state.block(blocked)
        owner = self.policy.choose(self.state)
        if owner is None and fallback is not None:
            # Nobody has room: the pool's default assignee takes the overflow.
            return fallback, "default_assignee"
        return owner, self.policy.kind

    def _fallback(self) -> str | None:
        """The default assignee when an active member: they take what nobody has room for."""
        chosen = self.state.default_assignee
        member = None if chosen is None else self.state.members.get(chosen)
        return chosen if member is not None and member.active else None

    def _not_waiting(self, lead: Lead) -> str | None:
        """Why ``lead`` cannot be handed out now (None when it is waiting in this pool)."""
        if lead.pool_id != self.id:
            return f"in pool {lead.pool_id}, not {self.id}"
        if lead.owner_id is not None and lead.is_open:
            return f"already held by {lead.owner_id}"
        if lead.status is not LeadStatus.NEW:
            return f"{lead.status.value}, not waiting"
        return None

    def _check_waiting(self, leads: Sequence[Lead], actor: Actor) -> None:
        self._distinct(leads)
        for lead in leads:
            self._check_in_pool(lead)
            if lead.owner_id is not None and lead.is_open:
                raise InvariantViolation(
                    f"lead {lead.id}: already owned by {lead.owner_id}; release it first"
                )
            LEAD_LIFECYCLE.check("assign", lead.status, actor, lead)

    def _check_held(
        self, lead: Lead, actor: Actor, what: str, access_checked: bool = False
    ) -> None:
        self._check_in_pool(lead)
        LEAD_LIFECYCLE.check("release", lead.status, actor, lead)
        self._check_owner_or_admin(lead, actor, what, access_checked)

    def _check_owner_or_admin(
        self, lead: Lead, actor: Actor, what: str, access_checked: bool = False
    ) -> None:
        """The owner while an active member of the pool, or an admin, may act on the lead.

        With ``access_checked`` the host's record-access rule has already decided who may
        (the services: the owner, their managers, the roles granted every lead, the pool's
        admins); the owner acting themself must still be an active member."""
        if self.is_admin(actor):
            return
        if access_checked and lead.owner_id != actor.user_id:
            return
        if lead.owner_id != actor.user_id:
            raise PermissionDenied(
                f"lead {lead.id}: only the owner {lead.owner_id} or a pool admin may {what}, "
                f"not {actor.user_id}"
            )
        self._require_active_member(lead, actor, what)

    def _require_active_member(self, lead: Lead, actor: Actor, what: str) -> None:
        member = self.state.members.get(actor.user_id)
        if member is None or not member.active:
            state = "no longer a member" if member is None else "an inactive member"
            raise PermissionDenied(
                f"lead {lead.id}: {actor.user_id} is {state} of pool {self.id} and may not "
                f"{what}; an admin hands its leads over"
            )

    def _begin(self, actor: Actor, at: datetime, leads: Iterable[Lead] = ()) -> None:
        """Check the actor and the time against the pool and every lead, before any change."""
        self._check_change(actor, at)
        for lead in leads:
            lead._check_change(actor, at)
