"""The facts a receivable is made of: payments, refunds, returns and invoice requests.

Each fact is an immutable record; a state change (confirming a payment, issuing an invoice)
replaces the record with an evolved copy and leaves an event, so nothing is ever rewritten
silently. Every balance figure is derived from these records.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from crmcore.money import Money
from crmcore.receivables._policy import InvoiceState, PaymentState, RefundState

__all__ = [
    "Allocation",
    "CreditNote",
    "EarlyPaymentDiscount",
    "InvoiceRequest",
    "Payment",
    "Refund",
    "ReturnNote",
    "WriteOff",
]


@attrs.frozen
class Allocation:
    """Part of a payment, refund or return applied to one installment (by its number)."""

    installment: int
    amount: Money


@attrs.frozen
class Payment:
    """A payment (回款) recorded by sales; only counts as received once finance confirms it.

    ``allocations`` say which installments it pays; ``advance`` is the part beyond them that
    the overpayment policy kept as a customer advance. A confirmed payment that bounced is
    reversed: it keeps its record (who confirmed it, who reversed it and why) and stops
    counting as received from ``reversed_at`` on.
    """

    id: str
    amount: Money
    received_on: date
    recorded_by: str
    recorded_at: datetime
    allocations: tuple[Allocation, ...]
    advance: Money
    reference: str | None = None
    state: PaymentState = PaymentState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    reversed_by: str | None = None
    reversed_at: datetime | None = None
    reversal_reason: str | None = None


@attrs.frozen
class WriteOff:
    """A small difference finance settles without money (a bank fee, a rounding short-pay).

    It closes part of the installments (``allocations``) without lowering the net amount:
    the customer owed it, the company chose not to collect it, for a configured reason code.
    """

    id: str
    amount: Money
    reason_code: str
    recorded_by: str
    recorded_at: datetime
    allocations: tuple[Allocation, ...]
    note: str | None = None


@attrs.frozen
class EarlyPaymentDiscount:
    """An early-payment discount granted on one installment against confirmed payments.

    It lowers that installment (and the net amount) by the terms' percent; it is a discount,
    not a return: balances show it as ``discounted``. ``payment_ids`` are the confirmed
    payments received within the discount period that paid the rest.
    """

    id: str
    installment: int
    amount: Money
    payment_ids: tuple[str, ...]
    granted_by: str
    granted_at: datetime
    #: when a payment it rested on was reversed, the discount went with it.
    revoked_at: datetime | None = None


@attrs.frozen
class Refund:
    """Money given back to the customer; confirmed by finance, never more than was kept.

    On confirmation it releases the advance first, then the latest installments
    (``releases``), which become outstanding again.
    """

    id: str
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
    state: RefundState = RefundState.REQUESTED
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection: str | None = None
    advance_release: Money | None = None
    releases: tuple[Allocation, ...] = ()
    #: The customer account the money went to (an advance moved, not paid out); None for a
    #: refund to the customer.
    to_account: str | None = None


@attrs.frozen
class ReturnNote:
    """A return or allowance: lowers the net amount, cut from the latest unpaid installments."""

    id: str
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
    cuts: tuple[Allocation, ...]
    #: the installment whose early-payment discount this allowance grants, if it is one.
    discount_for: int | None = None
    #: paid money this return took back from the installments: it became customer credit.
    releases: tuple[Allocation, ...] = ()
    #: the credit notes the return asked for (the part of it already invoiced).
    credit_note_ids: tuple[str, ...] = ()
    #: written-off amounts the return made unnecessary (the goods came back instead).
    written_back: tuple[Allocation, ...] = ()
    #: the early-payment discount on the goods that came back, taken back with them.
    discount_back: tuple[Allocation, ...] = ()


@attrs.frozen
class InvoiceRequest:
    """An invoice request (开票申请): requested → issued / rejected; issued → cancelled."""

    id: str
    title: str
    tax_id: str
    address: str
    amount: Money
    recorded_by: str
    recorded_at: datetime
    state: InvoiceState = InvoiceState.REQUESTED
    number: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    cancelled_at: datetime | None = None


@attrs.frozen
class CreditNote:
    """A credit note (红字发票): an invoice document that takes back part or all of an issued
    invoice; requested → issued / rejected by finance like an invoice.

    ``invoice_id`` is the invoice it credits; ``return_id`` the return note that asked for
    it (a credit note a return needs cannot be rejected: the invoices would exceed the net
    amount).
    """

    id: str
    invoice_id: str
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
    return_id: str | None = None
    state: InvoiceState = InvoiceState.REQUESTED
    number: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection: str | None = None
