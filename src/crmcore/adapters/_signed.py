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
import json
import operator
import threading
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

import attr._make
import attrs

from crmcore._numbers import MAX_DIGITS, bounded
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.serialization import converter
from crmcore.serialization._limits import MAX_TEXT

__all__ = ["Signature", "Signer", "same"]

#: A signature as a signer names it: (generation of its parts, number within it).
Signature = tuple[int, int]

#: Distinct signature parts interned; beyond it the signer starts afresh.
MAX_PARTS: Final = 200_000
#: Immutable records whose signature is remembered; beyond it they are walked afresh.
MAX_SHARED: Final = 100_000
#: Lists of records remembered per signer (by aggregate and field); beyond it, afresh.
MAX_LISTS: Final = 512
#: The shortest list worth remembering (a shorter one is walked and written afresh).
MIN_LIST: Final = 16


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


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(kind: type) -> dict[str, Any]:
    """The resolved type of each field, by attribute name (cached)."""
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = {f.name: f.type for f in attrs.fields(attrs.resolve_types(kind))}
    return hints


_ITEM_TYPES: dict[Any, Any] = {}


def _item_type(declared: Any) -> Any:
    """The item type of ``list[X]`` or ``tuple[X, ...]``; None for any other type (cached)."""
    try:
        return _ITEM_TYPES[declared]
    except KeyError:
        found = _ITEM_TYPES[declared] = _find_item_type(declared)
        return found
    except TypeError:  # an unhashable annotation
        return _find_item_type(declared)


def _find_item_type(declared: Any) -> Any:
    origin, args = typing.get_origin(declared), typing.get_args(declared)
    if origin is list and len(args) == 1:
        return args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


@attrs.define
class _SigList:
    """A list of shared records met in a top-level field: for ``Signer._top_list``."""

    kind: type
    items: list[Any]
    #: The index where each item signature first appears.
    firsts: dict[int, int]
    #: The index of the first item beyond a load's limits (None: none).
    beyond_at: int | None


def _same_start(new: Any, old: list[Any]) -> int:
    """How many items ``new`` starts with that are the very objects ``old`` starts with."""
    flags = list(map(operator.is_, new, old))
    try:
        return flags.index(False)
    except ValueError:
        return len(flags)


_encode_str: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)

#: JSON text of the scalars a field often holds, as ``json.dumps`` writes them.
_SIMPLE: Final[dict[type, Callable[[Any], str]]] = {
    str: _encode_str,
    type(None): lambda _: "null",
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
}


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Signer:
    """Copies written aggregates and names their signatures (interned per store)."""

    def __init__(self) -> None:
        self._parts: dict[object, int] = {}
        # Records immutable all the way down, by identity (kept alive here): their signature
        # and whether some value in them is beyond a load's limits.
        self._shared: dict[int, tuple[Any, int, bool]] = {}
        self._atoms: dict[type, int] = {}
        # The JSON text of shared records by (identity, type unstructured as).
        self._texts: dict[tuple[int, Any], str] = {}
        # The last list of shared records met in each top-level field of each aggregate, by
        # (class, id, field): for its signature (the first index of each item signature and
        # of an item beyond the limits) and for its text (each item's); a list that starts
        # with the same records is worked out from the new ones only.
        self._sig_lists: dict[tuple[type, object, str], _SigList] = {}
        self._text_lists: dict[tuple[type, object, str], tuple[list[Any], list[str]]] = {}
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
                self._texts.clear()
                self._sig_lists.clear()
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
                    self._texts.clear()
                for lists in (self._sig_lists, self._text_lists):
                    if len(lists) > MAX_LISTS:
                        lists.clear()
            return copied, (self.generation, number), not self._beyond

    def text(self, aggregate: Any) -> str:
        """The aggregate's canonical JSON (sorted keys, no version) put together field by
        field, reusing the text of each shared record in a list met before: a list of 1,000
        unchanged payments is a join, not 1,000 conversions. Call it right after ``copy``
        of the same aggregate (which marks what is shared); a store compares it with the
        plain conversion once per signature before trusting it."""
        kind = type(aggregate)
        hints = _hints(kind)
        parts = []
        own_id = getattr(aggregate, "id", None)
        with self._lock:
            for name, alias in sorted(_fields(kind), key=lambda field: field[1]):
                if name == "version":
                    continue
                value = getattr(aggregate, name)
                text = self._field_text(value, hints[name], (kind, own_id, name))
                parts.append(f"{_encode_str(alias)}:{text}")
        return "{" + ",".join(parts) + "}"

    def _field_text(self, value: Any, declared: Any, where: tuple[type, object, str]) -> str:
        simple = _SIMPLE.get(type(value))
        if simple is not None:
            return simple(value)
        known = self._shared.get(id(value))
        if known is not None and known[0] is value:
            return self._shared_text(value, declared)
        item_type = _item_type(declared)
        if item_type is None or type(value) not in (list, tuple):
            return _dump(converter.unstructure(value, unstructure_as=declared))
        before = self._text_lists.get(where)
        start = 0 if before is None else _same_start(value, before[0])
        texts = [] if before is None else before[1][:start]
        reusable = True
        shared = self._shared
        for item in value[start:]:
            known = shared.get(id(item))
            if known is None or known[0] is not item:
                reusable = False
                texts.append(_dump(converter.unstructure(item, unstructure_as=item_type)))
            else:
                texts.append(self._shared_text(item, item_type))
        if reusable and len(value) >= MIN_LIST:
            self._text_lists[where] = (list(value), texts)
        else:
            self._text_lists.pop(where, None)
        return "[" + ",".join(texts) + "]"

    def _shared_text(self, value: Any, declared: Any) -> str:
        """The text of a shared record unstructured as ``declared`` (kept)."""
        key = (id(value), declared)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = _dump(converter.unstructure(value, unstructure_as=declared))
        return text

    def _top_list(self, value: Any, where: tuple[type, object, str]) -> tuple[Any, int]:
        """``_value`` of a list in a top-level field, worked out from the records added
        since the list met there before when it starts with the same records."""
        before = self._sig_lists.get(where)
        kind: type = type(value)
        if before is not None and kind is before.kind:
            start = _same_start(value, before.items)
            firsts = {n: i for n, i in before.firsts.items() if i < start}
            beyond_at = before.beyond_at
            if beyond_at is not None and beyond_at >= start:
                beyond_at = None
            shared = self._shared
            for index in range(start, len(value)):
                item = value[index]
                known = shared.get(id(item))
                if known is None or known[0] is not item:
                    outer, self._beyond = self._beyond, False
                    copied, number = self._value(item)  # a record new to the list
                    known = (item, number, self._beyond)
                    self._beyond = outer
                    if copied is not item:
                        break
                firsts.setdefault(known[1], index)
                if known[2] and beyond_at is None:
                    beyond_at = index
            else:
                self._sig_lists[where] = _SigList(kind, list(value), firsts, beyond_at)
                self._beyond = self._beyond or beyond_at is not None
                copied = list(value) if kind is list else value
                return copied, self._intern((kind, *sorted(firsts)))
        copied, number = self._value(value)
        self._remember_list(value, copied, where)
        return copied, number

    def _remember_list(self, value: Any, copied: Any, where: tuple[type, object, str]) -> None:
        """Keep a list whose items are all shared records for ``_top_list``."""
        if len(value) < MIN_LIST:
            self._sig_lists.pop(where, None)
            return
        firsts: dict[int, int] = {}
        beyond_at = None
        shared = self._shared
        for index, item in enumerate(value):
            known = shared.get(id(item))
            if known is None or known[0] is not item or copied[index] is not item:
                self._sig_lists.pop(where, None)
                return
            firsts.setdefault(known[1], index)
            if known[2] and beyond_at is None:
                beyond_at = index
        self._sig_lists[where] = _SigList(type(value), list(value), firsts, beyond_at)

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
            shared = self._shared
            for item in value:
                known = shared.get(id(item))
                if known is not None and known[0] is item:  # a record met before: as is
                    items.append(item)
                    found.add(known[1])
                    self._beyond = self._beyond or known[2]
                    continue
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
        if kind is types.MappingProxyType:  # a read-only view: a view of a copy of what it shows
            inner, number = self._dict(dict(value))
            return types.MappingProxyType(inner), self._intern((kind, number))
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
            if top and (type(original) is list or type(original) is tuple):
                copied, number = self._top_list(original, (kind, getattr(value, "id", None), name))
            else:
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
