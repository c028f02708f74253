"""The handover when a salesperson leaves: every open lead, deal, order and receivable they
hold moves on, with its history, in one unit of work."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity, OpportunityStatus
from crmcore.leads import Assignment, Lead, LeadStatus
from crmcore.orders import Order, OrderStatus
from crmcore.receivables import Receivable
from crmcore.workflow import ApprovalInstance, ApprovalStatus

if TYPE_CHECKING:
    from crmcore.services._case import UseCase

__all__ = ["HandoverReport"]

_HELD = (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
#: The orders still in progress: handed over with their salesperson's other open records.
_OPEN_ORDERS = tuple(
    s for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
)


@attrs.frozen
class HandoverReport:
    """What a handover moved: each lead (where it went; ``owner_id`` None: back to its pool
    to wait), and each open deal, open order and receivable still to collect with its new
    owner."""

    member_id: str
    reason: str
    leads: tuple[Assignment, ...]
    opportunities: tuple[tuple[str, str], ...]
    orders: tuple[tuple[str, str], ...] = ()
    receivables: tuple[tuple[str, str], ...] = ()
    #: Pending approval requests whose open tasks the member held, and who holds them now.
    approvals: tuple[tuple[str, str], ...] = ()

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


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"handover: {what} must be a user id, got {value!r}")
    return value


def hand_over(
    case: UseCase,
    member_id: str,
    *,
    reason: str,
    to: str | None,
    redistribute: bool,
    opportunities_to: str | None,
    leaving: bool,
) -> HandoverReport:
    """The handover use case's work; see ``LeadService.hand_over``."""
    _check_arguments(case, member_id, reason, to, opportunities_to)
    moved = _hand_over_leads(case, member_id, reason, to, redistribute, leaving)
    open_deals = [
        d.id
        for d in case.repo(Opportunity).find(owner_id=member_id, status=OpportunityStatus.OPEN)
    ]
    orders = case.repo(Order)
    open_orders = [
        o.id for status in _OPEN_ORDERS for o in orders.find(owner_id=member_id, status=status)
    ]
    to_collect = [
        r.id for r in case.repo(Receivable).find(owner_id=member_id, has_outstanding=True)
    ]
    instances = case.repo(ApprovalInstance)
    awaiting = [
        i.id for i in instances.find(status=ApprovalStatus.PENDING) if i.open_tasks_for(member_id)
    ]
    count = len(open_deals) + len(open_orders) + len(to_collect) + len(awaiting)
    if not count:
        return HandoverReport(member_id, reason, tuple(moved), ())
    receiver = _receiver(case, member_id, opportunities_to or to, count)
    given = _give(case, "opportunity", open_deals, receiver, reason)
    given_orders = _give(case, "order", open_orders, receiver, reason)
    given_receivables = _give(case, "receivable", to_collect, receiver, reason)
    given_approvals: list[tuple[str, str]] = []
    for instance_id in sorted(awaiting):
        instance = instances.get(instance_id)
        instance.reassign(
            case.actor,
            member_id,
            receiver,
            at=case.at,
            directory=case.crm.directory,
            reason=reason,
        )
        instances.save(instance)
        given_approvals.append((instance.id, receiver))
    return HandoverReport(
        member_id,
        reason,
        tuple(moved),
        given,
        given_orders,
        given_receivables,
        tuple(given_approvals),
    )


def _check_arguments(
    case: UseCase, member_id: str, reason: str, to: str | None, opportunities_to: str | None
) -> None:
    """Refuse a missing reason, an unknown member, or a receiver who cannot take over."""
    crm = case.crm
    _name(member_id, "member_id")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(f"handover: a reason is required, got {reason!r}")
    crm.directory.user(member_id)  # NotFound for a user nobody knows
    for name, value in (("to", to), ("opportunities_to", opportunities_to)):
        if value is not None:
            _name(value, name)
            if not crm.directory.user(value).active:
                raise ValidationError(f"handover: {name} {value!r} is not an active user")
            if value == member_id:
                raise ValidationError(f"handover: {member_id} cannot hand over to themself")


def _hand_over_leads(
    case: UseCase,
    member_id: str,
    reason: str,
    to: str | None,
    redistribute: bool,
    leaving: bool,
) -> list[Assignment]:
    """The member leaves (or pauses in) every pool; their held leads move on, pool by pool."""
    crm, leads = case.crm, case.repo(Lead)
    held = [lead for status in _HELD for lead in leads.find(owner_id=member_id, status=status)]
    by_pool: dict[str, list[Lead]] = {}
    for lead in sorted(held, key=lambda lead: lead.id):
        by_pool.setdefault(str(lead.pool_id), []).append(lead)
    moved: list[Assignment] = []
    pool_ids = [p.id for p in crm.config.pools]
    pool_ids += sorted(set(by_pool) - set(pool_ids))
    for pool_id in pool_ids:
        pool = crm.pool(case, pool_id)
        batch = by_pool.get(pool_id, [])
        member = pool.state.members.get(member_id)
        if member is None and not batch:
            continue
        if member is not None and leaving:
            pool.remove_member(case.actor, member_id, at=case.at)
        elif member is not None and member.active:
            pool.update_member(case.actor, member_id, at=case.at, active=False)
        if batch:
            result = pool.hand_over(
                case.actor,
                batch,
                member_id,
                at=case.at,
                reason=reason,
                to=to,
                redistribute=redistribute and to is None,
            )
            moved.extend(result.assignments)
            for lead in batch:
                leads.save(lead)
        case.repo(type(pool)).save(pool)
    return moved


def _receiver(case: UseCase, member_id: str, named: str | None, count: int) -> str:
    """Who takes the open records: the one named, else the member's active manager."""
    if named is not None:
        return named
    manager = case.crm.directory.manager_of(member_id)
    if manager is None or not manager.active:
        raise ValidationError(
            f"handover: {member_id} holds {count} open opportunities, orders, "
            f"receivables or approval tasks and has no active manager; name "
            f"opportunities_to"
        )
    return manager.id


def _give(
    case: UseCase, kind: str, ids: list[str], receiver: str, reason: str
) -> tuple[tuple[str, str], ...]:
    """Hand each record of ``kind`` to ``receiver`` (who must be allowed to own it)."""
    if not ids:
        return ()
    case.create_for(kind, receiver, case.department_of(receiver))
    loaders: dict[str, Callable[[str], Opportunity | Order | Receivable]] = {
        "opportunity": lambda record_id: case.opportunity(record_id),
        "order": lambda record_id: case.order(record_id),
        "receivable": lambda record_id: case.receivable(record_id),
    }
    load = loaders[kind]
    given = []
    for record_id in sorted(ids):
        record = load(record_id)
        record.hand_over(case.actor, receiver, at=case.at, reason=reason)
        case.repo(type(record)).save(record)
        given.append((record.id, receiver))
    return tuple(given)
