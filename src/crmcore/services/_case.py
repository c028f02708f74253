"""What a running use case works with, and the extension points of the application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity
from crmcore.orders import Order
from crmcore.ports import Actor, Aggregate, DirectoryUser, Repository, UnitOfWork
from crmcore.receivables import Receivable
from crmcore.services._record_access import RecordRef, record_of
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
    """What a running use case works with: the app, its unit of work, the actor, the time.

    ``actor`` is the acting user resolved through the Directory (its roles are the ones the
    Directory gives), never the caller's claim.
    """

    crm: Crm
    uow: UnitOfWork
    actor: Actor
    at: datetime
    checked: list[str] = attrs.field(factory=list)
    #: The acting user as the Directory knows them (department, manager).
    user: DirectoryUser | None = None

    def require(self, action: str) -> None:
        """Check the access policy for ``action`` (PermissionDenied names it and the roles)."""
        self.crm.config.access.check(self.actor, action)
        self.checked.append(action)

    def may(self, kind: str, record: object, mode: str = "read") -> bool:
        """True when the actor may ``mode`` (read / write) this stored record."""
        config = self.crm.config
        ref = record_of(kind, record)
        return config.record_access.allows(self.crm.directory, self.actor, ref, mode)

    def reach(self, kind: str, record: A, mode: str) -> A:
        """``record`` when the actor may ``mode`` it (the record-access rule), else
        PermissionDenied naming the record, its owner and who may."""
        ref = record_of(kind, record)
        self.crm.config.record_access.check(self.crm.directory, self.actor, ref, mode)
        return record

    def create_for(self, kind: str, owner_id: str, department: str | None) -> None:
        """Creating a record owned by ``owner_id`` is a write on their behalf: the actor
        themself, the owner's managers, or a role granted every record of the kind."""
        ref = RecordRef(kind, "(new)", owner_id, department)
        self.crm.config.record_access.check(self.crm.directory, self.actor, ref, "write")

    def order(self, order_id: str, mode: str = "write") -> Order:
        """The stored order, reached for ``mode``, with the configured order roles."""
        order = self.reach("order", self.repo(Order).get(order_id), mode)
        order.policy = self.crm.config.order_policy
        return order

    def receivable(self, receivable_id: str, mode: str | None = "write") -> Receivable:
        """The stored receivable, reached for ``mode``, with the configured roles (``mode``
        None: reached through a record already checked, such as its order)."""
        receivable = self.repo(Receivable).get(receivable_id)
        if mode is not None:
            self.reach("receivable", receivable, mode)
        receivable.policy = attrs.evolve(
            receivable.policy,
            record_roles=self.crm.config.receivable_policy.record_roles,
            finance_roles=self.crm.config.receivable_policy.finance_roles,
            return_roles=self.crm.config.receivable_policy.return_roles,
        )
        return receivable

    def opportunity(self, opportunity_id: str, mode: str = "write") -> Opportunity:
        """The stored opportunity, reached for ``mode``, with the configured sales roles."""
        opportunity = self.reach("opportunity", self.repo(Opportunity).get(opportunity_id), mode)
        config, process = self.crm.config, opportunity.process
        roles = (config.sales_roles, config.invalidate_roles or process.invalidate_roles)
        # the configured lost reasons of the deal's process (stages stay as pinned at opening)
        configured = next((p for p in config.processes if p.id == process.id), process)
        wanted = (*roles, configured.lost_reasons)
        if (process.sales_roles, process.invalidate_roles, process.lost_reasons) != wanted:
            opportunity.process = attrs.evolve(
                process,
                sales_roles=roles[0],
                invalidate_roles=roles[1],
                lost_reasons=configured.lost_reasons,
            )
        return opportunity

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
