"""Money: an exact Decimal amount in one currency.

Money is a hand-written slotted class rather than an attrs class because it is the hottest
value in crmcore (every line, installment and payment). Like ``fractions.Fraction`` it keeps
its state in private slots behind read-only properties, so building one costs two slot
stores; ``benchmarks/bench_money.py`` keeps it no slower than py-moneyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import reduce
from itertools import repeat
from typing import Any, Final, SupportsIndex, overload

from crmcore._decimal import CONTEXT, DecimalInput, scale_to_integers, to_decimal
from crmcore._numbers import MAX_DIGITS as _MAX_DIGITS
from crmcore._numbers import bounded as _bounded
from crmcore._numbers import bounded_int, check_result, check_rounding, show
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money._currency import _REGISTRY, Currency, get_currency
from crmcore.money._percent import Percent

__all__ = ["Money"]

_ADD = CONTEXT.add
_SUB = CONTEXT.subtract
_MUL = CONTEXT.multiply
_DIV = CONTEXT.divide
_ZERO = Decimal(0)
_INT_LIMIT = 10**_MAX_DIGITS
_new = object.__new__
#: The slots behind ``Money.amount`` and ``Money.currency``: crmcore's hot loops read them with
#: one ``operator.attrgetter`` (a property call costs as much as the addition it feeds).
AMOUNT_SLOT: Final = "_amount"
CURRENCY_SLOT: Final = "_currency"


class Money:
    """An amount in a currency. Immutable, hashable, exact; floats are refused.

    ``Money("1.0", "CNY") == Money("1.00", "CNY")``; adding another currency raises
    [`CurrencyMismatch`][crmcore.errors.CurrencyMismatch]. Arithmetic keeps full precision; call
    [`round`][crmcore.money.Money.round] to get to the currency's minor units.
    """

    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: Currency

    def __init__(self, amount: DecimalInput, currency: str | Currency) -> None:
        # The fast path of crmcore._numbers' rule for short ASCII text: at most 40 characters
        # with the first digit from 10**-10 to 10**17 cannot have a digit finer than 10**-50.
        if type(amount) is str and len(amount) <= 40 and amount.isascii() and "_" not in amount:
            try:
                value = Decimal(amount)
            except InvalidOperation:
                value = to_decimal(amount)  # raises, naming the value
            if not value.is_finite():
                value = to_decimal(amount)  # raises, naming the value
            elif not -10 <= value.adjusted() < _MAX_DIGITS and value:
                value = _bounded(value, "amount: ", amount)
        else:
            value = to_decimal(amount)
        self._amount = value
        found = _REGISTRY.get(currency) if type(currency) is str else None
        self._currency = found if found is not None else get_currency(currency)

    @property
    def amount(self) -> Decimal:
        """The exact amount, at whatever precision arithmetic produced (see
        [`round`][crmcore.money.Money.round])."""
        return self._amount

    @property
    def currency(self) -> Currency:
        """The currency (compare with ``==``; ``str()`` gives the ISO code)."""
        return self._currency

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in ``currency``."""
        return _make(_ZERO, get_currency(currency))

    @classmethod
    def of_minor(cls, minor_units: int, currency: str | Currency) -> Money:
        """Build from an integer count of minor units: ``of_minor(1234, "CNY")`` is 12.34."""
        cur = get_currency(currency)
        if type(minor_units) is not int:
            raise ValidationError(f"minor_units: expected int, got {show(minor_units)}")
        units = bounded_int(minor_units, "minor_units: ")
        return _make(check_result(_MUL(units, cur.quantum), "minor_units"), cur)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (self._amount, self._currency.code))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: object) -> Money:
        return self

    # -- comparison ---------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if type(other) is not Money:
            return NotImplemented
        return self._amount == other._amount and (
            self._currency is other._currency or self._currency == other._currency
        )

    def __hash__(self) -> int:
        return hash((self._amount, self._currency.code))

    def _check(self, other: object, op: str) -> Money:
        if type(other) is not Money:
            raise TypeError(f"unsupported operand for {op}: Money and {type(other).__name__}")
        if other._currency is not self._currency and other._currency != self._currency:
            raise CurrencyMismatch(f"cannot {op} {self!s} and {other!s}: different currencies")
        return other

    def __lt__(self, other: Money) -> bool:
        return self._amount < self._check(other, "compare")._amount

    def __le__(self, other: Money) -> bool:
        return self._amount <= self._check(other, "compare")._amount

    def __gt__(self, other: Money) -> bool:
        return self._amount > self._check(other, "compare")._amount

    def __ge__(self, other: Money) -> bool:
        return self._amount >= self._check(other, "compare")._amount

    def __bool__(self) -> bool:
        return bool(self._amount)

    # -- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Money) -> Money:
        currency = self._currency
        if type(other) is not Money or other._currency is not currency:
            other = self._check(other, "add")
        amount = _ADD(self._amount, other._amount)
        if amount.adjusted() >= _MAX_DIGITS and amount:
            check_result(amount, "add")
        result = _new(Money)
        result._amount = amount
        result._currency = currency
        return result

    def __radd__(self, other: object) -> Money:
        # Lets ``sum(moneys)`` work: sum() starts from the integer 0.
        if type(other) is int and other == 0:
            return self
        return self._check(other, "add").__add__(self)

    def __sub__(self, other: Money) -> Money:
        currency = self._currency
        if type(other) is not Money or other._currency is not currency:
            other = self._check(other, "subtract")
        amount = _SUB(self._amount, other._amount)
        if amount.adjusted() >= _MAX_DIGITS and amount:
            check_result(amount, "subtract")
        result = _new(Money)
        result._amount = amount
        result._currency = currency
        return result

    def __neg__(self) -> Money:
        return _make(self._amount.copy_negate(), self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return _make(self._amount.copy_abs(), self._currency)

    def __mul__(self, factor: DecimalInput | Percent) -> Money:
        if type(factor) is Decimal:
            factor = _bounded(factor, "factor: ")
        else:
            if isinstance(factor, Percent):
                factor = factor.fraction
            elif isinstance(factor, Money):
                raise TypeError("cannot multiply Money by Money")
            else:
                factor = to_decimal(factor, "factor")
        amount = _MUL(self._amount, factor)
        if amount.adjusted() >= _MAX_DIGITS and amount:
            check_result(amount, "multiply")
        result = _new(Money)
        result._amount = amount
        result._currency = self._currency
        return result

    __rmul__ = __mul__

    @overload
    def __truediv__(self, divisor: Money) -> Decimal: ...
    @overload
    def __truediv__(self, divisor: DecimalInput) -> Money: ...
    def __truediv__(self, divisor: Money | DecimalInput) -> Money | Decimal:
        """Money / number is Money; Money / Money (same currency) is their Decimal ratio."""
        if isinstance(divisor, Money):
            other = self._check(divisor, "divide")
            if not other._amount:
                raise ValidationError(f"cannot divide {self} by zero {other}")
            return check_result(_DIV(self._amount, other._amount), "divide")
        value = to_decimal(divisor, "divisor")
        if not value:
            raise ValidationError(f"cannot divide {self} by zero")
        return _make(check_result(_DIV(self._amount, value), "divide"), self._currency)

    # -- rounding and splitting ---------------------------------------------------------------
    def round(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to the currency's minor units (JPY 0, CNY 2, BHD 3) with an explicit mode."""
        currency = self._currency
        result = _new(Money)
        result._amount = _quantize(self._amount, currency, check_rounding(rounding))
        result._currency = currency
        return result

    def round_to(self, step: DecimalInput, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to a multiple of ``step`` (cash rounding: 0.05, 0.1, 1...)."""
        unit = to_decimal(step, "step")
        check_rounding(rounding)
        if unit <= 0:
            raise ValidationError(f"step: {step!r} must be > 0")
        quantum = self._currency.quantum
        if unit < quantum:
            raise ValidationError(
                f"step: {step!r} is finer than the minor unit {quantum} of {self._currency.code}"
            )
        count = _DIV(self._amount, unit).quantize(Decimal(1), rounding, CONTEXT)
        return _make(_MUL(count, unit), self._currency).round()

    @property
    def is_rounded(self) -> bool:
        """True when the amount has no digits below the currency's minor unit."""
        return self._amount == _quantize(self._amount, self._currency, ROUND_HALF_UP)

    @property
    def minor_units(self) -> int:
        """The rounded amount as an integer count of minor units (12.34 CNY → 1234)."""
        return _to_minor(self._amount, self._currency, ROUND_HALF_UP)

    def allocate(
        self, weights: Sequence[DecimalInput | Money], rounding: str = ROUND_HALF_UP
    ) -> list[Money]:
        """Split into parts proportional to ``weights`` that sum exactly to ``self.round()``.

        Largest remainder: each part gets the floor of its exact share in minor units, and
        the minor units left over go one each to the largest remainders, ties to the earlier
        part. So every part is within one minor unit of its exact share. Weights must be
        >= 0 and not all zero; a negative amount is split like its absolute value.
        """
        currency = self._currency
        check_rounding(rounding)
        values = _weights(weights, currency)
        total = sum(values)
        if total == 0:
            raise ValidationError(f"allocate: weights must not all be zero, got {list(weights)}")
        units = _to_minor(self._amount, currency, rounding)
        magnitude = -units if units < 0 else units
        parts = [magnitude * w // total for w in values]
        leftover = magnitude - sum(parts)
        if leftover:
            order = sorted(range(len(values)), key=lambda i: (-(magnitude * values[i] % total), i))
            for i in order[:leftover]:
                parts[i] += 1
        if units < 0:
            parts = [-p for p in parts]
        quantum = currency.quantum
        return [_make(_MUL(Decimal(p), quantum), currency) for p in parts]

    # -- presentation -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money('{self._amount}', '{self._currency.code}')"

    def __str__(self) -> str:
        """``200.00 CNY``: at least the currency's minor units, never rounded (``1.2345 CNY``)."""
        amount = self._amount
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent > -self._currency.minor_units:
            amount = amount.quantize(self._currency.quantum, context=CONTEXT)
        return f"{amount:f} {self._currency.code}"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return f"{self._amount:{spec}} {self._currency.code}"

    def __round__(self, ndigits: SupportsIndex | None = None) -> Money:
        # round(m) rounds to the currency's minor units, never to an int.
        return self.round()


def _quantize(amount: Decimal, currency: Currency, rounding: str) -> Decimal:
    try:
        return amount.quantize(currency.quantum, rounding, CONTEXT)
    except InvalidOperation:
        raise ValidationError(
            f"amount: {amount} {currency.code} is too large to round to {currency.minor_units} "
            f"decimals; amounts must be below 10**{_MAX_DIGITS}"
        ) from None


def _to_minor(amount: Decimal, currency: Currency, rounding: str) -> int:
    return int(_quantize(amount, currency, rounding).scaleb(currency.minor_units, CONTEXT))


def _weights(weights: Iterable[DecimalInput | Money], currency: Currency) -> list[int]:
    """Non-negative weights as integers with the same ratios (whole-number input is kept)."""
    if isinstance(weights, str | bytes) or not isinstance(weights, Iterable):
        raise ValidationError(f"allocate: weights must be a list of numbers, got {show(weights)}")
    given = list(weights)
    if given and all(type(w) is int and 0 <= w < _INT_LIMIT for w in given):
        return given  # type: ignore[return-value]
    values: list[Decimal] = []
    for i, weight in enumerate(given):
        if isinstance(weight, Money):
            if weight.currency != currency:
                raise CurrencyMismatch(f"allocate: weights[{i}] {weight} is not in {currency}")
            value = _bounded(weight.amount, f"allocate: weights[{i}]: ")
        else:
            value = to_decimal(weight, f"weights[{i}]")
        if value < 0:
            raise ValidationError(f"allocate: weights[{i}] is {weight}, weights must be >= 0")
        values.append(value)
    if not values:
        raise ValidationError("allocate: at least one weight is required")
    return scale_to_integers(values)


def rounded_each(
    amounts: Iterable[Decimal], currency: Currency
) -> tuple[tuple[Decimal, ...], Decimal]:
    """Each exact amount rounded half up to ``currency``'s minor units, and the exact sum of
    the rounded amounts, all checked against the bounds: the batch path of reports."""
    quantum = currency.quantum
    zero = _MUL(quantum, _ZERO)  # 0.00, never -0.00
    rounded = tuple(
        [amount.quantize(quantum, ROUND_HALF_UP, CONTEXT) or zero for amount in amounts]
    )
    total = reduce(_ADD, rounded, zero)
    if rounded and (
        total.adjusted() >= _MAX_DIGITS
        or max(rounded).adjusted() >= _MAX_DIGITS
        or min(rounded).adjusted() >= _MAX_DIGITS
    ):
        for amount in (total, *rounded):
            check_result(amount, "amount")
    return rounded, total


def money_each(amounts: Iterable[Decimal], currency: Currency) -> tuple[Money, ...]:
    """Money of amounts already checked (finite, within the bounds): no parsing."""
    return tuple(map(_make, amounts, repeat(currency)))


def _make(amount: Decimal, currency: Currency) -> Money:
    """Build a Money from an already-checked Decimal and Currency (the fast internal path)."""
    money = _new(Money)
    money._amount = amount
    money._currency = currency
    return money
