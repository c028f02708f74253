"""The role vocabulary: when a host lists its roles, every role name in the configuration
must be one of them, so a typo (``"finanace"``) is a ConfigError naming where it is
instead of an action nobody may perform."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from crmcore.errors import ConfigError
from crmcore.services._notifications import HasRole
from crmcore.workflow import Role, Step

if TYPE_CHECKING:
    from crmcore.services._config import CrmConfig

__all__ = ["check_roles", "role_uses"]


def _step_roles(where: str, step: Step) -> Iterator[tuple[str, str]]:
    for i, approver in enumerate(step.approvers):
        if isinstance(approver, Role):
            yield f"{where}.approvers[{i}]", approver.name


def role_uses(config: CrmConfig) -> Iterator[tuple[str, str]]:
    """(where, role name) for every role the configuration names."""
    for action, roles in sorted(config.access.roles.items()):
        yield from _each(f"access.{action}", roles)
    yield from _each("admin_roles", config.admin_roles)
    yield from _each("department_head_roles", config.department_head_roles)
    for i, grant in enumerate(config.grants):
        yield from _each(f"grants[{i}].roles", grant.roles)
    for event, route in sorted(config.routes.routes.items()):
        for i, recipient in enumerate(route.recipients):
            if isinstance(recipient, HasRole):
                yield f"routes.{event}.to[{i}]", recipient.role
    for reason in config.write_offs.reasons:
        for limit in reason.limits:
            yield f"write_offs.{reason.code}", limit.role
    for process in config.approvals.published():
        for s, step in enumerate(process.steps):
            yield from _step_roles(f"approvals.{process.id}@{process.version}.steps[{s}]", step)


def _each(where: str, roles: Iterable[str]) -> Iterator[tuple[str, str]]:
    for role in sorted(roles):
        yield where, role


def check_roles(config: CrmConfig) -> None:
    """ConfigError listing every role name outside ``config.roles`` (when it is given)."""
    vocabulary = config.roles
    if vocabulary is None:
        return
    problems = []
    for where, role in role_uses(config):
        if role not in vocabulary:
            close = difflib.get_close_matches(role, sorted(vocabulary), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{where}: unknown role {role!r}{hint}")
    if problems:
        raise ConfigError(
            f"roles: {len(problems)} role name(s) are not in the vocabulary "
            f"{sorted(vocabulary)}:\n" + "\n".join(problems),
            problems,
        )
