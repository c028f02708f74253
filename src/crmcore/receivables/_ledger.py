"""The pure fold of a receivable's facts into its figures: facts in, figures out.

Each fact (a return, a discount, a write-off, a payment, a refund, an invoice, a credit
note) adds its own part to the figures, independently of the others; ``seen`` says which
moments count (a date's, or every one for "now"). Because each part is independent, the
receivable can keep the fold of now current by adding a new fact's part or swapping a
changed fact's part (``fold_payment`` with ``sign`` -1 then 1) instead of refolding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

from crmcore.receivables._facts import (
    CreditNote,
    EarlyPaymentDiscount,
    InvoiceRequest,
    Payment,
    Refund,
    ReturnNote,
    WriteOff,
)
from crmcore.receivables._policy import InvoiceState, PaymentState, RefundState

__all__ = ["Ledger", "copy_ledger", "fold", "fold_payment", "now_seen"]

_ZERO = Decimal(0)
#: the payment states that count as received from their decision on (until a reversal).
_COUNTED = (PaymentState.CONFIRMED, PaymentState.REVERSED)
Seen = Callable[[datetime | None], bool]


@attrs.define(slots=False)
class Ledger:
    """Per-installment and total figures (bare Decimals) as of a date, or now (None)."""

    cut: list[Decimal]
    paid: list[Decimal]
    reserved: list[Decimal]
    #: per installment: early-payment discounts (part of ``cut``) and write-offs.
    disc: list[Decimal]
    written: list[Decimal]
    received: Decimal = _ZERO
    pending: Decimal = _ZERO
    refunded: Decimal = _ZERO
    refund_requested: Decimal = _ZERO
    advance: Decimal = _ZERO
    returned: Decimal = _ZERO
    discounted: Decimal = _ZERO
    written_off: Decimal = _ZERO
    invoiced: Decimal = _ZERO
    pending_invoice: Decimal = _ZERO
    credited: Decimal = _ZERO
    pending_credit: Decimal = _ZERO

    @property
    def kept(self) -> Decimal:
        return self.received - self.refunded

    @property
    def billed(self) -> Decimal:
        """Invoiced or requested, less credit notes issued or requested."""
        return self.invoiced + self.pending_invoice - self.credited - self.pending_credit


def now_seen(at: datetime | None) -> bool:
    """Every recorded moment counts now."""
    return at is not None


def fold(
    installments: int,
    as_of: date | None,
    *,
    returns: Iterable[ReturnNote],
    discounts: Iterable[EarlyPaymentDiscount],
    write_offs: Iterable[WriteOff],
    payments: Iterable[Payment],
    refunds: Iterable[Refund],
    invoices: Iterable[InvoiceRequest],
    credit_notes: Iterable[CreditNote],
) -> Ledger:
    """The figures of the facts seen on ``as_of`` (None: now)."""

    def seen(at: datetime | None) -> bool:
        return at is not None and (as_of is None or at.date() <= as_of)

    ledger = Ledger(
        cut=[_ZERO] * installments,
        paid=[_ZERO] * installments,
        reserved=[_ZERO] * installments,
        disc=[_ZERO] * installments,
        written=[_ZERO] * installments,
    )
    for note in returns:
        _fold_return(ledger, note, seen)
    for d in discounts:
        _fold_discount(ledger, d, seen)
    for w in write_offs:
        _fold_write_off(ledger, w, seen)
    for p in payments:
        fold_payment(ledger, p, seen, 1)
    for f in refunds:
        _fold_refund(ledger, f, seen)
    for inv in invoices:
        _fold_invoice(ledger, inv, seen)
    for credit in credit_notes:
        _fold_credit_note(ledger, credit, seen)
    return ledger


def _fold_discount(ledger: Ledger, d: EarlyPaymentDiscount, seen: Seen) -> None:
    if seen(d.granted_at) and not seen(d.revoked_at):
        ledger.discounted += d.amount.amount
        ledger.cut[d.installment - 1] += d.amount.amount
        ledger.disc[d.installment - 1] += d.amount.amount


def _fold_write_off(ledger: Ledger, w: WriteOff, seen: Seen) -> None:
    if seen(w.recorded_at):
        ledger.written_off += w.amount.amount
        for a in w.allocations:
            ledger.written[a.installment - 1] += a.amount.amount


def _fold_credit_note(ledger: Ledger, credit: CreditNote, seen: Seen) -> None:
    if not seen(credit.recorded_at):
        return
    if credit.state is InvoiceState.ISSUED and seen(credit.decided_at):
        ledger.credited += credit.amount.amount
    elif credit.state is InvoiceState.REQUESTED or not seen(credit.decided_at):
        ledger.pending_credit += credit.amount.amount


def _fold_return(ledger: Ledger, note: ReturnNote, seen: Seen) -> None:
    if not seen(note.recorded_at):
        return
    # an early-payment discount stored by an earlier release as a return note
    if note.discount_for is None:
        ledger.returned += note.amount.amount
    else:
        ledger.discounted += note.amount.amount
    for cut in note.cuts:
        ledger.cut[cut.installment - 1] += cut.amount.amount
        if note.discount_for is not None:
            ledger.disc[cut.installment - 1] += cut.amount.amount
    for release in note.releases:  # paid money the return made customer credit
        ledger.paid[release.installment - 1] -= release.amount.amount
        ledger.advance += release.amount.amount
    for back in note.written_back:  # a write-off the goods coming back replaced
        ledger.written[back.installment - 1] -= back.amount.amount
        ledger.written_off -= back.amount.amount
    for back in note.discount_back:  # the discount on the goods that came back
        ledger.discounted -= back.amount.amount
        ledger.disc[back.installment - 1] -= back.amount.amount
        ledger.cut[back.installment - 1] -= back.amount.amount


def fold_payment(ledger: Ledger, p: Payment, seen: Seen, sign: int) -> None:
    """Add (``sign`` 1) or take back (-1) one payment's part of the figures."""
    if not seen(p.recorded_at):
        return
    if p.state in _COUNTED and seen(p.decided_at):
        if seen(p.reversed_at):
            return
        ledger.received += sign * p.amount.amount
        ledger.advance += sign * p.advance.amount
        target = ledger.paid
    elif p.state is PaymentState.PENDING or not seen(p.decided_at):
        ledger.pending += sign * p.amount.amount
        target = ledger.reserved
    else:
        return
    for a in p.allocations:
        target[a.installment - 1] += sign * a.amount.amount


def _fold_refund(ledger: Ledger, f: Refund, seen: Seen) -> None:
    if not seen(f.recorded_at):
        return
    if f.state is RefundState.CONFIRMED and seen(f.decided_at):
        ledger.refunded += f.amount.amount
        ledger.advance -= f.advance_release.amount if f.advance_release else _ZERO
        for a in f.releases:
            ledger.paid[a.installment - 1] -= a.amount.amount
    elif f.state is RefundState.REQUESTED or not seen(f.decided_at):
        ledger.refund_requested += f.amount.amount


def _fold_invoice(ledger: Ledger, inv: InvoiceRequest, seen: Seen) -> None:
    if not seen(inv.recorded_at):
        return
    if inv.state in (InvoiceState.ISSUED, InvoiceState.CANCELLED) and seen(inv.decided_at):
        if not seen(inv.cancelled_at):
            ledger.invoiced += inv.amount.amount
    elif inv.state is InvoiceState.REQUESTED or not seen(inv.decided_at):
        ledger.pending_invoice += inv.amount.amount


def copy_ledger(ledger: Ledger) -> Ledger:
    """A copy whose lists the caller may change."""
    return attrs.evolve(
        ledger,
        cut=list(ledger.cut),
        paid=list(ledger.paid),
        reserved=list(ledger.reserved),
        disc=list(ledger.disc),
        written=list(ledger.written),
    )
