"""Payment terms: portions and due rules that turn an amount and an anchor date into installments.

Every due date is computed from the anchor with one ``relativedelta`` (never chained from the
previous installment), so "net 30" from 31 January is 2 March, not 28 February + 2 days.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._dates import MAX_DAYS, MAX_MONTHS, check_count, check_date
from crmcore._decimal import CONTEXT, context_class, to_decimal
from crmcore._deprecation import deprecated
from crmcore._validators import member, percent_0_100, positive
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict

__all__ = [
    "DueKind",
    "DueRule",
    "EarlyDiscount",
    "Installment",
    "PaymentTerms",
    "Portion",
    "PortionKind",
    "TermLine",
]


class PortionKind(enum.Enum):
    """How much of the amount a term line asks for."""

    PERCENT = "percent"
    FIXED = "fixed"
    BALANCE = "balance"


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "value: ")


def _portion_kind(value: object) -> PortionKind:
    return member(PortionKind, value, "kind")


def _due_kind(value: object) -> DueKind:
    return member(DueKind, value, "kind")


@attrs.frozen
class Portion:
    """A share of the amount: a percent, a fixed amount (receivable's currency) or the rest."""

    kind: PortionKind = attrs.field(converter=_portion_kind)
    value: Decimal | None = attrs.field(default=None, converter=_optional_decimal)

    def __attrs_post_init__(self) -> None:
        if self.kind is PortionKind.BALANCE:
            if self.value is not None:
                raise ValidationError(f"value: a balance portion takes no value, got {self.value}")
            return
        if self.value is None:
            raise ValidationError(f"value: required for a {self.kind.value} portion")
        if self.value <= 0:
            raise ValidationError(f"value: must be > 0, got {self.value}")
        if self.kind is PortionKind.PERCENT and self.value > 100:
            raise ValidationError(f"value: a percent portion must be <= 100, got {self.value}")

    @classmethod
    def percent(cls, value: Decimal | int | str) -> Portion:
        """``value`` percent of the amount."""
        return cls(PortionKind.PERCENT, to_decimal(value, "percent: "))

    @classmethod
    def fixed(cls, value: Decimal | int | str) -> Portion:
        """A fixed amount in the receivable's currency."""
        return cls(PortionKind.FIXED, to_decimal(value, "fixed: "))

    @classmethod
    def balance(cls) -> Portion:
        """Whatever the other lines leave."""
        return cls(PortionKind.BALANCE)


def _days(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_count(value, attribute.name, MAX_DAYS)


def _months(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_count(value, attribute.name, MAX_MONTHS, "months")


class DueKind(enum.Enum):
    """The due-date rules of a term line."""

    #: ``days`` after the anchor date ("net 30").
    DAYS_AFTER = "days_after"
    #: ``days`` after the last day of the anchor's month ("30 days end of month").
    DAYS_AFTER_MONTH_END = "days_after_month_end"
    #: the last day of the month ``months`` after the anchor's month.
    END_OF_MONTH_AFTER = "end_of_month_after"
    #: day ``day`` of the month after (anchor + ``days``), clamped to that month's length.
    DAY_OF_MONTH_AFTER = "day_of_month_after"


@attrs.frozen
class DueRule:
    """When a term line falls due, computed from the anchor date in one step."""

    kind: DueKind = attrs.field(converter=_due_kind)
    days: int = attrs.field(default=0, validator=_days)
    months: int = attrs.field(default=0, validator=_months)
    day: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind is DueKind.DAY_OF_MONTH_AFTER:
            if self.day is None or not 1 <= self.day <= 31:
                raise ValidationError(f"day: must be 1..31 for {self.kind.value}, got {self.day}")
        elif self.day is not None:
            raise ValidationError(f"day: only {DueKind.DAY_OF_MONTH_AFTER.value} takes a day")

    @classmethod
    def net(cls, days: int) -> DueRule:
        """``days`` after the anchor."""
        return cls(DueKind.DAYS_AFTER, days=days)

    def due_date(self, anchor: date) -> date:
        """The due date for ``anchor``: one relativedelta from the anchor, never chained."""
        check_date(anchor, "anchor")
        if self.kind is DueKind.DAYS_AFTER:
            return anchor + relativedelta(days=self.days)
        if self.kind is DueKind.DAYS_AFTER_MONTH_END:
            return anchor + relativedelta(day=31, days=self.days)
        if self.kind is DueKind.END_OF_MONTH_AFTER:
            return anchor + relativedelta(months=self.months, day=31)
        shifted = anchor + relativedelta(days=self.days)
        return shifted + relativedelta(months=1, day=self.day)


@context_class
@attrs.frozen
class EarlyDiscount:
    """``percent`` off the installment when it is paid within ``days`` of the anchor."""

    percent: Percent = attrs.field(converter=Percent, validator=[positive, percent_0_100])
    days: int = attrs.field(validator=_days)


@attrs.frozen
class TermLine:
    """One line of payment terms: how much, when, and an optional early-payment discount."""

    portion: Portion
    due: DueRule
    discount: EarlyDiscount | None = None


@context_class
@attrs.frozen
class Installment:
    """One planned installment of a receivable (its original amount, before any return)."""

    number: int
    due_date: date
    amount: Money
    discount: Percent | None = None
    discount_until: date | None = None

    def early_payment_discount(self, paid_on: date, amount: Money | None = None) -> Money:
        """The discount on ``amount`` (default: the whole installment) if paid on ``paid_on``.

        Zero when the terms offer none or ``paid_on`` is after ``discount_until``.
        """
        base = self.amount if amount is None else amount
        if self.discount is None or self.discount_until is None or paid_on > self.discount_until:
            return Money.zero(base.currency)
        return (base * self.discount).round()


def _lines(value: Sequence[TermLine]) -> tuple[TermLine, ...]:
    return tuple(value)


@context_class
@attrs.frozen
class PaymentTerms:
    """Named payment terms: the lines are checked once here, amounts at
    [`schedule`][crmcore.receivables.PaymentTerms.schedule].

    Portions must add up to 100 % or end with one balance line; fixed amounts are allowed
    with a balance line or when they and the percents cover the amount exactly.
    """

    name: str
    lines: tuple[TermLine, ...] = attrs.field(converter=_lines)

    def __attrs_post_init__(self) -> None:
        if not self.lines:
            raise ValidationError(f"lines: payment terms {self.name!r} need at least one line")
        kinds = [line.portion.kind for line in self.lines]
        for i, kind in enumerate(kinds[:-1]):
            if kind is PortionKind.BALANCE:
                raise ValidationError(
                    f"lines[{i}].portion: only the last line may be the balance "
                    f"(terms {self.name!r})"
                )
        percent = sum(
            (
                line.portion.value or Decimal(0)
                for line in self.lines
                if line.portion.kind is PortionKind.PERCENT
            ),
            Decimal(0),
        )
        if percent > 100:
            raise ValidationError(f"lines: percents add up to {percent} %, more than 100 %")
        if (
            kinds[-1] is not PortionKind.BALANCE
            and PortionKind.FIXED not in kinds
            and percent != 100
        ):
            raise ValidationError(
                f"lines: percents add up to {percent} %; they must make 100 % or the last "
                f"line must be the balance (terms {self.name!r})"
            )

    @classmethod
    def net(cls, days: int) -> PaymentTerms:
        """The whole amount ``days`` after the anchor."""
        return cls(f"net {days}", [TermLine(Portion.balance(), DueRule.net(days))])

    @classmethod
    def from_dict(cls, data: object) -> PaymentTerms:
        """Deprecated: use ``crmcore.serialization.from_dict(PaymentTerms, data)``."""
        deprecated("PaymentTerms.from_dict", "crmcore.serialization.from_dict(PaymentTerms, data)")
        return from_dict(cls, data)

    def schedule(self, amount: Money, anchor: date) -> tuple[Installment, ...]:
        """Installments that sum exactly to ``amount``; the last one takes the residual.

        Refuses (ValidationError) an amount that is not > 0 or not rounded to the currency,
        fixed amounts that do not fit, and any installment that would come out <= 0.
        """
        if not amount.amount > 0:
            raise ValidationError(f"amount: must be > 0, got {amount}")
        if not amount.is_rounded:
            raise ValidationError(f"amount: {amount} has digits below the minor unit")
        exact: list[Decimal] = []
        for line in self.lines[:-1]:
            exact.append(self._exact_share(line.portion, amount.amount))
        last = self.lines[-1].portion
        if last.kind is not PortionKind.BALANCE:
            covered = CONTEXT.add(sum(exact, Decimal(0)), self._exact_share(last, amount.amount))
            if covered != amount.amount:
                raise ValidationError(
                    f"terms {self.name!r}: lines cover {covered} of {amount}; with fixed "
                    "amounts the last line must be the balance or the lines must cover "
                    "the amount exactly"
                )
        quantum = amount.currency.quantum
        parts = [
            Money(e.quantize(quantum, "ROUND_HALF_UP", CONTEXT), amount.currency) for e in exact
        ]
        parts.append(amount - sum(parts, Money.zero(amount.currency)))
        installments = []
        for i, (line, part) in enumerate(zip(self.lines, parts, strict=True)):
            if not part.amount > 0:
                raise ValidationError(
                    f"terms {self.name!r}: installment {i + 1} would be {part} of {amount}; "
                    "every installment must be > 0"
                )
            discount = line.discount
            installments.append(
                Installment(
                    number=i + 1,
                    due_date=line.due.due_date(anchor),
                    amount=part,
                    discount=None if discount is None else discount.percent,
                    discount_until=(
                        None if discount is None else anchor + relativedelta(days=discount.days)
                    ),
                )
            )
        return tuple(installments)

    @staticmethod
    def _exact_share(portion: Portion, amount: Decimal) -> Decimal:
        value = portion.value if portion.value is not None else Decimal(0)
        if portion.kind is PortionKind.PERCENT:
            return CONTEXT.divide(CONTEXT.multiply(amount, value), Decimal(100))
        return value
