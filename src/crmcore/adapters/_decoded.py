"""Decode each stored row once: later reads of the same row get a copy of the decoded
aggregate, sharing only what cannot change.

A use case loads an aggregate its predecessor just wrote (the notifications read it again,
the next step of the cycle too), and decoding a 7.5 KB order costs about 0.4 ms. The first
read of a row decodes its JSON as before and keeps the result; a read of the same row (same
version, same text) copies it instead: new lists, dicts, sets and mutable records all the
way down, the same objects only for values that are immutable by type (str, numbers,
Decimal, dates, enums, Money, Percent, tuples and frozen attrs records made of such values).
What comes back is still a fresh aggregate decoded from the stored JSON; a kind holding
anything the copier does not know is simply decoded every time.
"""

from __future__ import annotations

import enum
import threading
import types
import typing
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from crmcore.adapters._signed import _ATOMS, _FROZEN_SETATTR, Signature, Signer, _NotCopyable
from crmcore.ports import Aggregate, AggregateKind

__all__ = ["MAX_ROWS", "DecodedRows", "Verdict", "copy_aggregate"]

A = TypeVar("A", bound=Aggregate)

#: Rows kept decoded per store (least recently read first out).
MAX_ROWS: Final = 10_000

#: What a store learnt from the first write of a signature: (decoded ``same`` as written,
#: its text from parts was the plain conversion's).
Verdict = tuple[bool, bool]

#: Signatures remembered per kind; beyond it they are checked afresh.
MAX_SIGNATURES: Final = 4096

_IMMUTABLE: dict[type, bool] = {}


def _immutable_type(tp: Any, seen: frozenset[type]) -> bool:
    """True when every value of type ``tp`` is immutable (judged from the annotations)."""
    if tp in _ATOMS:
        return True
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return True
        if attrs.has(tp):
            return _immutable_class(tp, seen)
        return tp in _ATOMS
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType, tuple, frozenset):
        return all(a is Ellipsis or _immutable_type(a, seen) for a in args)
    return origin is typing.Literal


def _immutable_class(cls: type, seen: frozenset[type] = frozenset()) -> bool:
    """True for a frozen attrs class whose fields are all immutable by type (cached)."""
    known = _IMMUTABLE.get(cls)
    if known is not None:
        return known
    if cls in seen:
        return True  # a recursive type: immutable if the rest of it is
    result = False
    if attrs.has(cls) and _FROZEN_SETATTR is not None and cls.__setattr__ is _FROZEN_SETATTR:
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # unresolvable annotations: copy, never share
            hints = None
        if hints is not None:
            result = all(
                _immutable_type(hints.get(f.name, object), seen | {cls}) for f in attrs.fields(cls)
            )
    _IMMUTABLE[cls] = result
    return result


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind in _ATOMS or kind is frozenset or isinstance(value, enum.Enum):
        return value
    if kind is list:
        if all(map(_IMMUTABLE.get, map(type, value))):  # records immutable by type: shared
            return list(value)
        return [_copy(v) for v in value]
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is tuple:
        return tuple([_copy(v) for v in value])
    if kind is set:
        return set(value)  # items are hashable, hence treated as immutable
    if kind is types.MappingProxyType:  # a read-only view: a view of a copy of what it shows
        return types.MappingProxyType({k: _copy(v) for k, v in value.items()})
    if attrs.has(kind):
        if _immutable_class(kind):
            return value
        return _copy_record(value, kind)
    raise _NotCopyable(kind.__qualname__)


def _copy_record(value: Any, kind: type) -> Any:
    if hasattr(value, "__dict__") and not hasattr(kind, "__slots__"):
        raise _NotCopyable(kind.__qualname__)  # may carry attributes attrs does not know
    new: Any = object.__new__(kind)
    for field in attrs.fields(kind):
        object.__setattr__(new, field.name, _copy(getattr(value, field.name)))
    return new


def copy_aggregate(aggregate: A) -> A:
    """A copy of ``aggregate`` that shares only immutable values (ValueError if it cannot)."""
    try:
        copied: A = _copy(aggregate)
    except _NotCopyable as exc:
        raise ValueError(f"cannot copy a {exc} safely") from None
    return copied


class DecodedRows:
    """The decoded aggregates of recently read rows, keyed by kind, id, version and text."""

    def __init__(self, size: int = MAX_ROWS) -> None:
        self._size = size
        self._rows: OrderedDict[tuple[str, str], tuple[int, str, Aggregate]] = OrderedDict()
        self._uncopyable: set[str] = set()
        self._lock = threading.Lock()
        self._signer = Signer()
        #: Per kind and signature: whether a write decoded ``same`` as written, and whether
        #: its text put together by ``Signer.text`` was the plain conversion's.
        self._signatures: dict[str, dict[Signature, Verdict]] = {}

    def load(
        self,
        kind: AggregateKind[A],
        id: str,
        version: int,
        text: str,
        decode: Callable[[AggregateKind[A], str, int], A],
    ) -> A:
        """A fresh aggregate for the row: a copy of the one decoded before, else decoded."""
        if self._size <= 0:
            return decode(kind, text, version)
        key = (kind.name, id)
        with self._lock:
            found = self._rows.get(key)
            if found is not None and found[0] == version and found[1] == text:
                self._rows.move_to_end(key)
                return copy_aggregate(found[2])  # type: ignore[return-value]
        aggregate = decode(kind, text, version)
        if kind.name in self._uncopyable:
            return aggregate
        try:
            kept = copy_aggregate(aggregate)
        except ValueError:
            self._uncopyable.add(kind.name)
            return aggregate
        with self._lock:
            self._rows[key] = (version, text, kept)
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
        return aggregate

    def copy_written(self, aggregate: A) -> tuple[A, Signature, bool] | None:
        """A copy of an aggregate about to be written, its signature and whether its values
        are within a load's limits (see ``crmcore.adapters._signed``); None when rows are not
        kept or it cannot be copied."""
        if self._size <= 0:
            return None
        try:
            return self._signer.copy(aggregate)
        except ValueError:
            return None

    def text_of(self, aggregate: A) -> str:
        """The aggregate's row text put together from its parts (``Signer.text``), right
        after ``copy_written`` of it."""
        return self._signer.text(aggregate)

    def verdict(self, kind: AggregateKind[A], signature: Signature) -> Verdict | None:
        """Whether a write of ``signature`` decoded ``same`` as written and whether its text
        from parts was the plain one (None: not known yet)."""
        with self._lock:
            return self._signatures.get(kind.name, {}).get(signature)

    def judged(self, kind: AggregateKind[A], signature: Signature, verdict: Verdict) -> None:
        """Remember whether a write of ``signature`` decoded ``same`` as written and whether
        its text from parts was the plain one."""
        with self._lock:
            known = self._signatures.setdefault(kind.name, {})
            if len(known) >= MAX_SIGNATURES:
                known.clear()
            known[signature] = verdict

    def keep(self, kind: AggregateKind[A], id: str, version: int, text: str, kept: A) -> None:
        """Keep ``kept`` as the decoded value of the row just written (``text`` at
        ``version``): the next read of the row copies it instead of decoding."""
        kept.version = version
        with self._lock:
            key = (kind.name, id)
            self._rows[key] = (version, text, kept)
            self._rows.move_to_end(key)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
