"""Who approves: approver specifications and their resolution through the Directory port.

An approver specification names people indirectly (a role, the submitter's manager, a user
named on the subject); it becomes a list of user ids only when a step starts, so that a
person who left or was deactivated in the meantime is skipped.

Data form: ``{"role": "finance"}``, ``{"user": "u-7"}``, ``{"manager_of": 1}`` (levels up
from the submitter), ``{"field_user": "owner_id"}``; an escalation target is
``{"manager_of_approver": 1}`` or ``{"user": "u-7"}``.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from crmcore._numbers import show
from crmcore._validators import non_empty
from crmcore.errors import NotFound, ValidationError
from crmcore.ports import Directory, DirectoryUser

__all__ = [
    "APPROVER_TYPES",
    "TARGET_TYPES",
    "Approver",
    "EscalationTarget",
    "FieldUser",
    "ManagerOf",
    "ManagerOfApprover",
    "Role",
    "User",
    "approver_from_data",
    "approver_to_data",
    "members",
    "target_from_data",
]


def _levels(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{attribute.name}: must be a whole number >= 1, got {show(value, 200)}"
        )


def _levels_up(levels: int) -> str:
    return f" ({levels} levels up)" if levels > 1 else ""


@attrs.frozen
class Role:
    """Every active user holding the role ``name``."""

    name: str = attrs.field(validator=non_empty)

    def describe(self) -> str:
        return f"role {self.name}"


@attrs.frozen
class User:
    """One named user."""

    id: str = attrs.field(validator=non_empty)

    def describe(self) -> str:
        return f"user {self.id}"


@attrs.frozen
class ManagerOf:
    """The submitter's manager ``levels`` up the chain (1: the direct manager)."""

    levels: int = attrs.field(default=1, validator=_levels)

    def describe(self) -> str:
        return "the submitter's manager" + _levels_up(self.levels)


@attrs.frozen
class FieldUser:
    """The user whose id the subject holds in ``attribute`` (dotted paths allowed)."""

    attribute: str = attrs.field(validator=non_empty)

    def describe(self) -> str:
        return f"the user in {self.attribute}"


@attrs.frozen
class ManagerOfApprover:
    """Escalation target: the manager ``levels`` up from the approver who did not answer."""

    levels: int = attrs.field(default=1, validator=_levels)

    def describe(self) -> str:
        return "the approver's manager" + _levels_up(self.levels)


#: What a step's ``approvers`` (and a process's ``fallback_approvers``) may hold.
Approver = Role | User | ManagerOf | FieldUser
#: Where an overdue task goes when its SLA runs out.
EscalationTarget = ManagerOfApprover | User

APPROVER_TYPES: tuple[type, ...] = (Role, User, ManagerOf, FieldUser)
TARGET_TYPES: tuple[type, ...] = (ManagerOfApprover, User)


def static_capacity(approvers: Sequence[Approver]) -> int | None:
    """How many distinct people ``approvers`` can name at most; None when unbounded (a role)."""
    if any(isinstance(a, Role) for a in approvers):
        return None
    return len(set(approvers))


def field_users_of(approvers: Sequence[Approver]) -> list[str]:
    """The subject attributes that name approvers, in order, without repeats."""
    seen: dict[str, None] = {}
    for a in approvers:
        if isinstance(a, FieldUser):
            seen.setdefault(a.attribute, None)
    return list(seen)


@attrs.frozen
class Resolution:
    """The user ids a list of approver specifications named, and why others were left out."""

    user_ids: tuple[str, ...]
    notes: tuple[str, ...]


def resolve_approvers(
    approvers: Sequence[Approver],
    *,
    submitter_id: str,
    directory: Directory,
    subject_users: Mapping[str, str | None],
    allow_self: bool,
) -> Resolution:
    """Turn specifications into active user ids (config order, no repeats).

    Inactive and unknown users are skipped, and so is the submitter unless ``allow_self``;
    each skip is explained in ``notes``.
    """
    ids: dict[str, None] = {}
    notes: list[str] = []
    for spec in approvers:
        found: list[DirectoryUser] = []
        if isinstance(spec, Role):
            found = list(directory.users_with_role(spec.name))
            if not found:
                notes.append(f"nobody holds role {spec.name}")
        elif isinstance(spec, User):
            user = _lookup(directory, spec.id, notes)
            found = [user] if user is not None else []
        elif isinstance(spec, ManagerOf):
            manager = directory.manager_of(submitter_id, spec.levels)
            if manager is None:
                notes.append(f"{submitter_id} has no manager {spec.levels} level(s) up")
            else:
                found = [manager]
        else:
            user_id = subject_users.get(spec.attribute)
            if user_id is None:
                notes.append(f"the subject names nobody in {spec.attribute}")
            else:
                user = _lookup(directory, user_id, notes)
                found = [user] if user is not None else []
        for user in found:
            if not user.active:
                notes.append(f"{user.id} is inactive")
            elif user.id == submitter_id and not allow_self:
                notes.append(f"{user.id} submitted the request (no self-approval)")
            else:
                ids.setdefault(user.id, None)
    return Resolution(tuple(ids), tuple(notes))


def resolve_target(
    target: EscalationTarget, approver_id: str, directory: Directory
) -> DirectoryUser | None:
    """The user an overdue task of ``approver_id`` escalates to, or None when there is none."""
    if isinstance(target, ManagerOfApprover):
        try:
            return directory.manager_of(approver_id, target.levels)
        except NotFound:
            return None
    try:
        return directory.user(target.id)
    except NotFound:
        return None


def _lookup(directory: Directory, user_id: str, notes: list[str]) -> DirectoryUser | None:
    try:
        return directory.user(user_id)
    except NotFound:
        notes.append(f"{user_id} is not in the directory")
        return None


# -- data form ------------------------------------------------------------------------------


def _text(key: str, value: object) -> str:
    if value is None:
        raise ValidationError(f"{key}: required")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key}: must be a non-empty string, got {show(value, 200)}")
    return value


def _whole(key: str, value: object) -> int:
    if value is None:
        raise ValidationError(f"{key}: required")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{key}: must be a whole number >= 1, got {show(value, 200)}")
    return value


def _single_key(data: object, allowed: str) -> tuple[str, object]:
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ValidationError(f"expected one of {allowed}, got {data!r}")
    key, value = next(iter(data.items()))
    return str(key), value


_APPROVER_FORMS = "{'role': name}, {'user': id}, {'manager_of': levels}, {'field_user': attribute}"


def approver_from_data(data: object) -> Approver:
    """Parse the data form of one approver (an approver object passes through)."""
    if isinstance(data, APPROVER_TYPES):
        return typing.cast(Approver, data)
    key, value = _single_key(data, _APPROVER_FORMS)
    if key == "role":
        return Role(_text(key, value))
    if key == "user":
        return User(_text(key, value))
    if key == "manager_of":
        return ManagerOf(_whole(key, value))
    if key == "field_user":
        return FieldUser(_text(key, value))
    raise ValidationError(f"unknown approver kind {key!r}; expected one of {_APPROVER_FORMS}")


_TARGET_FORMS = "{'manager_of_approver': levels}, {'user': id}"


def target_from_data(data: object) -> EscalationTarget:
    """Parse the data form of an escalation target."""
    if isinstance(data, TARGET_TYPES):
        return typing.cast(EscalationTarget, data)
    key, value = _single_key(data, _TARGET_FORMS)
    if key == "manager_of_approver":
        return ManagerOfApprover(_whole(key, value))
    if key == "user":
        return User(_text(key, value))
    raise ValidationError(f"unknown escalation target {key!r}; expected one of {_TARGET_FORMS}")


def approver_to_data(approver: Approver | ManagerOfApprover) -> dict[str, Any]:
    """The data form of an approver or escalation target."""
    if isinstance(approver, Role):
        return {"role": approver.name}
    if isinstance(approver, User):
        return {"user": approver.id}
    if isinstance(approver, ManagerOf):
        return {"manager_of": approver.levels}
    if isinstance(approver, FieldUser):
        return {"field_user": approver.attribute}
    return {"manager_of_approver": approver.levels}


def members(t: object) -> set[object]:
    """The types of a union (empty for any other type)."""
    return set(typing.get_args(t)) if typing.get_origin(t) in (typing.Union, _UnionType) else set()


_UnionType = type(Role | User)
