"""The events a receivable leaves behind: who did what to which payment, refund or invoice."""

from __future__ import annotations

import attrs

from crmcore.events import DomainEvent
from crmcore.money import Money

__all__ = [
    "AccountApplicationConfirmed",
    "AccountApplicationRecorded",
    "AccountApplicationRejected",
    "AccountCreditAdded",
    "AccountOpened",
    "AccountReceiptConfirmed",
    "AccountReceiptRecorded",
    "AccountReceiptRejected",
    "AccountRefundConfirmed",
    "AccountRefundRejected",
    "AccountRefundRequested",
    "ReceivableAdvanceMoved",
    "ReceivableCreditNoteIssued",
    "ReceivableCreditNoteRejected",
    "ReceivableCreditNoteRequested",
    "ReceivableDiscountGranted",
    "ReceivableDiscountRevoked",
    "ReceivableHandedOver",
    "ReceivableInvoiceCancelled",
    "ReceivableInvoiceIssued",
    "ReceivableInvoiceRejected",
    "ReceivableInvoiceRequested",
    "ReceivableOpened",
    "ReceivablePaymentConfirmed",
    "ReceivablePaymentRecorded",
    "ReceivablePaymentRejected",
    "ReceivablePaymentReversed",
    "ReceivableRefundConfirmed",
    "ReceivableRefundRejected",
    "ReceivableRefundRequested",
    "ReceivableReturnRecorded",
    "ReceivableWrittenOff",
]


@attrs.frozen(kw_only=True)
class ReceivableHandedOver(DomainEvent):
    """The receivable changed hands (its salesperson left): ``owner_id`` collects it now."""

    previous_owner_id: str
    owner_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ReceivableOpened(DomainEvent):
    """A receivable was opened for an order with its installment plan."""

    amount: Money
    customer: str
    installments: int


@attrs.frozen(kw_only=True)
class ReceivablePaymentRecorded(DomainEvent):
    """Sales recorded a payment; it waits for finance to confirm it."""

    payment_id: str
    amount: Money
    reference: str | None
    advance: Money


@attrs.frozen(kw_only=True)
class ReceivablePaymentConfirmed(DomainEvent):
    """Finance confirmed a payment: from now on it counts as received."""

    payment_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class ReceivablePaymentRejected(DomainEvent):
    """Finance rejected a payment (not found on the bank statement...)."""

    payment_id: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class ReceivablePaymentReversed(DomainEvent):
    """Finance reversed a confirmed payment (the transfer bounced): it no longer counts."""

    payment_id: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class ReceivableWrittenOff(DomainEvent):
    """Finance wrote off a small difference for a configured reason (no money moved)."""

    write_off_id: str
    amount: Money
    reason_code: str
    note: str | None


@attrs.frozen(kw_only=True)
class ReceivableDiscountGranted(DomainEvent):
    """An early-payment discount was granted against payments received in time."""

    discount_id: str
    installment: int
    amount: Money


@attrs.frozen(kw_only=True)
class ReceivableDiscountRevoked(DomainEvent):
    """An early-payment discount was withdrawn: the payment it rested on was reversed."""

    discount_id: str
    installment: int
    amount: Money
    payment_id: str


@attrs.frozen(kw_only=True)
class ReceivableRefundRequested(DomainEvent):
    """A refund of received money was requested."""

    refund_id: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class ReceivableRefundConfirmed(DomainEvent):
    """Finance confirmed a refund: received money went back to the customer."""

    refund_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class ReceivableRefundRejected(DomainEvent):
    """Finance rejected a refund request."""

    refund_id: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class ReceivableAdvanceMoved(DomainEvent):
    """Finance moved (part of) the receivable's advance to the customer's account: no money
    left the company; it waits there to pay another order."""

    refund_id: str
    amount: Money
    account_id: str


@attrs.frozen(kw_only=True)
class ReceivableReturnRecorded(DomainEvent):
    """Goods came back (or an allowance was granted): the net amount went down."""

    return_id: str
    amount: Money
    reason: str
    #: paid money the return turned into customer credit (None: none, or before 0.3).
    customer_credit: Money | None = None


@attrs.frozen(kw_only=True)
class ReceivableInvoiceRequested(DomainEvent):
    """An invoice was requested against the receivable."""

    invoice_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class ReceivableInvoiceIssued(DomainEvent):
    """Finance issued the requested invoice."""

    invoice_id: str
    amount: Money
    number: str


@attrs.frozen(kw_only=True)
class ReceivableInvoiceRejected(DomainEvent):
    """Finance rejected the invoice request."""

    invoice_id: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class ReceivableInvoiceCancelled(DomainEvent):
    """Finance cancelled an issued invoice (a red-letter / credit note)."""

    invoice_id: str
    amount: Money
    reason: str


# -- the customer's account ------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class AccountOpened(DomainEvent):
    """A customer's account was opened in one currency."""

    customer: str
    currency: str


@attrs.frozen(kw_only=True)
class AccountReceiptRecorded(DomainEvent):
    """Money received on account was recorded; it waits for finance."""

    receipt_id: str
    amount: Money
    reference: str | None
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountReceiptConfirmed(DomainEvent):
    """Finance confirmed money received on account: it can be applied."""

    receipt_id: str
    amount: Money
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountReceiptRejected(DomainEvent):
    """Finance rejected money recorded on account."""

    receipt_id: str
    amount: Money
    reason: str
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountCreditAdded(DomainEvent):
    """A credit was added to the customer's account."""

    credit_id: str
    amount: Money
    source: str
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountApplicationRecorded(DomainEvent):
    """Unapplied money was put on a receivable; it waits for finance."""

    application_id: str
    receivable_id: str
    amount: Money
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountApplicationConfirmed(DomainEvent):
    """Finance confirmed an application: the receivable's payment counts."""

    application_id: str
    receivable_id: str
    amount: Money
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountApplicationRejected(DomainEvent):
    """Finance rejected an application: the money is unapplied again."""

    application_id: str
    receivable_id: str
    amount: Money
    reason: str
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountRefundRequested(DomainEvent):
    """A refund of unapplied money was requested."""

    refund_id: str
    amount: Money
    reason: str
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountRefundConfirmed(DomainEvent):
    """Finance confirmed a refund from the account: the money has left."""

    refund_id: str
    amount: Money
    owner_id: str


@attrs.frozen(kw_only=True)
class AccountRefundRejected(DomainEvent):
    """Finance rejected a refund from the account."""

    refund_id: str
    amount: Money
    reason: str
    owner_id: str


@attrs.frozen(kw_only=True)
class ReceivableCreditNoteRequested(DomainEvent):
    """A credit note was requested against an issued invoice (by hand or by a return)."""

    credit_note_id: str
    invoice_id: str
    amount: Money
    reason: str
    return_id: str | None = None


@attrs.frozen(kw_only=True)
class ReceivableCreditNoteIssued(DomainEvent):
    """Finance issued a credit note under its official number."""

    credit_note_id: str
    invoice_id: str
    amount: Money
    number: str


@attrs.frozen(kw_only=True)
class ReceivableCreditNoteRejected(DomainEvent):
    """Finance rejected a credit note request."""

    credit_note_id: str
    invoice_id: str
    amount: Money
    reason: str
