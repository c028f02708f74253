"""Private helpers that turn input into exact Decimals and refuse floats."""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any, Final, ParamSpec, TypeVar

from crmcore._numbers import bounded, bounded_int, parse_text, show
from crmcore.errors import ValidationError

#: The arithmetic context of every crmcore calculation: decimal128 precision, traps on,
#: independent of whatever the host did to ``decimal.getcontext()``.
CONTEXT: Final = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

DecimalInput = Decimal | int | str

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type[Any])


#: The operators ``context_class`` wraps beside the public methods.
_ARITHMETIC: Final = frozenset(
    {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__"}
)


def in_context(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in crmcore's own decimal context, whatever the host's ``getcontext()``.

    Operators on bare Decimals (``a * b``, ``sum()``, ``-a``) use the *current* context: a
    host that set ``getcontext().prec = 6`` would otherwise round 12,345,678.94 to
    12,345,700. A raw ``decimal`` exception never escapes: it becomes ValidationError.
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(CONTEXT):
            try:
                return func(*args, **kwargs)
            except DecimalException as exc:
                raise ValidationError(
                    f"{func.__qualname__}: the figures are out of range for exact decimal "
                    f"arithmetic ({type(exc).__name__})"
                ) from None

    return run


def context_class(cls: C) -> C:
    """Run every public method and property of ``cls`` in crmcore's context (``in_context``).

    Apply it above ``@attrs.define`` so it wraps the final class. Of the dunder methods only
    the arithmetic ones are wrapped (merging partial results with ``+``); Money's own
    operators name the context on every operation themselves.
    """
    for name, member in list(vars(cls).items()):
        if name.startswith("__") and name not in _ARITHMETIC:
            continue
        if name in _ARITHMETIC:
            setattr(cls, name, in_context(member))
            continue
        if isinstance(member, property):
            getter = in_context(member.fget) if member.fget is not None else None
            setattr(cls, name, property(getter, member.fset, member.fdel, member.__doc__))
        elif isinstance(member, classmethod | staticmethod):
            setattr(cls, name, type(member)(in_context(member.__func__)))
        elif callable(member) and not isinstance(member, type) and not name.startswith("_"):
            setattr(cls, name, in_context(member))
    return cls


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Return ``value`` as a finite Decimal, or raise ValidationError saying why not.

    Floats are refused because ``0.1`` is not one tenth; pass ``"0.1"`` or ``Decimal("0.1")``.
    ``what`` names the value in the message (``"amount: float 0.1 refused..."``); pass ``""``
    where the caller already names the path.
    """
    what = f"{what}: " if what else ""
    if type(value) is Decimal:
        return bounded(value, what)
    if isinstance(value, str):
        return parse_text(value, what)
    if isinstance(value, int) and not isinstance(value, bool):
        return bounded_int(value, what)
    if isinstance(value, float):
        raise ValidationError(
            f"{what}float {value!r} refused; floats are inexact (0.1 is not one tenth), "
            f"pass a str or Decimal such as {_suggest(value)!r}"
        )
    if isinstance(value, Decimal):
        return bounded(Decimal(value), what)
    raise ValidationError(
        f"{what}expected Decimal, int or str, got {type(value).__name__} {show(value)}"
    )


def _suggest(value: float) -> str:
    return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "0"


def scale_to_integers(values: list[Decimal]) -> list[int]:
    """Scale exact decimals by one power of ten so they all become integers (ratios kept).

    Zeros do not count (``0E-999999`` is zero at any scale); callers pass bounded numbers
    (``crmcore._numbers``), so the integers have at most ``MAX_DIGITS - MIN_EXPONENT`` digits.
    """
    exponent = min((v.as_tuple().exponent for v in values if v), default=0)
    shift = -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0
    return [int(v.scaleb(shift, CONTEXT)) if v else 0 for v in values]
