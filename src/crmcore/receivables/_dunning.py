"""Reminders and dunning: offsets from the due date, levels, a fee and late interest."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import attrs

from crmcore._dates import MAX_DAYS
from crmcore._decimal import CONTEXT, in_context, to_decimal
from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore._validators import non_negative, percent_0_100
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import from_dict

__all__ = ["DunningPolicy", "DunningStep", "Reminder", "due_reminders", "late_interest"]

ReminderKey = tuple[str, int, int]


def _fee(value: object) -> Decimal:
    return to_decimal(value, "fee: ")


def _offset(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or not -MAX_DAYS <= value <= MAX_DAYS:
        raise ValidationError(
            f"{attribute.name}: expected a whole number of days -{MAX_DAYS}..{MAX_DAYS}, "
            f"got {show(value)}"
        )


@attrs.frozen
class DunningStep:
    """A reminder ``offset_days`` from the due date (−3: three days before), at a level.

    ``fee`` is an amount in the receivable's currency charged with this step.
    """

    offset_days: int = attrs.field(validator=_offset)
    level: int = attrs.field(validator=non_negative)
    name: str = ""
    fee: Decimal = attrs.field(default=Decimal(0), converter=_fee, validator=non_negative)


def _flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"{attribute.name}: expected true or false, got {show(value)}")


def _steps(value: Iterable[DunningStep]) -> tuple[DunningStep, ...]:
    steps = tuple(value)
    if not steps:
        raise ValidationError("steps: a dunning policy needs at least one step")
    for i in range(1, len(steps)):
        if steps[i].offset_days <= steps[i - 1].offset_days:
            raise ValidationError(
                f"steps[{i}].offset_days: {steps[i].offset_days} must be after "
                f"{steps[i - 1].offset_days} (steps ascend)"
            )
    return steps


@attrs.frozen
class DunningPolicy:
    """Steps by offset, and the annual interest rate charged on late money (actual/365).

    ``pending_counts_as_paid`` (default on): money recorded against an installment and
    waiting for finance's confirmation counts as paid for reminders, so a customer who
    has paid is not dunned while finance checks the bank statement.
    """

    steps: tuple[DunningStep, ...] = attrs.field(converter=_steps)
    annual_interest: Percent = attrs.field(
        default=Percent(0), converter=Percent, validator=[non_negative, percent_0_100]
    )
    day_count: int = attrs.field(default=365, validator=attrs.validators.in_((360, 365)))
    pending_counts_as_paid: bool = attrs.field(default=True, validator=_flag)

    @classmethod
    def standard(
        cls, fee: Decimal | int | str = 0, annual_interest: Decimal | int | str = 0
    ) -> DunningPolicy:
        """−3 (friendly), 0 (due today), +7, +15, +30 days at levels 0–4; fee from level 2."""
        return cls(
            [
                DunningStep(-3, 0, "upcoming"),
                DunningStep(0, 1, "due today"),
                DunningStep(7, 2, "first reminder", fee),
                DunningStep(15, 3, "second reminder", fee),
                DunningStep(30, 4, "final notice", fee),
            ],
            Percent(annual_interest),
        )

    @classmethod
    def from_dict(cls, data: object) -> DunningPolicy:
        """Deprecated: use ``crmcore.serialization.from_dict(DunningPolicy, data)``."""
        deprecated(
            "DunningPolicy.from_dict", "crmcore.serialization.from_dict(DunningPolicy, data)"
        )
        return from_dict(cls, data)


@in_context
def late_interest(
    outstanding: Money, annual_rate: Percent, days_late: int, day_count: int = 365
) -> Money:
    """``outstanding × rate × days_late / day_count``, rounded once to the currency."""
    if days_late <= 0:
        return Money.zero(outstanding.currency)
    factor = CONTEXT.divide(
        CONTEXT.multiply(annual_rate.fraction, Decimal(days_late)), Decimal(day_count)
    )
    return (outstanding * factor).round()


@attrs.frozen
class Reminder:
    """One reminder to send: which installment, which step, and what is due with charges."""

    receivable_id: str
    customer: str
    owner: str
    installment: int
    due_date: date
    offset_days: int
    level: int
    name: str
    send_on: date
    days_late: int
    outstanding: Money
    fee: Money
    interest: Money
    total_due: Money

    @property
    def key(self) -> ReminderKey:
        """What identifies it in ``already_sent``: (receivable id, installment, offset)."""
        return (self.receivable_id, self.installment, self.offset_days)


@in_context
def due_reminders(
    receivables: Iterable[Receivable],
    as_of: date,
    already_sent: Collection[ReminderKey],
    policy: DunningPolicy,
) -> list[Reminder]:
    """The reminders to send on ``as_of`` that have not been sent yet.

    Per open installment only the latest step reached counts (when several were missed,
    one reminder at the highest level goes out, not a burst); a paid installment gets none.
    Money waiting for confirmation counts as paid unless the policy says otherwise.
    Interest runs on the amount dunned for the days late on ``as_of``.
    """
    result: list[Reminder] = []
    steps: Sequence[DunningStep] = policy.steps
    for receivable in receivables:
        for row in receivable.installment_view(as_of):
            owed = row.outstanding
            if policy.pending_counts_as_paid:
                owed = owed - row.pending_confirmation
            if not owed.amount > 0:
                continue
            reached = [s for s in steps if row.due_date + timedelta(days=s.offset_days) <= as_of]
            if not reached:
                continue
            step = reached[-1]
            if (receivable.id, row.number, step.offset_days) in already_sent:
                continue
            days_late = max(0, (as_of - row.due_date).days)
            fee = Money(step.fee, receivable.currency).round()
            interest = late_interest(owed, policy.annual_interest, days_late, policy.day_count)
            result.append(
                Reminder(
                    receivable_id=receivable.id,
                    customer=receivable.customer,
                    owner=receivable.owner_id,
                    installment=row.number,
                    due_date=row.due_date,
                    offset_days=step.offset_days,
                    level=step.level,
                    name=step.name,
                    send_on=row.due_date + timedelta(days=step.offset_days),
                    days_late=days_late,
                    outstanding=owed,
                    fee=fee,
                    interest=interest,
                    total_due=owed + fee + interest,
                )
            )
    return result
