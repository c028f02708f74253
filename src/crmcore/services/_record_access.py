"""One record-access rule for every use case and query: own, team, all; read and write.

Roles (the access policy) say *what* a user may do; record access says *to which records*.
The owner reads and writes their own records; the owner's managers up the chain (and, when
configured, the heads of the record's department) their team's; a
[`Grant`][crmcore.services.Grant] gives its roles every record of some kinds (admins
everything, finance the money records, shipping the orders in the warehouse's hands).
Read and write are separate: a grant may read only. Like Odoo's record rules and
Salesforce's org-wide defaults with the role hierarchy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from crmcore.errors import CrmError, PermissionDenied
from crmcore.ports import Actor, Directory

__all__ = ["Grant", "RecordAccess", "RecordRef", "Scope", "record_of"]

#: How far up a manager chain the team scope looks (a loop or a deeper chain stops it).
_MAX_LEVELS = 16


class Scope(enum.Enum):
    """Why a user may reach a record: it is theirs, their team's, or they see all of a kind."""

    OWN = "own"
    TEAM = "team"
    ALL = "all"


def _names(value: Iterable[str] | str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


def _roles(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


@attrs.frozen
class Grant:
    """``roles`` reach every record of ``kinds`` (None: every kind) in ``statuses`` (None:
    any status), for reading and, when ``write``, for writing."""

    roles: frozenset[str] = attrs.field(converter=_roles)
    kinds: frozenset[str] | None = attrs.field(default=None, converter=_names)
    statuses: frozenset[str] | None = attrs.field(default=None, converter=_names)
    write: bool = True

    def covers(self, actor: Actor, record: RecordRef, mode: str) -> bool:
        """True when this grant lets ``actor`` reach ``record`` for ``mode``."""
        return actor.has_role(*self.roles) and self.applies(record, mode)

    def applies(self, record: RecordRef, mode: str) -> bool:
        """True when this grant reaches ``record`` for ``mode`` (for whoever holds it)."""
        return (
            (self.kinds is None or record.kind in self.kinds)
            and (self.statuses is None or record.status in self.statuses)
            and (mode == "read" or self.write)
        )


@attrs.frozen
class RecordRef:
    """What the rule needs to know about one record: kind, id, owner, department, status."""

    kind: str
    id: str
    owner_id: str | None
    department: str | None = None
    status: str | None = None


def record_of(kind: str, record: object) -> RecordRef:
    """The RecordRef of a stored aggregate (``owner_id`` or ``owner``, ``department``,
    ``status``)."""
    owner = getattr(record, "owner_id", None)
    if owner is None:
        owner = getattr(record, "owner", None)
    status = getattr(record, "status", None)
    if isinstance(status, enum.Enum):
        status = status.value
    return RecordRef(
        kind,
        str(getattr(record, "id", "?")),
        owner if isinstance(owner, str) else None,
        getattr(record, "department", None),
        status if isinstance(status, str) else None,
    )


@attrs.frozen
class RecordAccess:
    """The rule: own always; team when ``team_read`` / ``team_write``; ``grants`` for all."""

    grants: tuple[Grant, ...] = ()
    team_read: bool = True
    team_write: bool = True
    #: Users holding one of these roles reach the records of their own department.
    department_head_roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)

    def scope(
        self, directory: Directory, actor: Actor, record: RecordRef, mode: str = "read"
    ) -> Scope | None:
        """The widest scope through which ``actor`` reaches ``record`` for ``mode``
        (``"read"`` or ``"write"``); None when they may not."""
        if any(grant.covers(actor, record, mode) for grant in self.grants):
            return Scope.ALL
        if record.owner_id is not None and record.owner_id == actor.user_id:
            return Scope.OWN
        team = self.team_read if mode == "read" else self.team_write
        if team and self._in_team(directory, actor, record):
            return Scope.TEAM
        return None

    def allows(self, directory: Directory, actor: Actor, record: RecordRef, mode: str) -> bool:
        """True when ``actor`` may ``mode`` the record."""
        return self.scope(directory, actor, record, mode) is not None

    def check(self, directory: Directory, actor: Actor, record: RecordRef, mode: str) -> Scope:
        """The scope, or PermissionDenied naming the record, its owner and who may."""
        scope = self.scope(directory, actor, record, mode)
        if scope is None:
            who = ["the owner"]
            if self.team_read if mode == "read" else self.team_write:
                who.append("the owner's managers")
                if self.department_head_roles:
                    who.append("the department's heads")
            roles = sorted({r for g in self.grants if g.applies(record, mode) for r in g.roles})
            if roles:
                who.append("roles " + ", ".join(roles))
            allowed = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} or {who[-1]}"
            raise PermissionDenied(
                f"{actor.user_id} may not {mode} {record.kind} {record.id}: it belongs to "
                f"{record.owner_id or 'nobody'} (only {allowed} may)"
            )
        return scope

    def _in_team(self, directory: Directory, actor: Actor, record: RecordRef) -> bool:
        owner = record.owner_id
        if owner is None:
            return False
        if (
            self.department_head_roles
            and record.department is not None
            and actor.has_role(*self.department_head_roles)
            and _department(directory, actor.user_id) == record.department
        ):
            return True
        for levels in range(1, _MAX_LEVELS + 1):
            try:
                manager = directory.manager_of(owner, levels)
            except CrmError:
                return False
            if manager is None:
                return False
            if manager.id == actor.user_id:
                return True
        return False


def _department(directory: Directory, user_id: str) -> str | None:
    try:
        return directory.user(user_id).department
    except CrmError:
        return None
