"""From a confirmed order to its receivable, and its return notes to the receivable."""

from __future__ import annotations

from datetime import datetime

from crmcore._decimal import in_context
from crmcore.errors import InvalidTransition, ValidationError
from crmcore.orders._facts import OrderReturn, ShortClose
from crmcore.orders._order import CONFIRMED_STATES, Order
from crmcore.ports import Actor
from crmcore.receivables import PaymentTerms, Receivable, ReceivablePolicy, SalesReturn

__all__ = ["has_receivable", "open_receivable", "record_return_on", "record_short_close_on"]


def has_receivable(order: Order) -> bool:
    """True when the confirmed order has something to collect (a zero-amount order, such
    as a free sample, has no receivable)."""
    total = order.grand_total
    return total is not None and total.amount > 0


@in_context
def open_receivable(
    order: Order,
    terms: PaymentTerms,
    receivable_id: str,
    *,
    actor: Actor,
    at: datetime,
    policy: ReceivablePolicy | None = None,
) -> Receivable:
    """The receivable of a confirmed order: its grand total on the customer's ``terms``.

    The confirmation date is both the issue date and the anchor the terms count from;
    the receivable carries the order's customer, owner and department.
    """
    if order.status not in CONFIRMED_STATES or order.confirmed_at is None:
        raise InvalidTransition(
            f"order {order.id}: cannot open a receivable in state {order.status.name}; "
            "the order must be confirmed"
        )
    grand_total = order.grand_total
    if grand_total is None or not grand_total.amount > 0:
        raise ValidationError(
            f"order {order.id}: grand total {grand_total} leaves nothing to collect"
        )
    confirmed_on = order.confirmed_at.date()
    return Receivable.open(
        receivable_id,
        customer=order.customer_id,
        owner_id=order.owner_id,
        department=order.department,
        amount=grand_total,
        issue_date=confirmed_on,
        anchor=confirmed_on,
        terms=terms,
        actor=actor,
        at=at,
        policy=policy,
    )


@in_context
def record_return_on(
    receivable: Receivable, note: OrderReturn, *, actor: Actor, at: datetime
) -> SalesReturn | None:
    """Lower the receivable's net amount by the return note's amount, whatever was paid or
    invoiced (see ``Receivable.record_sales_return``); None for a return worth nothing (free
    goods, or units to ship again). Run it in the same unit of work as the order's return."""
    if not note.amount.amount > 0:
        return None
    return receivable.record_sales_return(
        actor, note.amount, reason=f"return {note.id}: {note.reason}", at=at
    )


@in_context
def record_short_close_on(
    receivable: Receivable, closed: ShortClose, *, actor: Actor, at: datetime
) -> SalesReturn | None:
    """Lower the receivable's net amount by what the short-closed units were worth (None
    when they were worth nothing). Run it in the same unit of work as the short-close."""
    if not closed.amount.amount > 0:
        return None
    return receivable.record_sales_return(
        actor, closed.amount, reason=f"short-close {closed.id}: {closed.reason}", at=at
    )
