"""A store keeps what it wrote as the row's decoded value only when that is what a decode
gives: the same types, order and digits; copies never share what can change; a rollback or
a failed commit keeps nothing."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from crmcore._aggregate import AggregateRoot
from crmcore.adapters import _codec
from crmcore.adapters._codec import dump_aggregate, load_aggregate
from crmcore.adapters._signed import Signer, same
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.errors import StaleVersion
from crmcore.money import Money
from crmcore.ports import Actor, AggregateKind, Storage
from crmcore.testing import strategies as cst
from crmcore.testing.contracts import AT, DOMAIN_KINDS, SAMPLE_KIND, SampleAccount, _account


@attrs.define
class _Keyed(AggregateRoot):
    """An aggregate with a free-form dict and a moment: order and time zone matter."""

    aggregate_kind: ClassVar[str] = "keyed"

    id: str
    counts: dict[str, int] = attrs.field(factory=dict)
    at: datetime | None = None


KEYED: AggregateKind[_Keyed] = AggregateKind("keyed", _Keyed)


class _Colour(enum.Enum):
    RED = "red"


def _decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each aggregate text the codec decodes."""
    seen: list[str] = []
    real = _codec.load_aggregate

    def load(kind: Any, text: str, version: int) -> Any:
        seen.append(text)
        return real(kind, text, version)

    monkeypatch.setattr(_codec, "load_aggregate", load)
    monkeypatch.setattr("crmcore.adapters.memory._database.load_aggregate", load)
    return seen


def _add(storage: Storage, *aggregates: Any) -> None:
    with storage.unit_of_work() as uow:
        for aggregate in aggregates:
            uow.repository(type(aggregate)).add(aggregate)
        uow.commit()


def _get(storage: Storage, cls: type[Any], id: str) -> Any:
    with storage.unit_of_work() as uow:
        return uow.repository(cls).get(id)


def test_a_signature_names_types_not_values_or_lengths() -> None:
    signer = Signer()

    def signature(value: Any) -> tuple[int, int]:
        return signer.copy(_Keyed("k", {"a": 1}, value))[1]

    def of(**fields: Any) -> tuple[int, int]:
        return signer.copy(attrs.evolve(_account(), **fields))[1]

    assert of(notes=["x"]) == of(notes=["y", "z", "w"])
    assert of(notes=["x"]) != of(notes=[])
    assert of(notes=["x"]) != of(notes=("x",))
    assert of(owner_id="u1") != of(owner_id=_Colour.RED)
    assert of(tags=frozenset({"a"})) == of(tags=frozenset({"b", "c"}))
    utc = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert signature(utc) == signature(utc + timedelta(days=1))
    assert signature(utc) != signature(utc.astimezone(ZoneInfo("Asia/Shanghai")))
    assert signature(utc) != signature(utc.replace(tzinfo=None))


def test_same_checks_types_order_and_digits() -> None:
    assert same(_account(), _account())
    assert not same(_account(amount="100.00"), _account(amount="100.0"))
    assert not same(_Keyed("k", {"a": 1, "b": 2}), _Keyed("k", {"b": 2, "a": 1}))
    assert not same(_Keyed("k", {"a": 1}), _Keyed("k", {"a": True}))
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert not same(
        _Keyed("k", at=moment), _Keyed("k", at=moment.astimezone(ZoneInfo("Asia/Shanghai")))
    )
    assert same(attrs.evolve(_account(), version=3), _account())  # the version is the row's


def test_a_write_is_kept_only_once_its_signature_decoded_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryDatabase([SAMPLE_KIND])
    seen = _decodes(monkeypatch)
    _add(store, _account("a1"))
    assert len(seen) == 1  # the first write of the signature: decoded and compared
    _add(store, _account("a2", "u2", "7.25"))
    assert len(seen) == 1  # the same signature: kept, not decoded
    for id in ("a1", "a2", "a1"):
        assert _get(store, SampleAccount, id) == attrs.evolve(
            _account(id, *(("u2", "7.25") if id == "a2" else ())), version=1
        )
    assert len(seen) == 1  # every read copied what the commit kept


def test_what_does_not_decode_the_same_is_decoded_by_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryDatabase([KEYED])
    seen = _decodes(monkeypatch)
    shanghai = datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    _add(store, _Keyed("k1", {"b": 1, "a": 2}), _Keyed("k2", at=shanghai))
    assert len(seen) == 2
    first, second = _get(store, _Keyed, "k1"), _get(store, _Keyed, "k2")
    assert list(first.counts) == ["a", "b"]  # as the sorted JSON decodes, not as written
    assert type(second.at.tzinfo) is timezone  # a fixed offset, as a decode gives
    assert second.at == shanghai
    _add(store, _Keyed("k3", {"d": 1, "c": 2}))  # a new signature (other keys): decoded
    _add(store, _Keyed("k4", {"b": 5, "a": 6}))  # a signature that did not decode the same
    assert list(_get(store, _Keyed, "k4").counts) == ["a", "b"]


def test_a_rollback_and_a_lost_conflict_keep_nothing() -> None:
    store = MemoryDatabase([SAMPLE_KIND])
    _add(store, _account("a1"))
    with store.unit_of_work() as uow:
        account = uow.repository(SampleAccount).get("a1")
        account.deposit(Actor("u1"), Money(5, "CNY"), at=AT)
        uow.repository(SampleAccount).save(account)
    with store.unit_of_work() as first, store.unit_of_work() as second:
        mine = first.repository(SampleAccount).get("a1")
        yours = second.repository(SampleAccount).get("a1")
        mine.notes.append("mine")
        yours.notes.append("yours")
        first.repository(SampleAccount).save(mine)
        second.repository(SampleAccount).save(yours)
        first.commit()
        with pytest.raises(StaleVersion):
            second.commit()
    read = _get(store, SampleAccount, "a1")
    assert read.notes == ["mine"]
    assert read.balance == Money("100.00", "CNY")
    assert read.version == 2
    read.notes.append("changed by a reader")
    assert _get(store, SampleAccount, "a1").notes == ["mine"]


def _stores(tmp_path: Any) -> list[Storage]:
    return [MemoryDatabase(DOMAIN_KINDS), SqliteDatabase(tmp_path / "kept.sqlite3", DOMAIN_KINDS)]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> list[Storage]:
    return _stores(tmp_path_factory.mktemp("kept"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(aggregate=cst.aggregates())
def test_a_kept_write_is_what_its_row_decodes_to(stores: list[Storage], aggregate: Any) -> None:
    """Stored, saved again unchanged (a known signature: kept without a decode) and read:
    the same types, values and order as a fresh decode of the row."""
    kind = next(k for k in DOMAIN_KINDS if isinstance(aggregate, k.cls))
    text = dump_aggregate(kind, aggregate)
    for storage in stores:
        with storage.unit_of_work() as uow:
            repository = uow.repository(type(aggregate))
            if aggregate.id in {a.id for a in repository.find()}:
                continue  # an id drawn before: the module-wide stores keep every example
            repository.add(attrs.evolve(aggregate))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.repository(type(aggregate)).save(uow.repository(type(aggregate)).get(aggregate.id))
            uow.commit()
        read = _get(storage, type(aggregate), aggregate.id)
        assert same(read, load_aggregate(kind, text, 2))
        assert read.version == 2
        assert dump_aggregate(kind, read) == text
