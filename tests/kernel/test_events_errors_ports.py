"""Events register by name; the error tree; Actor; the fakes behave like the ports say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

import crmcore
from crmcore import errors
from crmcore.events import DomainEvent, event_type, event_types
from crmcore.ports import (
    Actor,
    Clock,
    Directory,
    DirectoryUser,
    IdGenerator,
    Notification,
    Notifier,
)
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@attrs.frozen(kw_only=True)
class SampleHappened(DomainEvent):
    detail: str


@attrs.frozen(kw_only=True)
class Renamed(DomainEvent):
    event_name = "sample.renamed"


def test_event_subclasses_register_by_name() -> None:
    event = SampleHappened(
        occurred_at=AT, actor_id="u1", subject_kind="order", subject_id="o-1", detail="x"
    )
    assert event_type("SampleHappened") is SampleHappened
    assert event_type("sample.renamed") is Renamed
    assert event_types()["SampleHappened"] is SampleHappened
    assert event.event_name == "SampleHappened"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.detail = "y"  # type: ignore[misc]
    with pytest.raises(errors.NotFound, match="no event type named 'Nope'"):
        event_type("Nope")


def test_error_tree() -> None:
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.ConfigError, errors.ValidationError)
    assert issubclass(errors.NotFound, KeyError)
    for cls in (
        errors.ValidationError,
        errors.CurrencyMismatch,
        errors.InvariantViolation,
        errors.InvalidTransition,
        errors.PermissionDenied,
        errors.NotFound,
        errors.ConcurrencyConflict,
        errors.ConfigError,
    ):
        assert issubclass(cls, errors.CrmError)
    assert str(errors.NotFound("no order 'o-9'")) == "no order 'o-9'"
    assert str(errors.NotFound()) == ""
    assert errors.ConfigError("bad").problems == ["bad"]
    assert errors.ConfigError("bad", ["a: x", "b: y"]).problems == ["a: x", "b: y"]


def test_public_api_and_version() -> None:
    assert crmcore.__version__ == "0.1.0"
    assert set(crmcore.__all__) <= set(dir(crmcore))
    assert crmcore.Money is crmcore.money.Money


def test_actor_roles() -> None:
    actor = Actor("u1", ["sales", "manager"])
    assert actor.has_role("finance", "manager")
    assert not actor.has_role("finance")
    assert Actor("u2", "sales").roles == frozenset({"sales"})
    assert Actor("u3").roles == frozenset()
    with pytest.raises(errors.ValidationError, match="user_id: must be a non-empty string"):
        Actor(" ")


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(AT)
    assert isinstance(clock, Clock)
    assert clock.now() == AT
    assert clock.today() == date(2026, 3, 1)
    assert clock.advance(days=2) == AT + timedelta(days=2)
    assert clock.advance(timedelta(hours=1)) == AT + timedelta(days=2, hours=1)
    with pytest.raises(errors.ValidationError, match="cannot go back"):
        clock.advance(days=-1)
    clock.set(AT)
    assert clock.now() == AT


def test_sequential_ids_count_per_kind() -> None:
    ids = SequentialIds()
    assert isinstance(ids, IdGenerator)
    assert [ids.new_id("order"), ids.new_id("order"), ids.new_id("payment")] == [
        "order-1",
        "order-2",
        "payment-1",
    ]


def _directory() -> StaticDirectory:
    return StaticDirectory.of(
        [
            DirectoryUser("ceo", "Chen", roles={"director"}),
            DirectoryUser("m1", "Mei", roles={"manager"}, department="east", manager_id="ceo"),
            DirectoryUser("s1", "Sun", roles={"sales"}, department="east", manager_id="m1"),
            DirectoryUser("s2", "Song", roles={"sales"}, manager_id="m1", active=False),
            DirectoryUser("f1", "Fang", roles={"finance"}),
        ]
    )


def test_static_directory_walks_the_manager_chain() -> None:
    directory = _directory()
    assert isinstance(directory, Directory)
    assert directory.user("s1").department == "east"
    assert directory.user("s1").as_actor() == Actor("s1", {"sales"})
    manager = directory.manager_of("s1")
    assert manager is not None
    assert manager.id == "m1"
    second = directory.manager_of("s1", levels=2)
    assert second is not None
    assert second.id == "ceo"
    assert directory.manager_of("s1", levels=3) is None
    assert [u.id for u in directory.users_with_role("sales")] == ["s1", "s2"]
    assert [u.id for u in directory.users_in_department("east")] == ["m1", "s1"]
    with pytest.raises(errors.NotFound, match="no user with id 'x'"):
        directory.user("x")
    with pytest.raises(errors.ValidationError, match="levels must be >= 1"):
        directory.manager_of("s1", levels=0)


def test_static_directory_detects_a_manager_loop() -> None:
    directory = StaticDirectory.of(
        [DirectoryUser("a", manager_id="b"), DirectoryUser("b", manager_id="a")]
    )
    with pytest.raises(errors.ValidationError, match="loops"):
        directory.manager_of("a", levels=5)


def test_recording_notifier_keeps_what_it_was_sent() -> None:
    notifier = RecordingNotifier()
    assert isinstance(notifier, Notifier)
    event = SampleHappened(
        occurred_at=AT, actor_id="u1", subject_kind="order", subject_id="o-1", detail="x"
    )
    notifier.send(Notification("m1", "order approved", event))
    notifier.send(Notification("f1", "payment recorded", event))
    assert notifier.topics_for("m1") == ["order approved"]
    assert len(notifier.sent) == 2
    notifier.clear()
    assert notifier.sent == []
