"""The handover when a salesperson leaves: every open lead, deal, order, receivable and
approval task they hold moves on, by rule or by an explicit map, with its history, in one
unit of work or in batches (each its own unit of work; a later call resumes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from crmcore.errors import NotFound, ValidationError
from crmcore.forecast import Opportunity, OpportunityStatus
from crmcore.leads import Assignment, Lead, LeadStatus
from crmcore.orders import Order, OrderStatus
from crmcore.receivables import Receivable
from crmcore.services._kinds import has_outstanding
from crmcore.workflow import ApprovalInstance, ApprovalStatus

if TYPE_CHECKING:
    from crmcore.services._case import UseCase

__all__ = ["HandoverReport", "HandoverRule", "HandoverRun", "remaining"]

_HELD = (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
#: The orders still in progress: handed over with their salesperson's other open records.
_OPEN_ORDERS = tuple(
    s for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
)
#: The kinds of record a handover moves, in the order it moves them.
_KINDS = ("lead", "opportunity", "order", "receivable", "approval")


@attrs.frozen
class HandoverReport:
    """What a handover moved: each lead (where it went; ``owner_id`` None: back to its pool
    to wait), and each open deal, open order, receivable still to collect and approval task
    with its new holder; ``batches`` committed and the records ``remaining`` with the member
    (0 once everything moved)."""

    member_id: str
    reason: str
    leads: tuple[Assignment, ...]
    opportunities: tuple[tuple[str, str], ...]
    orders: tuple[tuple[str, str], ...] = ()
    receivables: tuple[tuple[str, str], ...] = ()
    #: Pending approval requests whose open tasks the member held, and who holds them now.
    approvals: tuple[tuple[str, str], ...] = ()
    batches: int = 1
    remaining: int = 0

    def per_receiver(self) -> dict[str, int]:
        """How many records (leads, deals, orders, receivables) each colleague received."""
        counts = Counter(a.owner_id for a in self.leads if a.owner_id is not None)
        for records in (self.opportunities, self.orders, self.receivables, self.approvals):
            counts.update(owner for _, owner in records)
        return dict(sorted(counts.items()))

    @property
    def back_to_pool(self) -> list[str]:
        """Ids of the leads that went back to their pool to wait."""
        return [a.lead_id for a in self.leads if a.owner_id is None]

    @property
    def moved(self) -> int:
        """How many records changed hands (or went back to their pool)."""
        return sum(
            len(records)
            for records in (
                self.leads,
                self.opportunities,
                self.orders,
                self.receivables,
                self.approvals,
            )
        )

    def then(self, later: HandoverReport) -> HandoverReport:
        """This report followed by a later batch's."""
        return HandoverReport(
            self.member_id,
            self.reason,
            self.leads + later.leads,
            self.opportunities + later.opportunities,
            self.orders + later.orders,
            self.receivables + later.receivables,
            self.approvals + later.approvals,
            self.batches + later.batches,
            later.remaining,
        )


@attrs.frozen
class HandoverRule:
    """Who receives what: ``assignments`` (record id → colleague) first, then leads to
    ``to`` or the pools' rotation (``redistribute``) or back to the pools, and every other
    record to ``opportunities_to``, else ``to``, else the member's manager."""

    to: str | None = None
    redistribute: bool = True
    opportunities_to: str | None = None
    leaving: bool = True
    assignments: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class _Holdings:
    """What the member still holds, in the order a handover moves it."""

    leads: list[Lead]
    ids: dict[str, list[str]]

    def first(self, count: int) -> _Holdings:
        """The first ``count`` records of ``items()``."""
        chosen = set(self.items()[:count])
        return _Holdings(
            [lead for lead in self.leads if ("lead", lead.id) in chosen],
            {kind: [i for i in ids if (kind, i) in chosen] for kind, ids in self.ids.items()},
        )

    def items(self) -> list[tuple[str, str]]:
        """(kind, id) of every record, leads first (by pool, then id)."""
        items = [("lead", lead.id) for lead in self.leads]
        for kind in _KINDS[1:]:
            items.extend((kind, record_id) for record_id in self.ids[kind])
        return items


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"handover: {what} must be a user id, got {value!r}")
    return value


class HandoverRun:
    """One call of the handover, batch by batch: the first batch lists everything the member
    holds (the plan, checked against the map) and moves its first records; each later batch
    moves the plan's next records that the member still holds — so a run costs one listing,
    not one per batch."""

    def __init__(
        self, member_id: str, reason: str, rule: HandoverRule, batch_size: int | None
    ) -> None:
        self.member_id, self.reason, self.rule, self.batch_size = (
            member_id,
            reason,
            rule,
            batch_size,
        )
        self._plan: list[tuple[str, str]] | None = None
        self._done = 0

    def batch(self, case: UseCase) -> HandoverReport:
        """Move the next batch in ``case``'s unit of work; see ``LeadService.hand_over``."""
        member_id, rule = self.member_id, self.rule
        _check_arguments(case, member_id, self.reason, rule)
        plan, held = self._plan, None
        if plan is None:
            held = _holdings(case, member_id)
            pools = {str(lead.pool_id) for lead in held.leads}
            _leave_pools(case, member_id, rule.leaving, pools)
            _check_map(case, member_id, rule.assignments, held)
            plan = held.items()
        end = len(plan) if self.batch_size is None else self._done + self.batch_size
        chosen = plan[self._done : end]
        # the first batch moves what it just listed; a later one what is still held of its part
        batch = _still_held(case, member_id, chosen) if held is None else held.first(len(chosen))
        report = _move(case, member_id, self.reason, rule, batch)
        self._plan, self._done = plan, min(end, len(plan))
        return attrs.evolve(report, remaining=len(plan) - self._done)


def remaining(case: UseCase, member_id: str) -> int:
    """How many open records ``member_id`` still holds (what a handover would move)."""
    return len(_holdings(case, member_id).items())


def _move(
    case: UseCase, member_id: str, reason: str, rule: HandoverRule, held: _Holdings
) -> HandoverReport:
    """Move ``held`` by ``rule``: leads pool by pool, then the other kinds."""
    moved = _hand_over_leads(case, member_id, reason, rule, held.leads)
    default = _Receiver(case, member_id, rule.opportunities_to or rule.to)
    given = {
        kind: _give(case, member_id, kind, held.ids[kind], rule.assignments, default, reason)
        for kind in _KINDS[1:]
    }
    return HandoverReport(
        member_id,
        reason,
        tuple(moved),
        given["opportunity"],
        given["order"],
        given["receivable"],
        given["approval"],
    )


def _still_held(case: UseCase, member_id: str, chosen: list[tuple[str, str]]) -> _Holdings:
    """The records of ``chosen`` that ``member_id`` still holds, loaded (a record someone
    else moved meanwhile is left alone)."""
    leads: list[Lead] = []
    ids: dict[str, list[str]] = {kind: [] for kind in _KINDS[1:]}
    for kind, record_id in chosen:
        if kind == "lead":
            lead = case.repo(Lead).get(record_id)
            if lead.owner_id == member_id and lead.status in _HELD:
                leads.append(lead)
        elif _HOLDS[kind](case, member_id, record_id):
            ids[kind].append(record_id)
    return _Holdings(leads, ids)


def _holds_deal(case: UseCase, member_id: str, record_id: str) -> bool:
    deal = case.repo(Opportunity).get(record_id)
    return deal.owner_id == member_id and deal.status is OpportunityStatus.OPEN


def _holds_order(case: UseCase, member_id: str, record_id: str) -> bool:
    order = case.repo(Order).get(record_id)
    return order.owner_id == member_id and order.status in _OPEN_ORDERS


def _holds_receivable(case: UseCase, member_id: str, record_id: str) -> bool:
    receivable = case.repo(Receivable).get(record_id)
    return receivable.owner_id == member_id and has_outstanding(receivable)


def _holds_task(case: UseCase, member_id: str, record_id: str) -> bool:
    instance = case.repo(ApprovalInstance).get(record_id)
    return instance.status is ApprovalStatus.PENDING and bool(instance.open_tasks_for(member_id))


#: Whether the member still holds one record of each kind but leads.
_HOLDS: dict[str, Callable[[UseCase, str, str], bool]] = {
    "opportunity": _holds_deal,
    "order": _holds_order,
    "receivable": _holds_receivable,
    "approval": _holds_task,
}


def _check_arguments(case: UseCase, member_id: str, reason: str, rule: HandoverRule) -> None:
    """Refuse a missing reason, an unknown member, or a receiver who cannot take over."""
    crm = case.crm
    _name(member_id, "member_id")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(f"handover: a reason is required, got {reason!r}")
    crm.directory.user(member_id)  # NotFound for a user nobody knows
    named = [("to", rule.to), ("opportunities_to", rule.opportunities_to)]
    named += [(f"assignments[{key!r}]", value) for key, value in rule.assignments.items()]
    for name, value in named:
        if value is not None:
            _name(value, name)
            if not crm.directory.user(value).active:
                raise ValidationError(f"handover: {name} {value!r} is not an active user")
            if value == member_id:
                raise ValidationError(f"handover: {member_id} cannot hand over to themself")


def _leave_pools(case: UseCase, member_id: str, leaving: bool, holding: set[str]) -> None:
    """The member leaves (or pauses in) every pool they are a member of (the configured
    ones and those ``holding`` their leads); a pool they already left is not touched, so a
    resumed handover changes nothing here."""
    crm = case.crm
    pool_ids = [p.id for p in crm.config.pools]
    for pool_id in pool_ids + sorted(holding - set(pool_ids)):
        pool = crm.pool(case, pool_id)
        member = pool.state.members.get(member_id)
        if member is None:
            continue
        if leaving:
            pool.remove_member(case.actor, member_id, at=case.at)
        elif member.active:
            pool.update_member(case.actor, member_id, at=case.at, active=False)
        else:
            continue
        case.repo(type(pool)).save(pool)


def _holdings(case: UseCase, member_id: str) -> _Holdings:
    """Every open record ``member_id`` holds today."""
    leads = case.repo(Lead)
    held = [lead for status in _HELD for lead in leads.find(owner_id=member_id, status=status)]
    held.sort(key=lambda lead: (str(lead.pool_id), lead.id))
    orders = case.repo(Order)
    ids = {
        "opportunity": [
            d.id
            for d in case.repo(Opportunity).find(owner_id=member_id, status=OpportunityStatus.OPEN)
        ],
        "order": [
            o.id for status in _OPEN_ORDERS for o in orders.find(owner_id=member_id, status=status)
        ],
        "receivable": [
            r.id for r in case.repo(Receivable).find(owner_id=member_id, has_outstanding=True)
        ],
        "approval": [
            i.id
            for i in case.repo(ApprovalInstance).find(status=ApprovalStatus.PENDING)
            if i.open_tasks_for(member_id)
        ],
    }
    return _Holdings(held, {kind: sorted(found) for kind, found in ids.items()})


def _check_map(
    case: UseCase, member_id: str, assignments: Mapping[str, str], holdings: _Holdings
) -> None:
    """Each id of the map names a record the member holds, or one its receiver already
    holds (moved by an earlier batch of the same handover); anything else is refused."""
    held = {record_id for _, record_id in holdings.items()}
    for record_id, receiver in sorted(assignments.items()):
        if record_id in held:
            continue
        holders = _holders(case, record_id)
        if receiver in holders:
            continue
        found = f"held by {', '.join(sorted(holders))}" if holders else "held by nobody"
        raise ValidationError(
            f"handover: assignments names {record_id!r}, which is not an open record of "
            f"{member_id} ({found})"
        )


def _holders(case: UseCase, record_id: str) -> set[str]:
    """Who holds the record ``record_id`` of any kind a handover moves (owner, or the
    approvers with an open task)."""
    holders: set[str] = set()
    owned: tuple[type[Lead | Opportunity | Order | Receivable], ...] = (
        Lead,
        Opportunity,
        Order,
        Receivable,
    )
    for cls in owned:
        try:
            owner = case.repo(cls).get(record_id).owner_id
        except NotFound:
            continue
        if owner is not None:
            holders.add(owner)
    try:
        instance = case.repo(ApprovalInstance).get(record_id)
    except NotFound:
        return holders
    holders.update(task.approver_id for task in instance.open_tasks())
    return holders


def _hand_over_leads(
    case: UseCase, member_id: str, reason: str, rule: HandoverRule, chosen: list[Lead]
) -> list[Assignment]:
    """The chosen leads move on, pool by pool: those in the map to their receiver, the rest
    by the rule."""
    crm, leads = case.crm, case.repo(Lead)
    by_pool: dict[str, list[Lead]] = {}
    for lead in chosen:
        by_pool.setdefault(str(lead.pool_id), []).append(lead)
    moved: dict[str, Assignment] = {}
    for pool_id, batch in by_pool.items():
        pool = crm.pool(case, pool_id)
        groups: dict[str | None, list[Lead]] = {}
        for lead in batch:
            groups.setdefault(rule.assignments.get(lead.id), []).append(lead)
        for receiver, group in sorted(groups.items(), key=lambda g: (g[0] is None, g[0] or "")):
            to = receiver if receiver is not None else rule.to
            result = pool.hand_over(
                case.actor,
                group,
                member_id,
                at=case.at,
                reason=reason,
                to=to,
                redistribute=rule.redistribute and to is None,
            )
            moved.update((a.lead_id, a) for a in result.assignments)
        for lead in batch:
            leads.save(lead)
        case.repo(type(pool)).save(pool)
    return [moved[lead.id] for lead in chosen]


class _Receiver:
    """The default receiver of deals, orders, receivables and tasks: the one named, else the
    member's active manager (looked up once, when first needed)."""

    def __init__(self, case: UseCase, member_id: str, named: str | None) -> None:
        self._case, self._member_id, self._named = case, member_id, named

    def __call__(self) -> str:
        if self._named is not None:
            return self._named
        manager = self._case.crm.directory.manager_of(self._member_id)
        if manager is None or not manager.active:
            raise ValidationError(
                f"handover: {self._member_id} holds open opportunities, orders, receivables "
                f"or approval tasks and has no active manager; name opportunities_to"
            )
        self._named = manager.id
        return manager.id


def _give(
    case: UseCase,
    member_id: str,
    kind: str,
    ids: list[str],
    assignments: Mapping[str, str],
    default: Callable[[], str],
    reason: str,
) -> tuple[tuple[str, str], ...]:
    """Hand each record of ``kind`` (an approval request: the member's open tasks in it) to
    its receiver, who must be allowed to own records of that kind."""
    allowed: set[str] = set()
    given = []
    for record_id in ids:
        receiver = assignments.get(record_id) or default()
        if kind != "approval" and receiver not in allowed:
            case.create_for(kind, receiver, case.department_of(receiver))
            allowed.add(receiver)
        _MOVERS[kind](case, member_id, record_id, receiver, reason)
        given.append((record_id, receiver))
    return tuple(given)


def _move_owned(
    load: Callable[[UseCase, str], Opportunity | Order | Receivable],
) -> Callable[[UseCase, str, str, str, str], None]:
    """Moving one owned record: load it (through the record-access rule), hand it over."""

    def move(case: UseCase, member_id: str, record_id: str, receiver: str, reason: str) -> None:
        record = load(case, record_id)
        record.hand_over(case.actor, receiver, at=case.at, reason=reason)
        case.repo(type(record)).save(record)

    return move


def _move_tasks(case: UseCase, member_id: str, record_id: str, receiver: str, reason: str) -> None:
    """The member's open tasks of one pending approval request go to ``receiver``."""
    instances = case.repo(ApprovalInstance)
    instance = instances.get(record_id)
    instance.reassign(
        case.actor, member_id, receiver, at=case.at, directory=case.crm.directory, reason=reason
    )
    instances.save(instance)


#: How a handover moves one record of each kind but leads.
_MOVERS: dict[str, Callable[[UseCase, str, str, str, str], None]] = {
    "opportunity": _move_owned(lambda case, record_id: case.opportunity(record_id)),
    "order": _move_owned(lambda case, record_id: case.order(record_id)),
    "receivable": _move_owned(lambda case, record_id: case.receivable(record_id)),
    "approval": _move_tasks,
}
