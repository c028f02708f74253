"""Which writes a commit loads back: each new shape of a kind (the default), or every write."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest

from crmcore.adapters import WriteCheck, _codec
from crmcore.adapters._verify import ShapeLog
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.errors import ConfigError, ValidationError
from crmcore.money import Money
from crmcore.ports import Actor, Storage
from crmcore.serialization._limits import MAX_TEXT
from crmcore.testing.contracts import AT, SAMPLE_KIND, SampleAccount, _account


def test_a_shape_is_the_keys_and_json_types_never_the_values_or_list_lengths() -> None:
    log = ShapeLog()
    one = log.shape({"id": "a", "n": 1, "tags": ["x"], "at": None})
    assert log.shape({"id": "b", "n": 7, "tags": ["y", "z", "w"], "at": None}) == one
    assert log.shape({"id": "b", "n": 7, "tags": [], "at": None}) != one
    assert log.shape({"id": 5, "n": 1, "tags": ["x"], "at": None}) != one
    assert log.shape({"id": "a", "n": True, "tags": ["x"], "at": None}) != one
    assert log.shape({"id": "a", "n": 1.0, "tags": ["x"], "at": None}) != one
    assert log.shape({"id": "a", "n": 1, "tags": ["x"], "at": "2026-03-01"}) != one
    assert log.shape({"id": "a", "n": 1, "tags": ["x"]}) != one
    assert log.shape({"id": "a", "n": 1, "tags": ["x", 2], "at": None}) != one


def test_a_log_remembers_per_kind_and_always_checks_in_always_mode() -> None:
    log = ShapeLog()
    shape = log.shape({"id": "a"})
    assert log.needs_check("account", shape)
    log.loaded_back("account", shape)
    assert not log.needs_check("account", shape)
    assert log.needs_check("order", shape)
    always = ShapeLog(WriteCheck.ALWAYS)
    always.loaded_back("account", shape)
    assert always.needs_check("account", shape)


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each aggregate the codec loads back before a commit."""
    seen: list[str] = []
    real = _codec.load_aggregate

    def load(kind: object, text: str, version: int) -> object:
        seen.append(text)
        return real(kind, text, version)  # type: ignore[arg-type]

    monkeypatch.setattr(_codec, "load_aggregate", load)
    return seen


def _stores(tmp_path: Path, check: WriteCheck) -> list[Storage]:
    return [
        MemoryDatabase([SAMPLE_KIND], verify_writes=check),
        SqliteDatabase(tmp_path / f"{check.value}.sqlite3", [SAMPLE_KIND], verify_writes=check),
    ]


def _add(storage: Storage, *accounts: SampleAccount) -> None:
    with storage.unit_of_work() as uow:
        for account in accounts:
            uow.repository(SampleAccount).add(account)
        uow.commit()


@pytest.mark.parametrize(("check", "loads"), [(WriteCheck.PER_SHAPE, 1), (WriteCheck.ALWAYS, 4)])
def test_writes_of_one_shape_are_loaded_back_once_unless_always(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, check: WriteCheck, loads: int
) -> None:
    for storage in _stores(tmp_path, check):
        seen = _loads(monkeypatch)
        _add(storage, _account("a1"), _account("a2", "u2", "5"))
        _add(storage, _account("a3", "u3", "7.25"), _account("a4"))
        assert len(seen) == loads
        seen.clear()
        with storage.unit_of_work() as uow:
            account = uow.repository(SampleAccount).get("a1")
            account.deposit(Actor("u1"), Money(1, "CNY"), at=AT)
            account.notes.append("a note")  # a list item: a new shape, loaded back once
            uow.repository(SampleAccount).save(account)
            uow.commit()
        assert len(seen) == 1
        assert [type(e.event).__name__ for e in storage.undelivered()] == ["SampleDeposited"]


def test_a_slipped_type_is_refused_even_once_the_kind_is_known(tmp_path: Path) -> None:
    for storage in _stores(tmp_path, WriteCheck.PER_SHAPE):
        _add(storage, _account("a1"), _account("a2"))
        bad = _account("a3")
        bad.owner_id = 5  # type: ignore[assignment]  # slipped past a check
        with pytest.raises(ValidationError, match=r"a3.*would not load back"):
            _add(storage, bad)
        with storage.unit_of_work() as uow:
            assert [a.id for a in uow.repository(SampleAccount).find()] == ["a1", "a2"]


class _Other(enum.Enum):
    FROZEN = "frozen"


def test_a_value_of_another_type_with_the_same_json_shape_is_refused_too() -> None:
    """Another enum's member dumps as a string, like a status: a new signature, loaded back."""
    shaped = MemoryDatabase([SAMPLE_KIND])
    _add(shaped, _account("a1"))
    sneaky = _account("a2")
    sneaky.status = _Other.FROZEN  # type: ignore[assignment]  # slipped past a check
    with pytest.raises(ValidationError, match=r"a2.*would not load back"):
        _add(shaped, sneaky)


def test_a_value_beyond_a_loads_limits_is_loaded_back_and_refused() -> None:
    """A note too long to load is still a string in a list: the signature is known, the
    limit is not met, so the write is loaded back (and refused) all the same."""
    store = MemoryDatabase([SAMPLE_KIND])
    first = _account("a1")
    first.notes.append("fine")
    _add(store, first)
    sneaky = _account("a2")
    sneaky.notes.append("x" * (MAX_TEXT + 1))  # slipped past a check
    with pytest.raises(ValidationError, match=r"a2.*would not load back"):
        _add(store, sneaky)


def test_what_only_always_catches_without_kept_rows_a_value_of_the_right_json_type() -> None:
    """The documented trade-off where no signature is taken (``decoded_rows=0``, or a kind
    the copier does not know): another enum's member dumps as a string, like a status."""
    shaped = MemoryDatabase([SAMPLE_KIND], decoded_rows=0)
    always = MemoryDatabase([SAMPLE_KIND], verify_writes="always", decoded_rows=0)
    for storage in (shaped, always):
        _add(storage, _account("a1"))
    sneaky = _account("a2")
    sneaky.status = _Other.FROZEN  # type: ignore[assignment]  # slipped past a check
    with pytest.raises(ValidationError, match=r"a2.*would not load back"):
        _add(always, sneaky)
    _add(shaped, sneaky)  # same shape as a1: trusted, stored ...
    with shaped.unit_of_work() as uow, pytest.raises(ConfigError, match="status"):
        uow.repository(SampleAccount).get("a2")  # ... and refused when read


def test_an_unknown_check_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValidationError, match=r"verify_writes: 'never' is not one of"):
        MemoryDatabase([SAMPLE_KIND], verify_writes="never")
