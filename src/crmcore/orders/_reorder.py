"""Quick reorder: a new draft from a past order's lines."""

from __future__ import annotations

from datetime import date, datetime

from crmcore._decimal import in_context
from crmcore.errors import ValidationError
from crmcore.orders._order import Order
from crmcore.ports import Actor
from crmcore.pricing import reorder

__all__ = ["reorder_order"]


@in_context
def reorder_order(
    previous: Order,
    id: str,
    *,
    actor: Actor,
    at: datetime,
    on: date | None = None,
    keep_prices: bool = False,
    owner_id: str | None = None,
    department: str | None = None,
) -> Order:
    """A new DRAFT ordering ``previous``'s lines again (via
    [`crmcore.pricing.reorder`][crmcore.pricing.reorder]).

    By default its lines keep their manual adjustments and are repriced as of ``on``
    (default ``at``'s date) when the draft is priced; with ``keep_prices`` each line's old
    unit price becomes a manual override. The owner is ``owner_id``, else the previous
    owner; the department is ``department``, else the previous order's when the owner is
    the same (a new owner's sale belongs to the new owner's department: pass it). Price
    the draft before submitting it.
    """
    if previous.priced is None:
        raise ValidationError(f"order {previous.id}: was never priced; nothing to reorder")
    request = reorder(
        previous.priced, on if on is not None else at.date(), keep_prices=keep_prices
    )
    return Order.draft(
        id,
        customer=previous.customer,
        owner_id=owner_id if owner_id is not None else previous.owner_id,
        currency=previous.currency,
        actor=actor,
        at=at,
        department=department if department is not None else previous.department,
        lines=request.lines,
        order_discount=request.order_discount,
        codes=request.codes,
        source_order_id=previous.id,
        policy=previous.policy,
    )
