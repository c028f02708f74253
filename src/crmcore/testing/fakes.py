"""In-memory fakes of the ports for tests: a clock you move, ids you can predict, a fixed
directory of users and a notifier that remembers what it was sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import attrs

from crmcore.errors import NotFound, ValidationError
from crmcore.ports import DirectoryUser, Notification

__all__ = ["FixedClock", "RecordingNotifier", "SequentialIds", "StaticDirectory"]


@attrs.define
class FixedClock:
    """A clock that stands still until ``advance`` or ``set`` moves it."""

    current: datetime = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; moving back is refused."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValidationError(f"FixedClock.advance: cannot go back in time ({step})")
        self.current += step
        return self.current

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (either direction, for scenario set-up)."""
        self.current = when


@attrs.define
class SequentialIds:
    """Ids ``order-1``, ``order-2``, ``payment-1``...: one counter per kind."""

    _counters: dict[str, int] = attrs.field(factory=dict)

    def new_id(self, kind: str) -> str:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return f"{kind}-{self._counters[kind]}"


@attrs.define
class StaticDirectory:
    """A Directory over a fixed list of users."""

    _users: dict[str, DirectoryUser] = attrs.field(factory=dict)

    @classmethod
    def of(cls, users: Iterable[DirectoryUser]) -> StaticDirectory:
        directory = cls()
        for user in users:
            directory.put(user)
        return directory

    def put(self, user: DirectoryUser) -> None:
        """Add or replace a user."""
        self._users[user.id] = user

    def user(self, user_id: str) -> DirectoryUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise NotFound(f"no user with id {user_id!r} in the directory") from None

    def manager_of(self, user_id: str, levels: int = 1) -> DirectoryUser | None:
        if levels < 1:
            raise ValidationError(f"manager_of: levels must be >= 1, got {levels}")
        current = self.user(user_id)
        seen = {current.id}
        for _ in range(levels):
            if current.manager_id is None:
                return None
            current = self.user(current.manager_id)
            if current.id in seen:
                raise ValidationError(f"manager chain of {user_id!r} loops at {current.id!r}")
            seen.add(current.id)
        return current

    def users_with_role(self, role: str) -> Sequence[DirectoryUser]:
        return [u for _, u in sorted(self._users.items()) if role in u.roles]

    def users_in_department(self, department: str) -> Sequence[DirectoryUser]:
        return [u for _, u in sorted(self._users.items()) if u.department == department]


@attrs.define
class RecordingNotifier:
    """Keeps every notification it is sent, in order."""

    sent: list[Notification] = attrs.field(factory=list)

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)

    def topics_for(self, recipient_id: str) -> list[str]:
        """The topics sent to one recipient, in order."""
        return [n.topic for n in self.sent if n.recipient_id == recipient_id]

    def clear(self) -> None:
        self.sent.clear()
