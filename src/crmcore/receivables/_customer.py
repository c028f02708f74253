"""One bank transfer that pays several receivables of the same customer.

Where the invariant lives: each [`Receivable`][crmcore.receivables.Receivable] alone guarantees
that its installments
are never over-allocated (it validates every part it is given). This module only *plans* a
split of the transfer across the receivables — oldest due date first over all their
installments, or as the caller says — asks every receivable to validate its part, and only
when all parts are valid appends them. So either every receivable records its part or none
does. The bank reference identifies the transfer on every receivable it touches, which makes
recording it again idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

import attrs

from crmcore._dates import check_date
from crmcore._decimal import in_context
from crmcore.errors import CurrencyMismatch, InvariantViolation, NotFound, ValidationError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables._facts import Payment
from crmcore.receivables._policy import OverpaymentPolicy
from crmcore.receivables._receivable import Receivable

__all__ = ["CustomerPayment", "record_customer_payment"]


@attrs.frozen
class CustomerPayment:
    """A transfer split over receivables: one pending [`Payment`][crmcore.receivables.Payment] per
    receivable touched."""

    reference: str
    amount: Money
    parts: tuple[tuple[str, Payment], ...]

    @property
    def advance(self) -> Money:
        """The part no installment had room for, kept as an advance (on the last receivable)."""
        return sum((p.advance for _, p in self.parts), Money.zero(self.amount.currency))


@in_context
def record_customer_payment(
    receivables: Sequence[Receivable],
    actor: Actor,
    amount: Money,
    *,
    reference: str,
    received_on: date,
    at: datetime,
    allocations: Mapping[tuple[str, int], Money] | None = None,
) -> CustomerPayment:
    """Record one transfer over several receivables of one customer (all or nothing).

    Allocation runs oldest due date first across every installment of ``receivables``
    unless ``allocations`` maps ``(receivable id, installment number)`` to amounts. Money
    left over becomes an advance on the receivable with the latest due date (if its policy
    allows; otherwise the transfer is refused). Recording the same ``reference`` again
    returns the first recording; with a different amount it is refused.
    """
    ids = _checked_transfer(receivables, amount, reference, received_on)
    existing = [(r.id, p) for r in receivables for p in r.payments if p.reference == reference]
    if existing:
        total = sum((p.amount for _, p in existing), Money.zero(amount.currency))
        if total != amount:
            raise InvariantViolation(
                f"bank reference {reference!r} was already recorded as {total}, not {amount}"
            )
        return CustomerPayment(reference, amount, tuple(existing))
    by_id = {r.id: r for r in receivables}
    plan = (
        _oldest_first(receivables, amount.amount, received_on)
        if allocations is None
        else _explicit(by_id, amount, allocations)
    )
    allocated = sum((v.amount for parts in plan.values() for v in parts.values()), Decimal(0))
    leftover = amount.amount - allocated
    latest = max(receivables, key=lambda r: (max(i.due_date for i in r.installments), r.id))
    if leftover:
        if latest.policy.overpayment is OverpaymentPolicy.REFUSE:
            raise InvariantViolation(
                f"payment {amount} exceeds the room left on {ids} by "
                f"{Money(leftover, amount.currency)}; overpayment is refused by policy"
            )
        plan.setdefault(latest.id, {})
    prepared: list[tuple[Receivable, Payment]] = []
    for r in receivables:
        if r.id not in plan:
            continue
        parts = plan[r.id]
        part_total = sum((m.amount for m in parts.values()), Decimal(0))
        if r is latest:
            part_total += leftover
        payment = r._prepare_payment(
            actor, Money(part_total, amount.currency).round(), received_on, at, reference, parts
        )
        prepared.append((r, payment))
    for r, payment in prepared:
        r._apply_payment(payment, actor, at)
    return CustomerPayment(reference, amount, tuple((r.id, p) for r, p in prepared))


def _checked_transfer(
    receivables: Sequence[Receivable], amount: Money, reference: object, received_on: object
) -> list[str]:
    """The receivables' ids, after checking they can share one transfer of ``amount``."""
    if not receivables:
        raise ValidationError("receivables: at least one receivable is required")
    check_date(received_on, "received_on")
    if not isinstance(reference, str) or not reference.strip():
        raise ValidationError(f"reference: a bank reference is required, got {reference!r}")
    customers = {r.customer for r in receivables}
    if len(customers) > 1:
        raise ValidationError(f"receivables: belong to several customers {sorted(customers)}")
    for r in receivables:
        if r.currency != amount.currency:
            raise CurrencyMismatch(f"receivable {r.id} is in {r.currency}, the payment {amount}")
    ids = [r.id for r in receivables]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"receivables: listed twice in {ids}")
    return ids


def _oldest_first(
    receivables: Sequence[Receivable], amount: Decimal, received_on: date
) -> dict[str, dict[int, Money]]:
    """Oldest due date first over every installment: first up to each installment's amount
    less the early-payment discount the transfer earns, then up to its room."""
    slots = []
    for r in receivables:
        room = r.room()
        caps = r._discount_caps(room, received_on)
        for inst in r.installments:
            i = inst.number - 1
            if room[i] > 0:
                slots.append((inst.due_date, r.issue_date, r.id, inst.number, caps[i], room[i], r))
    slots.sort(key=lambda s: s[:4])
    taken: dict[tuple[str, int], Decimal] = {}
    left = amount
    for first_pass in (True, False):
        for _, _, rid, number, cap, room_left, _r in slots:
            limit = cap if first_pass else room_left
            take = min(limit - taken.get((rid, number), Decimal(0)), left)
            if take > 0:
                taken[(rid, number)] = taken.get((rid, number), Decimal(0)) + take
                left -= take
    plan: dict[str, dict[int, Money]] = {}
    for _, _, rid, number, _, _, r in slots:
        if (rid, number) in taken:
            plan.setdefault(rid, {})[number] = Money(taken[(rid, number)], r.currency)
    return plan


def _explicit(
    by_id: Mapping[str, Receivable], amount: Money, allocations: Mapping[tuple[str, int], Money]
) -> dict[str, dict[int, Money]]:
    plan: dict[str, dict[int, Money]] = {}
    total = Money.zero(amount.currency)
    for (rid, number), part in allocations.items():
        if rid not in by_id:
            raise NotFound(f"allocations: receivable {rid!r} is not among {sorted(by_id)}")
        plan.setdefault(rid, {})[number] = part
        total = total + part
    if total > amount:
        raise ValidationError(f"allocations: add up to {total}, more than the payment {amount}")
    return plan
