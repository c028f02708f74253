"""Collections reports: what was ordered, returned, received, refunded, invoiced — by
owner, customer, department, month or quarter — and attainment of collection targets."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.receivables._facts import Payment
from crmcore.receivables._policy import InvoiceState, PaymentState, RefundState
from crmcore.receivables._receivable import Receivable

__all__ = [
    "CollectionsBy",
    "CollectionsRow",
    "TargetRow",
    "collections_report",
    "period_of",
    "target_attainment",
]

_FIGURES = (
    "amount",
    "returned",
    "received",
    "refunded",
    "outstanding",
    "invoiced",
    "pending_confirmation",
    "discounted",
    "written_off",
)


class CollectionsBy(enum.Enum):
    """How collections rows are grouped."""

    OWNER = "owner"
    CUSTOMER = "customer"
    DEPARTMENT = "department"
    MONTH = "month"
    QUARTER = "quarter"


def period_of(day: date, by: CollectionsBy | str) -> str:
    """``"2024-03"`` for a month, ``"2024-Q1"`` for a quarter."""
    kind = CollectionsBy(by)
    if kind is CollectionsBy.MONTH:
        return f"{day.year}-{day.month:02d}"
    if kind is CollectionsBy.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    raise ValidationError(f"by: {kind.value!r} is not a period (month or quarter)")


@attrs.frozen
class CollectionsRow:
    """One group's figures in one currency."""

    key: str
    currency: Currency
    amount: Money
    returned: Money
    received: Money
    refunded: Money
    outstanding: Money
    invoiced: Money
    pending_confirmation: Money
    #: early-payment discounts granted (not returns) and small differences written off.
    discounted: Money
    written_off: Money

    def to_record(self) -> dict[str, object]:
        """A plain dict (for pandas or CSV)."""
        return {
            "key": self.key,
            "currency": self.currency.code,
            **{name: getattr(self, name).amount for name in _FIGURES},
        }


def _dated_figures(r: Receivable, as_of: date) -> Iterator[tuple[date, str, Decimal]]:
    """Each figure of ``r`` on the day of its own fact (seen by ``as_of``)."""

    def seen(at: datetime | None) -> bool:
        return at is not None and at.date() <= as_of

    if r.issue_date <= as_of:
        yield r.issue_date, "amount", r.amount.amount
        yield r.issue_date, "outstanding", r.balance(as_of).outstanding.amount
    for note in r.returns:
        # an early-payment discount stored by an earlier release as a return note
        figure = "returned" if note.discount_for is None else "discounted"
        yield from _undone(note.recorded_at, None, figure, note.amount.amount, seen)
    for d in r.discounts:
        yield from _undone(d.granted_at, d.revoked_at, "discounted", d.amount.amount, seen)
    for w in r.write_offs:
        if seen(w.recorded_at):
            yield w.recorded_at.date(), "written_off", w.amount.amount
    for p in r.payments:
        yield from _payment_figures(p, seen)
    for f in r.refunds:
        if f.state is RefundState.CONFIRMED and f.decided_at is not None and seen(f.decided_at):
            yield f.decided_at.date(), "refunded", f.amount.amount
    for inv in r.invoices:
        if inv.state in (InvoiceState.ISSUED, InvoiceState.CANCELLED):
            yield from _undone(
                inv.decided_at, inv.cancelled_at, "invoiced", inv.amount.amount, seen
            )


def _undone(
    done: datetime | None,
    undone: datetime | None,
    figure: str,
    value: Decimal,
    seen: Callable[[datetime | None], bool],
) -> Iterator[tuple[date, str, Decimal]]:
    """A figure on the day it was done, and out again on the day it was undone (a revoked
    discount, a cancelled invoice)."""
    if done is not None and seen(done):
        yield done.date(), figure, value
        if undone is not None and seen(undone):
            yield undone.date(), figure, -value


def _payment_figures(
    p: Payment, seen: Callable[[datetime | None], bool]
) -> Iterator[tuple[date, str, Decimal]]:
    """Received on its confirmation (out again when reversed), or pending since recorded."""
    if not seen(p.recorded_at):
        return
    if p.state in (PaymentState.CONFIRMED, PaymentState.REVERSED) and seen(p.decided_at):
        # a bounced payment comes out again in the period it was reversed
        yield from _undone(p.decided_at, p.reversed_at, "received", p.amount.amount, seen)
    elif p.state is PaymentState.PENDING or not seen(p.decided_at):
        yield p.recorded_at.date(), "pending_confirmation", p.amount.amount


@in_context
def collections_report(
    receivables: Iterable[Receivable], as_of: date, by: CollectionsBy | str = CollectionsBy.OWNER
) -> tuple[CollectionsRow, ...]:
    """Collections on ``as_of`` grouped ``by`` owner, customer, department, month or quarter.

    By owner, customer or department each receivable's balance on ``as_of`` goes to its
    group. By month or quarter every figure goes to the period of its own fact: the amount
    and the outstanding to the issue date's period, a return to its date, received money to
    its confirmation date (and a reversed payment out again in the period it was reversed),
    a refund to its confirmation, an invoice to its issue date (and a cancelled one out again
    in the period it was cancelled), pending confirmation to the period the payment was
    recorded in, a discount to the day it was granted, a write-off to its day.
    """
    kind = CollectionsBy(by)
    sums: dict[tuple[str, Currency], dict[str, Decimal]] = {}

    def add(key: str, currency: Currency, figure: str, value: Decimal) -> None:
        row = sums.setdefault((key, currency), dict.fromkeys(_FIGURES, Decimal(0)))
        row[figure] += value

    for r in receivables:
        cur = r.currency
        if kind in (CollectionsBy.OWNER, CollectionsBy.CUSTOMER, CollectionsBy.DEPARTMENT):
            key = {"owner": r.owner_id, "customer": r.customer, "department": r.department or ""}[
                kind.value
            ]
            b = r.balance(as_of)
            for name in _FIGURES:
                add(key, cur, name, getattr(b, name).amount)
            continue
        for day, figure, value in _dated_figures(r, as_of):
            add(period_of(day, kind), cur, figure, value)
    rows = []
    for (key, cur), figures in sorted(
        sums.items(), key=lambda item: (item[0][0], item[0][1].code)
    ):
        rows.append(CollectionsRow(key, cur, **{n: Money(v, cur) for n, v in figures.items()}))
    return tuple(rows)


@attrs.frozen
class TargetRow:
    """An owner's collection target in a period: achieved = received − refunded there."""

    owner: str
    period: str
    target: Money
    achieved: Money
    gap: Money
    percent: Percent | None


@in_context
def target_attainment(
    receivables: Iterable[Receivable],
    targets: Mapping[tuple[str, str], Money],
    as_of: date,
    by: CollectionsBy | str = CollectionsBy.MONTH,
) -> tuple[TargetRow, ...]:
    """Per (owner, period) target: achieved (money confirmed in the period, less refunds
    confirmed in it), gap (target − achieved; negative when exceeded) and percent."""
    kind = CollectionsBy(by)
    period_of(as_of, kind)  # refuses a non-period grouping up front
    achieved: dict[tuple[str, str], Decimal] = {}
    for r in receivables:
        for p in r.payments:
            if (
                p.state in (PaymentState.CONFIRMED, PaymentState.REVERSED)
                and p.decided_at is not None
                and p.decided_at.date() <= as_of
            ):
                key = (r.owner_id, period_of(p.decided_at.date(), kind))
                achieved[key] = achieved.get(key, Decimal(0)) + p.amount.amount
                if p.reversed_at is not None and p.reversed_at.date() <= as_of:
                    key = (r.owner_id, period_of(p.reversed_at.date(), kind))
                    achieved[key] = achieved.get(key, Decimal(0)) - p.amount.amount
        for f in r.refunds:
            if (
                f.state is RefundState.CONFIRMED
                and f.decided_at is not None
                and f.decided_at.date() <= as_of
            ):
                key = (r.owner_id, period_of(f.decided_at.date(), kind))
                achieved[key] = achieved.get(key, Decimal(0)) - f.amount.amount
    rows = []
    for (owner, period), target in sorted(targets.items()):
        got = Money(achieved.get((owner, period), Decimal(0)), target.currency)
        percent = (
            None
            if target.amount == 0
            else Percent(
                CONTEXT.multiply(CONTEXT.divide(got.amount, target.amount), Decimal(100)).quantize(
                    Decimal("0.1"), "ROUND_HALF_UP", CONTEXT
                )
            )
        )
        rows.append(TargetRow(owner, period, target, got, target - got, percent))
    return tuple(rows)
