"""Who is acting: the value every command takes."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from crmcore._validators import non_empty

__all__ = ["Actor", "DirectoryUser"]


def _roles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@attrs.frozen
class Actor:
    """A user acting with some roles; the host builds it from its own session or token."""

    user_id: str = attrs.field(validator=non_empty)
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)

    def has_role(self, *roles: str) -> bool:
        """True when the actor holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


@attrs.frozen
class DirectoryUser:
    """A person as the Directory port knows them: roles, department, manager, active flag."""

    id: str = attrs.field(validator=non_empty)
    name: str = ""
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)
    department: str | None = None
    manager_id: str | None = None
    active: bool = True

    def as_actor(self) -> Actor:
        """The Actor this user acts as."""
        return Actor(self.id, self.roles)
