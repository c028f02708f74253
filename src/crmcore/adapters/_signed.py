"""Copy an aggregate just written, with the signature of its runtime types, and compare
two aggregates strictly: what a store needs to keep a write as its row's decoded value.

Decoding a row gives back values of the types the converter builds (a tuple where a field
is a tuple, an enum member where it is an enum, a fixed-offset time zone...), dicts in key
order and sets built in sorted order. An aggregate in memory may hold something that
stores the same JSON and still is not what a decode gives (a list for a tuple, a string for
an enum member, a ``ZoneInfo`` time zone). The *signature* names every runtime type in the
aggregate (and every dict's keys in order, every datetime's kind of time zone), lists by the
signatures of their items, never by their length; a store decodes a write once per new
signature and compares the result with ``same`` — which checks types, order and ``repr``,
not just ``==``. Only a write whose signature passed that check is kept instead of decoded.
"""

from __future__ import annotations

import enum
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

import attr._make
import attrs

from crmcore._numbers import MAX_DIGITS, bounded
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.serialization._limits import MAX_TEXT

__all__ = ["Signature", "Signer", "same"]

#: A signature as a signer names it: (generation of its parts, number within it).
Signature = tuple[int, int]

#: Distinct signature parts interned; beyond it the signer starts afresh.
MAX_PARTS: Final = 200_000
#: Immutable records whose signature is remembered; beyond it they are walked afresh.
MAX_SHARED: Final = 100_000


#: Values immutable by type: shared by every copy.
_ATOMS: Final = frozenset(
    {str, int, float, bool, Decimal, date, datetime, time, timedelta, type(None), Money}
    | {Percent, Currency}
)

# How attrs makes a class frozen; without it nothing is shared, everything is copied.
_FROZEN_SETATTR: Final[object] = getattr(attr._make, "_frozen_setattrs", None)

_INT_LIMIT: Final = 10**MAX_DIGITS

_NAMES: dict[type, tuple[str, ...]] = {}
_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}


class _NotCopyable(Exception):
    """A value the copier does not know how to copy safely."""


def _names(kind: type) -> tuple[str, ...]:
    names = _NAMES.get(kind)
    if names is None:
        names = _NAMES[kind] = tuple(f.name for f in attrs.fields(kind))
    return names


def _fields(kind: type) -> tuple[tuple[str, str], ...]:
    """The (attribute, argument) names of the fields ``__init__`` takes."""
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(
            (f.name, f.alias or f.name) for f in attrs.fields(kind) if f.init
        )
    return fields


class Signer:
    """Copies written aggregates and names their signatures (interned per store)."""

    def __init__(self) -> None:
        self._parts: dict[object, int] = {}
        # Records immutable all the way down, by identity (kept alive here): their signature
        # and whether some value in them is beyond a load's limits.
        self._shared: dict[int, tuple[Any, int, bool]] = {}
        self._atoms: dict[type, int] = {}
        self._beyond = False
        self.generation = 0
        self._lock = threading.Lock()

    def copy(self, aggregate: Any) -> tuple[Any, Signature, bool]:
        """A copy sharing only immutable values, built through ``__init__``, its signature
        (generation, number) and whether every value is within a load's limits (no text
        longer, no number bigger than ``crmcore.serialization`` reads); ValueError if some
        value cannot be copied safely."""
        with self._lock:
            if len(self._parts) > MAX_PARTS:
                self._parts.clear()
                self._shared.clear()
                self._atoms.clear()
                self.generation += 1
            self._beyond = False
            try:
                copied, number = self._record(aggregate, type(aggregate), top=True)
            except _NotCopyable as exc:
                raise ValueError(f"cannot copy a {exc} safely") from None
            finally:
                if len(self._shared) > MAX_SHARED:
                    self._shared.clear()
            return copied, (self.generation, number), not self._beyond

    def _intern(self, key: object) -> int:
        parts = self._parts
        number = parts.get(key)
        if number is None:
            number = parts[key] = len(parts)
        return number

    def _value(self, value: Any) -> tuple[Any, int]:
        kind = type(value)
        if kind in _ATOMS:
            return value, self._atom(value, kind)
        if isinstance(value, enum.Enum):
            return value, self._intern(kind)
        if kind is list or kind is tuple:
            items: list[Any] = []
            found: set[int] = set()
            for item in value:
                copied, number = self._value(item)
                items.append(copied)
                found.add(number)
            key = (kind, *sorted(found))
            if kind is tuple:
                same_items = all(a is b for a, b in zip(items, value, strict=True))
                return (value if same_items else tuple(items)), self._intern(key)
            return items, self._intern(key)
        if kind is dict:
            return self._dict(value)
        if kind is set or kind is frozenset:
            return self._set(value, kind)
        if attrs.has(kind):
            known = self._shared.get(id(value))
            if known is not None and known[0] is value:
                self._beyond = self._beyond or known[2]
                return value, known[1]
            return self._record(value, kind, top=False)
        raise _NotCopyable(kind.__qualname__)

    def _atom(self, value: Any, kind: type) -> int:
        """The signature of an immutable value; notes a value beyond a load's limits."""
        if kind is str:
            if len(value) > MAX_TEXT:
                self._beyond = True
        elif kind is int:
            if not -_INT_LIMIT < value < _INT_LIMIT:
                self._beyond = True
        elif kind is Decimal or kind is Money or kind is Percent:
            self._check_number(value)
        elif kind is datetime or kind is time:
            return self._intern((kind, type(value.tzinfo)))
        number = self._atoms.get(kind)
        if number is None:
            number = self._atoms[kind] = self._intern(kind)
        return number

    def _check_number(self, value: Decimal | Money | Percent) -> None:
        number = (
            value
            if isinstance(value, Decimal)
            else (value.amount if isinstance(value, Money) else value.value)
        )
        try:
            bounded(number, "")
        except ValidationError:
            self._beyond = True

    def _dict(self, value: dict[Any, Any]) -> tuple[Any, int]:
        copied: dict[Any, Any] = {}
        numbers: list[int] = []
        for key, item in value.items():
            key_copy, key_number = self._value(key)
            item_copy, item_number = self._value(item)
            copied[key_copy] = item_copy
            numbers.append(key_number)
            numbers.append(item_number)
        return copied, self._intern((dict, tuple(value), tuple(numbers)))

    def _set(self, value: Any, kind: type) -> tuple[Any, int]:
        found = {self._value(item)[1] for item in value}
        try:
            # A decoded set is built from a sorted list: build the copy in the same order.
            ordered = sorted(value)
        except TypeError:
            raise _NotCopyable(kind.__qualname__) from None
        copied = value if kind is frozenset and list(value) == ordered else kind(ordered)
        return copied, self._intern((kind, *sorted(found)))

    def _record(self, value: Any, kind: type, *, top: bool) -> tuple[Any, int]:
        if hasattr(value, "__dict__") and not hasattr(kind, "__slots__"):
            raise _NotCopyable(kind.__qualname__)  # may carry attributes attrs does not know
        fields = _fields(kind)
        outer, self._beyond = self._beyond, False
        arguments: dict[str, Any] = {}
        numbers: list[int] = []
        shared = kind.__setattr__ is _FROZEN_SETATTR and not top
        for name, alias in fields:
            original = getattr(value, name)
            if top and name == "version":
                arguments[alias] = original
                continue
            copied, number = self._value(original)
            arguments[alias] = copied
            numbers.append(number)
            shared = shared and copied is original
        key = (kind, tuple(numbers))
        beyond, self._beyond = self._beyond, outer or self._beyond
        if shared:
            number = self._intern(key)
            self._shared[id(value)] = (value, number, beyond)
            return value, number
        # Built like a decode builds it: through __init__, so what is never stored (pending
        # events, caches) starts as a decoded record's does.
        try:
            return kind(**arguments), self._intern(key)
        except Exception:
            raise _NotCopyable(kind.__qualname__) from None


def same(a: Any, b: Any, *, top: bool = True) -> bool:
    """True when ``a`` and ``b`` hold the same values of the same types in the same order
    (``repr`` too, so ``Decimal("1.0")`` is not ``Decimal("1.00")``); at the top level the
    version is not compared."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return len(a) == len(b) and all(same(x, y, top=False) for x, y in zip(a, b, strict=True))
    if kind is dict:
        return len(a) == len(b) and all(
            same(ka, kb, top=False) and same(a[ka], b[kb], top=False)
            for ka, kb in zip(a, b, strict=True)
        )
    if kind not in _ATOMS and attrs.has(kind):
        return all(
            same(getattr(a, name), getattr(b, name), top=False)
            for name in _names(kind)
            if not (top and name == "version")
        )
    return bool(a == b) and repr(a) == repr(b)
