"""The production ports: the zoned clock, UUIDv7 ids, the directories and the notifiers."""

from __future__ import annotations

import logging
import queue
import uuid
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import pytest

from crmcore.adapters.system import (
    CallableDirectory,
    CallbackNotifier,
    LoggingNotifier,
    MappingDirectory,
    SystemClock,
    UuidV7Ids,
)
from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.events import DomainEvent
from crmcore.ports import Clock, Directory, DirectoryUser, IdGenerator, Notification, Notifier

LATE_UTC = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # already 2 March in Shanghai


def test_the_clock_is_zone_aware_and_today_turns_at_the_teams_midnight() -> None:
    clock = SystemClock("Asia/Shanghai", source=lambda zone: LATE_UTC.astimezone(zone))
    assert isinstance(clock, Clock)
    assert clock.now().utcoffset() == timedelta(hours=8)
    assert clock.now() == LATE_UTC
    assert clock.today() == date(2026, 3, 2)
    assert SystemClock("UTC", source=lambda zone: LATE_UTC).today() == date(2026, 3, 1)
    assert repr(clock) == "SystemClock('Asia/Shanghai')"


def test_the_real_clock_gives_an_aware_now() -> None:
    clock = SystemClock(timezone(timedelta(hours=-5)))
    assert clock.now().utcoffset() == timedelta(hours=-5)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_bad_zone_or_a_naive_source_is_refused() -> None:
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not an IANA time zone"):
        SystemClock("Mars/Olympus")

    def naive(zone: tzinfo) -> datetime:
        return datetime(2026, 3, 1, 9)

    with pytest.raises(ConfigError, match="naive datetime 2026-03-01 09:00:00"):
        SystemClock("UTC", source=naive).now()


def test_uuidv7_ids_carry_the_time_the_version_and_sort_in_creation_order() -> None:
    ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    ids = UuidV7Ids(clock_ns=lambda: ms * 1_000_000, random_bytes=lambda n: b"\xff" * n)
    assert isinstance(ids, IdGenerator)
    made = [ids.new_uuid() for _ in range(5)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    assert all(u.int >> 80 == ms for u in made)
    assert made == sorted(made)
    assert len(set(made)) == 5
    assert [(u.int >> 64) & 0xFFF for u in made] == [0, 1, 2, 3, 4]


def test_uuidv7_stays_ordered_when_the_counter_overflows_or_the_clock_goes_back() -> None:
    now = [10_000 * 1_000_000]
    ids = UuidV7Ids(clock_ns=lambda: now[0])
    made = [ids.new_uuid() for _ in range(0x1002)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert made[-1].int >> 80 == 10_001  # 4096 ids in one millisecond: the next one
    now[0] = 5_000 * 1_000_000
    later = ids.new_uuid()
    assert later > made[-1]


def test_new_id_is_a_plain_uuid_or_prefixed_with_the_kind() -> None:
    plain = UuidV7Ids().new_id("order")
    assert uuid.UUID(plain).version == 7
    prefixed = UuidV7Ids(prefix_kind=True).new_id("order")
    assert prefixed.startswith("order-")
    assert uuid.UUID(prefixed.removeprefix("order-")).version == 7


USERS = {
    "ann": {"roles": ["sales"], "department": "east", "manager_id": "mia"},
    "mia": DirectoryUser("mia", roles={"manager"}, department="east", manager_id="dee"),
    "dee": {"roles": ["director"]},
    "fay": {"roles": ["finance"], "active": False},
}


def test_a_mapping_directory_reads_users_dicts_and_sees_updates() -> None:
    users = dict(USERS)
    directory = MappingDirectory(users)
    assert isinstance(directory, Directory)
    assert directory.user("ann") == DirectoryUser(
        "ann", roles={"sales"}, department="east", manager_id="mia"
    )
    assert directory.manager_of("ann").id == "mia"  # type: ignore[union-attr]
    assert directory.manager_of("ann", 2).id == "dee"  # type: ignore[union-attr]
    assert directory.manager_of("ann", 3) is None
    assert [u.id for u in directory.users_in_department("east")] == ["ann", "mia"]
    assert [u.id for u in directory.users_with_role("finance")] == ["fay"]
    users["bob"] = {"roles": ["sales", "finance"]}
    assert [u.id for u in directory.users_with_role("finance")] == ["bob", "fay"]
    with pytest.raises(NotFound, match="no user with id 'zed'"):
        directory.user("zed")


def test_bad_directory_data_is_refused_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"directory\['ann'\].role: unknown field"):
        MappingDirectory({"ann": {"role": "sales"}})
    with pytest.raises(ConfigError, match=r"directory\['ann'\]: holds the user 'bob'"):
        MappingDirectory({"ann": DirectoryUser("bob")})
    looping = MappingDirectory({"a": {"manager_id": "b"}, "b": {"manager_id": "a"}})
    with pytest.raises(ValidationError, match="manager chain of 'a' loops at 'a'"):
        looping.manager_of("a", 2)
    with pytest.raises(ValidationError, match="levels must be >= 1, got 0"):
        looping.manager_of("a", 0)


def test_a_callable_directory_asks_the_host() -> None:
    people = {u: MappingDirectory(USERS).user(u) for u in USERS}
    directory = CallableDirectory(people.get, people.values)
    assert isinstance(directory, Directory)
    assert directory.manager_of("mia").id == "dee"  # type: ignore[union-attr]
    assert [u.id for u in directory.users_with_role("sales")] == ["ann"]
    with pytest.raises(NotFound, match="no user with id 'zed'"):
        directory.user("zed")


EVENT = DomainEvent(occurred_at=LATE_UTC, actor_id="ann", subject_kind="order", subject_id="SO-1")


def test_the_logging_notifier_logs_one_record_with_its_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = LoggingNotifier()
    assert isinstance(notifier, Notifier)
    with caplog.at_level(logging.INFO, logger="crmcore.notifications"):
        notifier.send(Notification("mia", "approval waiting for you", EVENT))
    (record,) = caplog.records
    assert record.getMessage() == "to mia: approval waiting for you (order SO-1)"
    assert record.__dict__["recipient_id"] == "mia"
    assert record.__dict__["event"] is EVENT


def test_the_callback_notifier_feeds_a_queue() -> None:
    outbox: queue.Queue[Notification] = queue.Queue()
    notifier = CallbackNotifier(outbox.put)
    assert isinstance(notifier, Notifier)
    notifier.send(Notification("mia", "approval waiting for you", EVENT))
    assert outbox.get_nowait().recipient_id == "mia"
