"""A store keeps what it wrote as the row's decoded value only when that is what a decode
gives: the same types, order and digits; copies never share what can change; a rollback or
a failed commit keeps nothing."""

from __future__ import annotations

import enum
import types
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore._aggregate import AggregateRoot
from crmcore.adapters import _codec, _signed
from crmcore.adapters._codec import dump_aggregate, load_aggregate
from crmcore.adapters._signed import Signer, same
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.errors import StaleVersion
from crmcore.leads import Lead
from crmcore.money import Money
from crmcore.orders import Order
from crmcore.ports import Actor, AggregateKind, Storage
from crmcore.receivables import PaymentState, PaymentTerms, Receivable
from crmcore.serialization._limits import MAX_TEXT
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


SALES, FINANCE = Actor("sam", {"sales"}), Actor("fay", {"finance"})
ADMIN_ACTOR = Actor("admin", {"admin"})


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


def _row_text(storage: Storage, kind: AggregateKind[Any], id: str) -> str:
    """The text a store holds for a row."""
    if isinstance(storage, MemoryDatabase):
        return storage._tables[kind.name].rows[id][1]
    assert isinstance(storage, SqliteDatabase)
    row = storage._conn.execute(f"SELECT data FROM kind_{kind.name} WHERE id = ?", (id,))
    return str(row.fetchone()[0])


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
        assert _row_text(storage, kind, aggregate.id) == text
        assert same(read, load_aggregate(kind, text, 2))
        assert read.version == 2
        assert dump_aggregate(kind, read) == text


@settings(max_examples=80, deadline=None)
@given(aggregate=cst.aggregates())
def test_a_text_put_together_from_parts_is_the_same_again_with_texts_reused(
    aggregate: Any,
) -> None:
    """Byte for byte the first time (nothing reused) and again (every shared record's text
    reused); for orders and receivables it is the plain conversion (a kind whose class
    converts its fields its own way, like a lead's custom fields, may differ: a store finds
    out on the first write of each signature and then converts that signature plainly)."""
    kind = next(k for k in DOMAIN_KINDS if isinstance(aggregate, k.cls))
    if kind.dump is not None:
        return  # a kind with its own dump is always converted plainly
    signer = Signer()
    signer.copy(aggregate)
    first = signer.text(aggregate)
    signer.copy(aggregate)
    assert signer.text(aggregate) == first
    if isinstance(aggregate, Order | Receivable):
        assert first == dump_aggregate(kind, aggregate)


def test_a_long_history_is_joined_from_texts_met_before(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = Signer()
    receivable = _receivable_with_payments(30)
    kind = next(k for k in DOMAIN_KINDS if isinstance(receivable, k.cls))
    signer.copy(receivable)
    assert signer.text(receivable) == dump_aggregate(kind, receivable)
    dumped: list[object] = []
    real = _signed._dump

    def counting(value: Any) -> str:
        dumped.append(value)
        return real(value)

    monkeypatch.setattr(_signed, "_dump", counting)
    _pay(receivable, "one-more")
    signer.copy(receivable)
    assert signer.text(receivable) == dump_aggregate(kind, receivable)
    # The new payment, its two events and the fields that are not lists of records: never
    # one of the 30 payments and 60 events before.
    assert 0 < len(dumped) < 30


def test_a_kind_whose_parts_convert_otherwise_is_stored_as_converted_plainly() -> None:
    lead = Lead.capture("l1", "Prospect", source="web", actor=ADMIN_ACTOR, at=AT)
    lead.custom["budget"] = Decimal("0.00")
    store = MemoryDatabase(DOMAIN_KINDS)
    kind = next(k for k in DOMAIN_KINDS if k.cls is Lead)
    _add(store, lead)
    for _ in range(2):  # a known signature: the text is still the plain conversion
        with store.unit_of_work() as uow:
            uow.repository(Lead).save(uow.repository(Lead).get("l1"))
            uow.commit()
    assert store._tables["lead"].rows["l1"][1] == dump_aggregate(kind, lead)
    assert store.decoded.verdict(kind, store.decoded.copy_written(lead)[1]) == (True, False)  # type: ignore[index]


def _pay(receivable: Any, reference: str) -> None:
    payment = receivable.record_payment(
        SALES, Money("1.00", "CNY"), received_on=AT.date(), at=AT, reference=reference
    )
    receivable.confirm_payment(FINANCE, payment.id, at=AT)


def _receivable_with_payments(n: int) -> Any:
    receivable = Receivable.open(
        "AR-1",
        customer="acme",
        owner_id="sam",
        amount=Money("100000.00", "CNY"),
        issue_date=AT.date(),
        terms=PaymentTerms.net(30),
        actor=SALES,
        at=AT,
    )
    for i in range(n):
        _pay(receivable, f"bank-{i}")
    return receivable


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["record", "confirm", "reject"]), st.integers(0, 30)),
        min_size=1,
        max_size=25,
    )
)
def test_a_list_worked_out_from_the_one_before_is_what_a_fresh_walk_gives(
    steps: list[tuple[str, int]],
) -> None:
    """Payments recorded (appended), confirmed or rejected (replaced where they are, not
    always the last): after each step the signature, the limits flag and the text worked
    out from the lists met before equal a walk and a conversion from scratch."""
    signer = Signer()
    receivable = _receivable_with_payments(2)
    kind = next(k for k in DOMAIN_KINDS if isinstance(receivable, k.cls))
    for n, (step, pick) in enumerate(steps):
        pending = [p for p in receivable.payments if p.state is PaymentState.PENDING]
        if step == "record" or not pending:
            receivable.record_payment(
                SALES, Money("1.00", "CNY"), received_on=AT.date(), at=AT, reference=f"r{n}"
            )
        elif step == "confirm":
            receivable.confirm_payment(FINANCE, pending[pick % len(pending)].id, at=AT)
        else:
            receivable.reject_payment(
                FINANCE, pending[pick % len(pending)].id, reason="bounced", at=AT
            )
        _, fast, fast_within = signer.copy(receivable)
        assert signer.text(receivable) == dump_aggregate(kind, receivable)
        signer._sig_lists.clear()
        _, slow, slow_within = signer.copy(receivable)
        assert (fast, fast_within) == (slow, slow_within)


@attrs.define
class _Odds(AggregateRoot):
    """An aggregate with the values the signer treats apart."""

    aggregate_kind: ClassVar[str] = "odds"

    id: str
    count: int = 0
    amount: Decimal = Decimal(0)
    labels: frozenset[str] = frozenset()
    marks: set[Any] = attrs.field(factory=set)
    view: Any = None


def test_the_signer_notes_values_beyond_a_loads_limits_and_copies_what_it_knows() -> None:
    signer = Signer()
    assert signer.copy(_Odds("o"))[2]
    assert not signer.copy(_Odds("o", count=10**18))[2]
    assert not signer.copy(_Odds("o", amount=Decimal("1E+30")))[2]
    assert not signer.copy(_Odds("o", view=["x" * (MAX_TEXT + 1)]))[2]
    copied = signer.copy(_Odds("o", labels=frozenset({"b", "a"}), marks={"z", "y"}))[0]
    assert copied.marks == {"y", "z"}
    assert list(copied.marks) == list({"y", "z"})  # built in sorted order, as a decode builds it
    proxy = signer.copy(_Odds("o", view=types.MappingProxyType({"k": [1]})))[0]
    assert dict(proxy.view) == {"k": [1]}
    with pytest.raises(ValueError, match="cannot copy a set safely"):
        signer.copy(_Odds("o", marks={1, "a"}))  # no order a decode would give
    with pytest.raises(ValueError, match="cannot copy a object safely"):
        signer.copy(_Odds("o", view=object()))


def test_a_list_with_a_record_that_is_not_shared_is_walked_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_signed, "MIN_LIST", 0)  # remember even the empty list
    signer = Signer()
    keyed = _Keyed("k")
    holder = _Odds("o", view=[])
    signer.copy(holder)
    holder.view = [keyed]  # a mutable record: never shared, never remembered
    copied, first, _ = signer.copy(holder)
    assert copied.view[0] is not keyed
    assert copied.view[0] == keyed
    assert signer.copy(holder)[1] == first


def test_a_signer_that_starts_afresh_still_copies_and_writes_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("MAX_PARTS", "MAX_SHARED", "MAX_LISTS", "MIN_LIST"):
        monkeypatch.setattr(_signed, name, 0)
    signer = Signer()
    receivable = _receivable_with_payments(3)
    kind = next(k for k in DOMAIN_KINDS if isinstance(receivable, k.cls))
    first = signer.copy(receivable)
    _pay(receivable, "again")
    copied, second, within = signer.copy(receivable)
    assert second[0] == first[1][0] + 1  # a new generation: numbers start again
    assert within
    assert signer.text(receivable) == dump_aggregate(kind, receivable)
    assert same(copied, load_aggregate(kind, dump_aggregate(kind, receivable), 0))
