"""Rows decoded once: a later read of the same row is a copy that equals a fresh decode and
shares nothing that can change."""

from __future__ import annotations

import types
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from crmcore.adapters import _codec
from crmcore.adapters._codec import dump_aggregate, load_aggregate
from crmcore.adapters._decoded import DecodedRows, _immutable_class, copy_aggregate
from crmcore.adapters.memory import MemoryDatabase
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.pricing import PricedOrder, PriceRule, WaterfallStep
from crmcore.testing import strategies as cst
from crmcore.testing.contracts import AT, DOMAIN_KINDS, SAMPLE_KIND, SampleAccount, _account


def _mutables(value: Any, path: str = "$") -> list[tuple[str, Any]]:
    """Every mutable container and non-frozen record inside ``value``, with its path."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, list | dict | set):
        found.append((path, value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found.extend(_mutables(item, f"{path}[{key!r}]"))
    elif isinstance(value, types.MappingProxyType):
        found.append((path, value))
        for key, item in value.items():
            found.extend(_mutables(item, f"{path}[{key!r}]"))
    elif isinstance(value, tuple):
        for key, item in enumerate(value):
            found.extend(_mutables(item, f"{path}[{key}]"))
    elif attrs.has(type(value)):
        if not _immutable_class(type(value)):
            found.append((path, value))
        for field in attrs.fields(type(value)):
            found.extend(_mutables(getattr(value, field.name), f"{path}.{field.name}"))
    return found


@settings(max_examples=60, deadline=None)
@given(cst.aggregates())
def test_a_copy_equals_a_fresh_decode_and_shares_nothing_mutable(aggregate: Any) -> None:
    kind = next(k for k in DOMAIN_KINDS if isinstance(aggregate, k.cls))
    text = dump_aggregate(kind, aggregate)
    decoded = load_aggregate(kind, text, 3)
    copied = copy_aggregate(decoded)
    if type(decoded).__eq__ is not object.__eq__:  # some aggregates compare by identity
        assert copied == decoded
    assert dump_aggregate(kind, copied) == text
    assert copied.version == 3
    original = {id(obj) for _, obj in _mutables(decoded)}
    shared = [path for path, obj in _mutables(copied) if id(obj) in original]
    assert shared == []


def test_records_are_shared_only_when_frozen_and_immutable_all_the_way_down() -> None:
    assert _immutable_class(WaterfallStep)
    assert _immutable_class(PricedOrder)
    assert _immutable_class(PriceRule)
    assert not _immutable_class(SampleAccount)  # not frozen


def test_a_read_of_the_same_row_copies_and_a_new_version_decodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes: list[int] = []
    real = _codec.load_aggregate

    def decode(kind: Any, text: str, version: int) -> Any:
        decodes.append(version)
        return real(kind, text, version)

    rows = DecodedRows()
    account = _account()
    text = dump_aggregate(SAMPLE_KIND, account)
    first = rows.load(SAMPLE_KIND, "acc-1", 1, text, decode)
    second = rows.load(SAMPLE_KIND, "acc-1", 1, text, decode)
    assert decodes == [1]
    assert first == second
    assert first is not second
    second.notes.append("mine only")
    second.deposit(Actor("u1"), Money(1, "CNY"), at=AT)
    third = rows.load(SAMPLE_KIND, "acc-1", 1, text, decode)
    assert third == first
    assert third.notes == []
    assert third.peek_events() == []
    rows.load(SAMPLE_KIND, "acc-1", 2, dump_aggregate(SAMPLE_KIND, second), decode)
    assert decodes == [1, 2]
    off = DecodedRows(0)
    off.load(SAMPLE_KIND, "acc-1", 1, text, decode)
    off.load(SAMPLE_KIND, "acc-1", 1, text, decode)
    assert decodes == [1, 2, 1, 1]


def test_the_least_recently_read_rows_go_first() -> None:
    rows = DecodedRows(2)
    for n in range(3):
        rows.load(SAMPLE_KIND, f"a{n}", 1, dump_aggregate(SAMPLE_KIND, _account(f"a{n}")), _load)
    assert list(rows._rows) == [("sample_account", "a1"), ("sample_account", "a2")]


@attrs.define
class _Odd:
    """An aggregate holding something the copier does not know."""

    id: str
    thing: object
    version: int = 0


def test_a_kind_the_copier_does_not_know_is_decoded_every_time() -> None:
    with pytest.raises(ValueError, match="cannot copy a object safely"):
        copy_aggregate(_Odd("x", object()))
    rows = DecodedRows()
    calls: list[str] = []

    def decode(kind: Any, text: str, version: int) -> Any:
        calls.append(text)
        return _Odd("x", object())

    kind: Any = attrs.evolve(SAMPLE_KIND, name="odd", cls=_Odd)
    rows.load(kind, "x", 1, "{}", decode)
    rows.load(kind, "x", 1, "{}", decode)
    assert calls == ["{}", "{}"]


def test_a_store_hands_out_copies_that_do_not_see_each_others_changes() -> None:
    store = MemoryDatabase([SAMPLE_KIND])
    with store.unit_of_work() as uow:
        uow.repository(SampleAccount).add(_account())
        uow.commit()
    with store.unit_of_work() as uow:
        mine = uow.repository(SampleAccount).get("acc-1")
    with store.unit_of_work() as uow:
        yours = uow.repository(SampleAccount).get("acc-1")
    mine.notes.append("mine")
    mine.tags = frozenset({"x"})
    assert yours.notes == []
    assert yours.tags == frozenset()
    with store.unit_of_work() as uow:
        assert uow.repository(SampleAccount).get("acc-1") == attrs.evolve(_account(), version=1)


def _load(kind: Any, text: str, version: int) -> Any:
    return load_aggregate(kind, text, version)
