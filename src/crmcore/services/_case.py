"""What a running use case works with, and the extension points of the application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from crmcore.errors import CrmError, PermissionDenied, ValidationError
from crmcore.ports import Actor, Aggregate, Repository, UnitOfWork
from crmcore.services._records import ApprovalLink
from crmcore.workflow import ApprovalInstance

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["ApprovalSubject", "OwnerLookup", "UseCase"]

A = TypeVar("A", bound=Aggregate)

#: Reads the owner of one subject (kind → lookup) through an open unit of work.
OwnerLookup = Callable[[UnitOfWork, str], "str | None"]


@attrs.define
class UseCase:
    """What a running use case works with: the app, its unit of work, the actor, the time."""

    crm: Crm
    uow: UnitOfWork
    actor: Actor
    at: datetime
    checked: list[str] = attrs.field(factory=list)

    def require(self, action: str) -> None:
        """Check the access policy for ``action`` (PermissionDenied names it and the roles)."""
        self.crm.config.access.check(self.actor, action)
        self.checked.append(action)

    def require_owner(self, owner_id: str, subject: str) -> None:
        """Refuse unless the actor owns ``subject``, manages its owner, or is an admin.

        Roles say *what* a salesperson may do; ownership says *to which records*: one
        salesperson does not edit, submit or close a colleague's order or deal (Salesforce's
        default record access). The owner's managers, up the chain, and admins may.
        """
        actor = self.actor
        if actor.user_id == owner_id or actor.has_role(*self.crm.config.admin_roles):
            return
        for levels in range(1, 8):
            try:
                manager = self.crm.directory.manager_of(owner_id, levels)
            except CrmError:
                break
            if manager is None:
                break
            if manager.id == actor.user_id:
                return
        raise PermissionDenied(
            f"{actor.user_id} may not change {subject}: it belongs to {owner_id} (only the "
            "owner, the owner's managers or an admin may)"
        )

    def day(self, as_of: object, what: str = "as_of", *, required: bool = False) -> date:
        """``as_of`` when it is a date, today (the clock's) when None and not ``required``;
        anything else is a ValidationError naming ``what``."""
        if as_of is None and not required:
            return self.at.date()
        if isinstance(as_of, datetime) or not isinstance(as_of, date):
            raise ValidationError(f"{what}: expected a date, got {as_of!r}")
        return as_of

    def department_of(self, user_id: str, given: str | None = None) -> str | None:
        """``given``, else the department the Directory has for ``user_id``."""
        return given if given is not None else self.crm.directory.user(user_id).department

    def repo(self, cls: type[A]) -> Repository[A]:
        """The repository of one aggregate class in this unit of work."""
        return self.uow.repository(cls)

    def new_id(self, kind: str) -> str:
        """A fresh id from the IdGenerator port."""
        return self.crm.ids.new_id(kind)


class ApprovalSubject(Protocol):
    """How approvals of one subject kind finish: make (or drop) the change that waited.

    Register one per kind in ``Crm.subjects`` (``"opportunity"`` is built in; orders add
    ``"order"``). ``decided`` runs inside the approving use case's unit of work, after the
    request was decided; it saves what it changes and returns the link's outcome text, or
    raises a ``CrmError`` when the change can no longer be made (the link is then dropped).
    """

    def decided(self, case: UseCase, instance: ApprovalInstance, link: ApprovalLink) -> str: ...
