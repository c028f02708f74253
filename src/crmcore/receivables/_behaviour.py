"""How a customer pays: the days each installment was settled after (or before) its due date,
read from confirmed payments — shared by the risk grade, the late-payer list and the
collections forecast."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs

from crmcore._decimal import CONTEXT
from crmcore.errors import ValidationError
from crmcore.money import Percent
from crmcore.receivables._balance import InstallmentStatus
from crmcore.receivables._policy import PaymentState
from crmcore.receivables._receivable import Receivable

__all__ = ["LatePayer", "PaymentBehaviour", "late_payers", "payment_behaviour", "settlements"]


def settlements(
    receivable: Receivable, as_of: date
) -> Iterator[tuple[InstallmentStatus, date | None]]:
    """Each installment with an amount, on ``as_of``, and the value date of the confirmed
    payment that completed it (None while it is not fully paid). Only payments confirmed by
    ``as_of`` count; their allocations say which installment they paid."""
    paid: dict[int, list[tuple[date, Decimal]]] = {}
    for payment in receivable.payments:
        decided = payment.decided_at
        if (
            payment.state is PaymentState.CONFIRMED
            and decided is not None
            and decided.date() <= as_of
        ):
            for allocation in payment.allocations:
                paid.setdefault(allocation.installment, []).append(
                    (payment.received_on, allocation.amount.amount)
                )
    for row in receivable.installment_view(as_of):
        if not row.amount.amount > 0:
            continue
        settled_on = None
        running = Decimal(0)
        for when, part in sorted(paid.get(row.number, [])):
            running = CONTEXT.add(running, part)
            if running >= row.amount.amount:
                settled_on = when
                break
        yield row, settled_on


def _quantile(sorted_values: list[int], q: Decimal) -> int:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of a non-empty sorted list."""
    rank = int(CONTEXT.multiply(q, Decimal(len(sorted_values))).to_integral_value("ROUND_CEILING"))
    return sorted_values[max(rank, 1) - 1]


@attrs.frozen
class PaymentBehaviour:
    """A customer's settled installments by ``as_of``: how many, and the days they were paid
    after their due date (negative: early) — the median, the 10th and 90th percentiles
    (nearest rank), the mean and the share paid on time."""

    customer: str
    settled: int
    median_days_late: int
    p10_days_late: int
    p90_days_late: int
    average_days_late: Decimal
    on_time_share: Percent

    @classmethod
    def from_delays(cls, customer: str, delays: Iterable[int]) -> PaymentBehaviour:
        """The statistics of ``delays`` (days late per settled installment; at least one)."""
        ordered = sorted(delays)
        if not ordered:
            raise ValidationError(f"customer {customer!r}: no settled installment to learn from")
        count = len(ordered)
        mean = CONTEXT.divide(Decimal(sum(ordered)), Decimal(count))
        on_time = sum(1 for d in ordered if d <= 0)
        share = CONTEXT.divide(Decimal(on_time * 100), Decimal(count))
        return cls(
            customer,
            count,
            _quantile(ordered, Decimal("0.5")),
            _quantile(ordered, Decimal("0.1")),
            _quantile(ordered, Decimal("0.9")),
            mean.quantize(Decimal("0.1"), ROUND_HALF_UP, CONTEXT),
            Percent(share.quantize(Decimal("0.1"), ROUND_HALF_UP, CONTEXT)),
        )


def _delays(receivables: Iterable[Receivable], as_of: date) -> dict[str, list[int]]:
    delays: dict[str, list[int]] = {}
    for receivable in receivables:
        if not isinstance(receivable, Receivable):
            raise ValidationError(f"receivables: expected a Receivable, got {receivable!r}")
        for row, settled_on in settlements(receivable, as_of):
            if settled_on is not None:
                delays.setdefault(receivable.customer, []).append((settled_on - row.due_date).days)
    return delays


def payment_behaviour(
    receivables: Iterable[Receivable], as_of: date
) -> dict[str, PaymentBehaviour]:
    """Each customer's payment behaviour from the installments settled by ``as_of``
    (customers with nothing settled yet have none)."""
    if type(as_of) is not date:
        raise ValidationError(f"as_of: expected a date, got {as_of!r}")
    return {
        customer: PaymentBehaviour.from_delays(customer, found)
        for customer, found in sorted(_delays(receivables, as_of).items())
    }


@attrs.frozen
class LatePayer:
    """One customer on the late-payer list, with the behaviour that put it there."""

    rank: int
    behaviour: PaymentBehaviour


def late_payers(
    receivables: Iterable[Receivable], as_of: date, *, min_settled: int = 3
) -> list[LatePayer]:
    """Customers who habitually pay late: median days late above zero over at least
    ``min_settled`` settled installments, worst first (median, then mean, then the 90th
    percentile, then the customer id)."""
    if isinstance(min_settled, bool) or not isinstance(min_settled, int) or min_settled < 1:
        raise ValidationError(f"min_settled: must be a whole number >= 1, got {min_settled!r}")
    late = [
        b
        for b in payment_behaviour(receivables, as_of).values()
        if b.settled >= min_settled and b.median_days_late > 0
    ]
    late.sort(
        key=lambda b: (-b.median_days_late, -b.average_days_late, -b.p90_days_late, b.customer)
    )
    return [LatePayer(i, b) for i, b in enumerate(late, start=1)]
