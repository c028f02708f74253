"""The public adapter-author kit: its row codec on ``KindRegistry`` keeps the reference stores'
savings (a new shape loaded back, an unchanged row copied) and refuses what would not load."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmcore.adapters import kit
from crmcore.errors import ValidationError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.testing.contracts import SAMPLE_KIND, SampleAccount


def _account() -> SampleAccount:
    return SampleAccount("acc-1", "sun", Money("12.50", "CNY"), date(2026, 1, 5))


def test_every_name_the_kit_exports_exists() -> None:
    assert [name for name in kit.__all__ if not hasattr(kit, name)] == []
    assert kit.DECODED_ROWS == 10_000
    assert {c.value for c in kit.WriteCheck} == {"per_shape", "always"}


def test_rows_written_by_the_registry_read_back_as_fresh_equal_copies() -> None:
    registry = kit.KindRegistry([SAMPLE_KIND])
    text = registry.encode_row(SAMPLE_KIND, _account())
    assert text == kit.encode_aggregate(SAMPLE_KIND, _account())
    first = registry.decode_row(SAMPLE_KIND, "acc-1", text, 3)
    second = registry.decode_row(SAMPLE_KIND, "acc-1", text, 3)  # copied, not decoded again
    assert first is not second
    assert (first.id, first.balance, first.version) == ("acc-1", Money("12.50", "CNY"), 3)
    assert kit.encode_aggregate(SAMPLE_KIND, first) == kit.encode_aggregate(SAMPLE_KIND, second)


def test_outbox_rows_written_by_the_registry_are_the_kits() -> None:
    account = _account()
    account.deposit(Actor("sun"), Money("0.50", "CNY"), at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    (event,) = account.peek_events()
    registry = kit.KindRegistry([SAMPLE_KIND])
    name, text = registry.encode_event_row(event)
    assert (name, text) == kit.encode_event(event)
    assert kit.decode_event(name, text) == event


def test_a_row_that_would_not_load_back_is_refused() -> None:
    registry = kit.KindRegistry([SAMPLE_KIND], verify_writes="always")
    broken = _account()
    broken.owner_id = 42  # type: ignore[assignment]  # a number where a name belongs
    with pytest.raises(ValidationError, match="acc-1"):
        registry.encode_row(SAMPLE_KIND, broken)
