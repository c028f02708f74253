"""Payment exceptions: finance's work list of payments that need a decision.

Short (an installment due and only partly paid: write the rest off or chase it), late
(paid after its due date), reversed (a confirmed transfer that bounced) and unmatched (money
no installment had room for, kept as an advance). Derived from the facts on a date, like
every other figure.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from datetime import date

import attrs

from crmcore._decimal import in_context
from crmcore._numbers import show
from crmcore.errors import ValidationError
from crmcore.money import Money
from crmcore.receivables._facts import Payment
from crmcore.receivables._policy import PaymentState
from crmcore.receivables._receivable import Receivable

__all__ = ["ExceptionKind", "PaymentException", "payment_exceptions"]


class ExceptionKind(enum.Enum):
    """Why a payment is on finance's work list."""

    SHORT = "short"
    LATE = "late"
    REVERSED = "reversed"
    UNMATCHED = "unmatched"


_ORDER = {kind: i for i, kind in enumerate(ExceptionKind)}


@attrs.frozen
class PaymentException:
    """One line of the work list: which receivable, payment and installment, how much, why.

    ``amount`` is what is short (still outstanding), paid late, reversed or unmatched;
    ``on`` the day it happened (the payment's receipt, its reversal); ``days_late`` is set
    for late payments.
    """

    kind: ExceptionKind
    receivable_id: str
    customer: str
    owner_id: str
    payment_id: str | None
    installment: int | None
    amount: Money
    on: date
    days_late: int = 0
    detail: str = ""


def _counted(payment: Payment, as_of: date) -> bool:
    """Whether the payment counts as received on ``as_of`` (confirmed, not yet reversed)."""
    decided, reversed_at = payment.decided_at, payment.reversed_at
    return (
        payment.state in (PaymentState.CONFIRMED, PaymentState.REVERSED)
        and decided is not None
        and decided.date() <= as_of
        and (reversed_at is None or reversed_at.date() > as_of)
    )


def _kind(value: object) -> ExceptionKind:
    try:
        return ExceptionKind(value)
    except ValueError:
        raise ValidationError(
            f"kinds: no payment exception kind {show(value)} "
            f"(one of {', '.join(k.value for k in ExceptionKind)})"
        ) from None


def _of_receivable(r: Receivable, as_of: date) -> list[PaymentException]:
    found: list[PaymentException] = []

    def add(
        kind: ExceptionKind,
        payment_id: str | None,
        number: int | None,
        amount: Money,
        on: date,
        days_late: int = 0,
        detail: str = "",
    ) -> None:
        found.append(
            PaymentException(
                kind,
                r.id,
                r.customer,
                r.owner_id,
                payment_id,
                number,
                amount,
                on,
                days_late,
                detail,
            )
        )

    due = {inst.number: inst.due_date for inst in r.installments}
    counted = [p for p in r.payments if _counted(p, as_of)]
    last_payment: dict[int, str] = {}
    for p in counted:
        for a in p.allocations:
            last_payment[a.installment] = p.id
            late = (p.received_on - due[a.installment]).days
            if late > 0:
                add(
                    ExceptionKind.LATE,
                    p.id,
                    a.installment,
                    a.amount,
                    p.received_on,
                    late,
                    f"received {late} days after the due date {due[a.installment].isoformat()}",
                )
    for row in r.installment_view(as_of):
        if row.paid.amount > 0 and row.outstanding.amount > 0 and row.due_date <= as_of:
            add(
                ExceptionKind.SHORT,
                last_payment.get(row.number),
                row.number,
                row.outstanding,
                row.due_date,
                detail=f"paid {row.paid} of {row.amount}",
            )
    for p in r.payments:
        if p.reversed_at is not None and p.reversed_at.date() <= as_of:
            add(
                ExceptionKind.REVERSED,
                p.id,
                None,
                p.amount,
                p.reversed_at.date(),
                detail=p.reversal_reason or "",
            )
    advance = r.balance(as_of).advance
    if advance.amount > 0:
        carriers = [p for p in counted if p.advance.amount > 0]
        latest = carriers[-1] if carriers else None
        add(
            ExceptionKind.UNMATCHED,
            None if latest is None else latest.id,
            None,
            advance,
            as_of if latest is None else latest.received_on,
            detail="no installment had room: kept as a customer advance",
        )
    return found


@in_context
def payment_exceptions(
    receivables: Iterable[Receivable],
    as_of: date,
    kinds: Collection[ExceptionKind | str] | None = None,
) -> list[PaymentException]:
    """Every payment exception on ``as_of`` (of ``kinds``, default all), by receivable,
    then kind (short, late, reversed, unmatched), then installment."""
    if isinstance(kinds, str | ExceptionKind):
        kinds = [kinds]
    wanted = set(ExceptionKind) if kinds is None else {_kind(k) for k in kinds}
    rows = [e for r in receivables for e in _of_receivable(r, as_of) if e.kind in wanted]
    return sorted(
        rows,
        key=lambda e: (e.receivable_id, _ORDER[e.kind], e.installment or 0, e.payment_id or ""),
    )
