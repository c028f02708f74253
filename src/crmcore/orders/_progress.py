"""How far an order got: delivered and billed percentages and its invoicing status.

Like ERPNext's ``per_delivered`` / ``per_billed`` and Odoo's ``invoice_status``: derived
from the order's shipments, returns and short-close and its receivable's balance, never
stored.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore.money import Money, Percent
from crmcore.orders._order import Order, _worth
from crmcore.orders._state import InvoiceBasis
from crmcore.receivables import Balance

__all__ = ["InvoicingStatus", "OrderProgress", "order_progress"]

_HUNDRED = Decimal(100)


class InvoicingStatus(enum.Enum):
    """Odoo's ``invoice_status``: is anything left to invoice (or to credit)?"""

    #: nothing is due to be invoiced yet (or ever: a free sample).
    NOTHING_TO_INVOICE = "nothing to invoice"
    #: the invoices differ from what is to be billed: invoice more, or credit some back.
    TO_INVOICE = "to invoice"
    #: the invoices (less credit notes, requests counted) match what is to be billed.
    INVOICED = "invoiced"


@attrs.frozen
class OrderProgress:
    """An order's delivery and billing progress.

    Quantities are summed over the priced lines. ``delivered_percent`` is Σ min(delivered,
    ordered) / Σ ordered (by quantity); ``billed_percent`` is ``billed`` / the grand total
    (by amount, as ERPNext's ``per_billed``). ``to_bill`` is what the order's
    ``invoice_basis`` says should be invoiced: its net amount (ORDERED) or what the delivered
    units are worth (DELIVERED); ``left_to_bill`` = ``to_bill − billed`` (negative: a
    credit note is due).
    """

    order_id: str
    ordered: Decimal
    shipped: Decimal
    returned: Decimal
    delivered: Decimal
    closed: Decimal
    left_to_ship: Decimal
    received: Decimal
    delivered_percent: Percent
    invoice_basis: InvoiceBasis
    to_bill: Money
    billed: Money
    left_to_bill: Money
    billed_percent: Percent
    invoicing_status: InvoicingStatus


def _percent(part: Decimal, whole: Decimal) -> Percent:
    if not whole:
        return Percent(0)
    return Percent(
        CONTEXT.divide(CONTEXT.multiply(part, _HUNDRED), whole).quantize(Decimal("0.01"))
    )


@in_context
def order_progress(order: Order, balance: Balance | None = None) -> OrderProgress:
    """The order's progress; ``balance`` is its receivable's (None: nothing is billed, as
    for a zero-amount order without a receivable)."""
    lines = order.priced_lines
    ordered = sum((p.quantity for p in lines), Decimal(0))
    delivered = {p.index: order.delivered_quantity(p.index) for p in lines}
    within = sum((min(delivered[p.index], p.quantity) for p in lines), Decimal(0))
    zero = Money.zero(order.currency).round()
    grand = order.grand_total if order.grand_total is not None else zero
    basis = order.policy.invoice_basis
    if order.priced is None:
        to_bill = zero
    elif basis is InvoiceBasis.DELIVERED:
        to_bill = _worth(order.priced, delivered)
    else:
        to_bill = order.net_amount or zero
    if balance is None:
        billed, ever = zero, False
    else:
        billed = (balance.invoiced - balance.credited) + (
            balance.pending_invoice - balance.pending_credit
        )
        ever = balance.invoiced.amount > 0 or balance.pending_invoice.amount > 0
    if billed != to_bill:
        status = InvoicingStatus.TO_INVOICE
    elif to_bill.amount > 0 or ever:
        status = InvoicingStatus.INVOICED
    else:
        status = InvoicingStatus.NOTHING_TO_INVOICE
    return OrderProgress(
        order_id=order.id,
        ordered=ordered,
        shipped=sum((order.shipped_quantity(p.index) for p in lines), Decimal(0)),
        returned=sum((order.returned_quantity(p.index) for p in lines), Decimal(0)),
        delivered=sum(delivered.values(), Decimal(0)),
        closed=sum((order.closed_quantity(p.index) for p in lines), Decimal(0)),
        left_to_ship=sum(order.remaining_to_ship().values(), Decimal(0)),
        received=sum((order.received_quantity(p.index) for p in lines), Decimal(0)),
        delivered_percent=_percent(within, ordered),
        invoice_basis=basis,
        to_bill=to_bill,
        billed=billed,
        left_to_bill=to_bill - billed,
        billed_percent=_percent(billed.amount, grand.amount),
        invoicing_status=status,
    )
