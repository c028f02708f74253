"""Money: an exact Decimal amount in one currency.

Money is a hand-written slotted class rather than an attrs class because it is the hottest
value in crmcore (every line, installment and payment); the benchmark in
``benchmarks/bench_money.py`` keeps it no slower than py-moneyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NoReturn, SupportsIndex, overload

from crmcore._decimal import CONTEXT, DecimalInput, scale_to_integers, to_decimal
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money._currency import Currency, get_currency
from crmcore.money._percent import Percent

__all__ = ["Money"]

_ADD = CONTEXT.add
_SUB = CONTEXT.subtract
_MUL = CONTEXT.multiply
_DIV = CONTEXT.divide
_ZERO = Decimal(0)


class Money:
    """An amount in a currency. Immutable, hashable, exact; floats are refused.

    ``Money("1.0", "CNY") == Money("1.00", "CNY")``; adding another currency raises
    :class:`~crmcore.errors.CurrencyMismatch`. Arithmetic keeps full precision; call
    :meth:`round` to get to the currency's minor units.
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: Currency

    def __init__(self, amount: DecimalInput, currency: str | Currency) -> None:
        _set_amount(self, to_decimal(amount))
        _set_currency(self, get_currency(currency))

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in ``currency``."""
        return _make(_ZERO, get_currency(currency))

    @classmethod
    def of_minor(cls, minor_units: int, currency: str | Currency) -> Money:
        """Build from an integer count of minor units: ``of_minor(1234, "CNY")`` is 12.34."""
        cur = get_currency(currency)
        if type(minor_units) is not int:
            raise ValidationError(f"minor_units: expected int, got {minor_units!r}")
        return _make(Decimal(minor_units).scaleb(-cur.minor_units), cur)

    # -- immutability -------------------------------------------------------------------------
    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Money is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Money is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (self.amount, self.currency.code))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: object) -> Money:
        return self

    # -- comparison ---------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if type(other) is not Money:
            return NotImplemented
        return self.amount == other.amount and (
            self.currency is other.currency or self.currency == other.currency
        )

    def __hash__(self) -> int:
        return hash((self.amount, self.currency.code))

    def _check(self, other: object, op: str) -> Money:
        if type(other) is not Money:
            raise TypeError(f"unsupported operand for {op}: Money and {type(other).__name__}")
        if other.currency is not self.currency and other.currency != self.currency:
            raise CurrencyMismatch(f"cannot {op} {self!s} and {other!s}: different currencies")
        return other

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other, "compare").amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Money) -> Money:
        if type(other) is Money and other.currency is self.currency:
            return _make(_ADD(self.amount, other.amount), self.currency)
        return _make(_ADD(self.amount, self._check(other, "add").amount), self.currency)

    def __radd__(self, other: object) -> Money:
        # Lets ``sum(moneys)`` work: sum() starts from the integer 0.
        if type(other) is int and other == 0:
            return self
        return self._check(other, "add").__add__(self)

    def __sub__(self, other: Money) -> Money:
        if type(other) is Money and other.currency is self.currency:
            return _make(_SUB(self.amount, other.amount), self.currency)
        return _make(_SUB(self.amount, self._check(other, "subtract").amount), self.currency)

    def __neg__(self) -> Money:
        return _make(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return _make(abs(self.amount), self.currency)

    def __mul__(self, factor: DecimalInput | Percent) -> Money:
        if type(factor) is Decimal:
            return _make(_MUL(self.amount, factor), self.currency)
        if isinstance(factor, Percent):
            return _make(_MUL(self.amount, factor.fraction), self.currency)
        if isinstance(factor, Money):
            raise TypeError("cannot multiply Money by Money")
        return _make(_MUL(self.amount, to_decimal(factor, "factor")), self.currency)

    __rmul__ = __mul__

    @overload
    def __truediv__(self, divisor: Money) -> Decimal: ...
    @overload
    def __truediv__(self, divisor: DecimalInput) -> Money: ...
    def __truediv__(self, divisor: Money | DecimalInput) -> Money | Decimal:
        """Money / number is Money; Money / Money (same currency) is their Decimal ratio."""
        if isinstance(divisor, Money):
            other = self._check(divisor, "divide")
            if not other.amount:
                raise ValidationError(f"cannot divide {self} by zero {other}")
            return _DIV(self.amount, other.amount)
        value = to_decimal(divisor, "divisor")
        if not value:
            raise ValidationError(f"cannot divide {self} by zero")
        return _make(_DIV(self.amount, value), self.currency)

    # -- rounding and splitting ---------------------------------------------------------------
    def round(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to the currency's minor units (JPY 0, CNY 2, BHD 3) with an explicit mode."""
        return _make(self.amount.quantize(self.currency.quantum, rounding, CONTEXT), self.currency)

    def round_to(self, step: DecimalInput, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to a multiple of ``step`` (cash rounding: 0.05, 0.1, 1...)."""
        unit = to_decimal(step, "step")
        if unit <= 0:
            raise ValidationError(f"step: {step!r} must be > 0")
        count = _DIV(self.amount, unit).quantize(Decimal(1), rounding, CONTEXT)
        return _make(_MUL(count, unit), self.currency).round()

    @property
    def is_rounded(self) -> bool:
        """True when the amount has no digits below the currency's minor unit."""
        return self.amount == self.amount.quantize(self.currency.quantum, context=CONTEXT)

    @property
    def minor_units(self) -> int:
        """The rounded amount as an integer count of minor units (12.34 CNY → 1234)."""
        return int(self.round().amount.scaleb(self.currency.minor_units, CONTEXT))

    def allocate(
        self, weights: Sequence[DecimalInput | Money], rounding: str = ROUND_HALF_UP
    ) -> list[Money]:
        """Split into parts proportional to ``weights`` that sum exactly to ``self.round()``.

        Largest remainder: each part gets the floor of its exact share in minor units, and
        the minor units left over go one each to the largest remainders, ties to the earlier
        part. So every part is within one minor unit of its exact share. Weights must be
        >= 0 and not all zero; a negative amount is split like its absolute value.
        """
        values = _weights(weights, self.currency)
        total = sum(values)
        if total == 0:
            raise ValidationError(f"allocate: weights must not all be zero, got {list(weights)}")
        units = self.round(rounding).minor_units
        magnitude = -units if units < 0 else units
        parts = [magnitude * w // total for w in values]
        leftover = magnitude - sum(parts)
        if leftover:
            order = sorted(range(len(values)), key=lambda i: (-(magnitude * values[i] % total), i))
            for i in order[:leftover]:
                parts[i] += 1
        sign = -1 if units < 0 else 1
        exponent = -self.currency.minor_units
        currency = self.currency
        return [_make(Decimal(sign * p).scaleb(exponent), currency) for p in parts]

    # -- presentation -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency.code}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return f"{self.amount:{spec}} {self.currency.code}"

    def __round__(self, ndigits: SupportsIndex | None = None) -> Money:
        # round(m) rounds to the currency's minor units, never to an int.
        return self.round()


def _weights(weights: Iterable[DecimalInput | Money], currency: Currency) -> list[int]:
    values: list[Decimal] = []
    for i, weight in enumerate(weights):
        if isinstance(weight, Money):
            if weight.currency != currency:
                raise CurrencyMismatch(f"allocate: weights[{i}] {weight} is not in {currency}")
            value = weight.amount
        else:
            value = to_decimal(weight, f"weights[{i}]")
        if value < 0:
            raise ValidationError(f"allocate: weights[{i}] is {weight}, weights must be >= 0")
        values.append(value)
    if not values:
        raise ValidationError("allocate: at least one weight is required")
    return scale_to_integers(values)


# Writing through the slot descriptors bypasses the refusing __setattr__ (and is fast).
_set_amount = Money.__dict__["amount"].__set__
_set_currency = Money.__dict__["currency"].__set__
_new = object.__new__


def _make(amount: Decimal, currency: Currency) -> Money:
    """Build a Money from an already-checked Decimal and Currency (the fast internal path)."""
    money = _new(Money)
    _set_amount(money, amount)
    _set_currency(money, currency)
    return money
