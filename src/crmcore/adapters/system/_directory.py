"""Directories over the host's users: a mapping it keeps up to date, or a lookup function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.ports import DirectoryUser

__all__ = ["CallableDirectory", "MappingDirectory"]

UserData = DirectoryUser | Mapping[str, Any]
_FIELDS = frozenset({"name", "roles", "department", "manager_id", "active"})


def _user(user_id: str, data: UserData) -> DirectoryUser:
    if isinstance(data, DirectoryUser):
        if data.id != user_id:
            raise ConfigError(f"directory[{user_id!r}]: holds the user {data.id!r}")
        return data
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ConfigError(f"directory[{user_id!r}].{unknown[0]}: unknown field")
    return DirectoryUser(user_id, **data)


class _Chain:
    """The manager chain and the role and department lists, over ``user`` and ``everyone``."""

    def user(self, user_id: str) -> DirectoryUser:
        raise NotImplementedError

    def everyone(self) -> Iterable[DirectoryUser]:
        raise NotImplementedError

    def manager_of(self, user_id: str, levels: int = 1) -> DirectoryUser | None:
        """The manager ``levels`` up from ``user_id``; None past the top; a loop is refused."""
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
        """Everyone holding ``role``, by id."""
        return sorted((u for u in self.everyone() if role in u.roles), key=lambda u: u.id)

    def users_in_department(self, department: str) -> Sequence[DirectoryUser]:
        """Everyone in ``department``, by id."""
        return sorted(
            (u for u in self.everyone() if u.department == department), key=lambda u: u.id
        )


class MappingDirectory(_Chain):
    """A Directory over a mapping of user id → ``DirectoryUser`` or a dict of its fields.

    The mapping is read at every call, so a host that updates it (a user leaves, a role is
    granted) is seen at once: ``{"ann": {"roles": ["sales"], "manager_id": "mia"}}``.
    """

    def __init__(self, users: Mapping[str, UserData]) -> None:
        for user_id, data in users.items():
            _user(user_id, data)  # refuse bad configuration now, not at the first lookup
        self._users = users

    def user(self, user_id: str) -> DirectoryUser:
        """The user with that id; NotFound when the mapping has none."""
        try:
            data = self._users[user_id]
        except KeyError:
            raise NotFound(f"no user with id {user_id!r} in the directory") from None
        return _user(user_id, data)

    def everyone(self) -> Iterable[DirectoryUser]:
        """Every user of the mapping."""
        return [_user(i, d) for i, d in self._users.items()]


class CallableDirectory(_Chain):
    """A Directory over the host's own lookups (an identity service, an LDAP query).

    ``lookup(user_id)`` returns the user or None; ``everyone()`` lists every user, for the
    role and department queries (routing a notification to "finance").
    """

    def __init__(
        self,
        lookup: Callable[[str], DirectoryUser | None],
        everyone: Callable[[], Iterable[DirectoryUser]],
    ) -> None:
        self._lookup = lookup
        self._everyone = everyone

    def user(self, user_id: str) -> DirectoryUser:
        """The user ``lookup`` finds; NotFound when it finds none."""
        found = self._lookup(user_id)
        if found is None:
            raise NotFound(f"no user with id {user_id!r} in the directory")
        return found

    def everyone(self) -> Iterable[DirectoryUser]:
        """Every user, as ``everyone`` lists them."""
        return self._everyone()
