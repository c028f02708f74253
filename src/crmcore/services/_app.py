"""The application object: ports + configuration, and the one way every use case runs.

A use case is a function of a [`UseCase`][crmcore.services.UseCase] (the open unit of work, the
actor, the time).
[`Crm.run`][crmcore.services.Crm.run] checks the actor's permission, runs it in ONE unit of work,
commits once
and only then delivers the outbox to the Notifier: refused or rolled-back work sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from crmcore.errors import ConcurrencyConflict, ConfigError, NotFound
from crmcore.events import DomainEvent
from crmcore.forecast import Opportunity
from crmcore.leads import Lead, Pool
from crmcore.orders import Order
from crmcore.ports import (
    Actor,
    Clock,
    Directory,
    IdGenerator,
    Notifier,
    Storage,
    UnitOfWork,
)
from crmcore.receivables import Receivable
from crmcore.services._accounts import AccountService
from crmcore.services._approvals import ApprovalService, OpportunityAdvance
from crmcore.services._case import ApprovalSubject, OwnerLookup, UseCase
from crmcore.services._config import CrmConfig
from crmcore.services._identity import resolve_actor
from crmcore.services._leads import LeadService
from crmcore.services._notifications import deliver_outbox, owner_from_event
from crmcore.services._opportunities import OpportunityService
from crmcore.services._orders import OrderApproval, OrderService
from crmcore.services._queries import Queries
from crmcore.services._receivables import ReceivableService
from crmcore.services._visits import VisitService

__all__ = ["Crm"]

T = TypeVar("T")

_log = logging.getLogger("crmcore.services")


def _lead_owner(uow: UnitOfWork, id: str) -> str | None:
    return uow.repository(Lead).get(id).owner_id


def _opportunity_owner(uow: UnitOfWork, id: str) -> str | None:
    return uow.repository(Opportunity).get(id).owner_id


def _order_owner(uow: UnitOfWork, id: str) -> str | None:
    return uow.repository(Order).get(id).owner_id


def _receivable_owner(uow: UnitOfWork, id: str) -> str | None:
    return uow.repository(Receivable).get(id).owner_id


class Crm:
    """One crmcore application: ports, configuration, and the use-case groups.

    ``crm.leads``, ``crm.opportunities``, ``crm.approvals``, ``crm.receivables``, ``crm.accounts``,
    ``crm.orders`` hold the
    use cases (each ``(actor, ...)``); ``crm.queries`` the screens' read models.
    """

    def __init__(
        self,
        storage: Storage,
        directory: Directory,
        notifier: Notifier,
        clock: Clock,
        ids: IdGenerator,
        config: CrmConfig,
    ) -> None:
        self.storage = storage
        self.directory = directory
        self.notifier = notifier
        self.clock = clock
        self.ids = ids
        self.config = config
        #: Subject kind → how a decided approval request finishes (orders register "order").
        self.subjects: dict[str, ApprovalSubject] = {
            "opportunity": OpportunityAdvance(),
            "order": OrderApproval(),
        }
        #: Subject kind → how to find the owner of an event whose type carries none.
        self.owners: dict[str, OwnerLookup] = {
            "lead": _lead_owner,
            "opportunity": _opportunity_owner,
            "receivable": _receivable_owner,
            "order": _order_owner,
        }
        self.leads = LeadService(self)
        self.opportunities = OpportunityService(self)
        self.approvals = ApprovalService(self)
        self.receivables = ReceivableService(self)
        self.accounts = AccountService(self)
        self.orders = OrderService(self)
        self.visits = VisitService(self)
        self.queries = Queries(self)

    # -- running use cases ----------------------------------------------------------------
    def run(
        self,
        actor: Actor | str,
        action: str | None,
        work: Callable[[UseCase], T],
        *,
        retries: int = 0,
    ) -> T:
        """Run ``work`` as one use case and deliver its notifications after the commit.

        ``actor`` (a user id, or an Actor whose roles are only a request) is resolved
        through the Directory inside the unit of work: unknown and inactive users are refused.
        ``action`` is checked against the access policy before anything is loaded; pass None
        when the action depends on what is loaded and ``work`` calls ``case.require``.
        ``retries`` re-runs the whole unit of work on ConcurrencyConflict (only where a
        retry is safe, such as recording an independent payment). Once the commit succeeded
        the result is returned whatever the Notifier does: a failing Notifier is logged
        (logger ``crmcore.services``) and its events wait in the outbox
        (``crm.queries.undelivered``) for ``crm.deliver()`` or the next use case.
        """
        for attempt in range(retries + 1):
            with self.storage.unit_of_work() as uow:
                case = self._case(uow, actor)
                if action is not None:
                    case.require(action)
                result = work(case)
                if not case.checked:
                    raise ConfigError("a use case ran without checking the access policy")
                try:
                    uow.commit()
                except ConcurrencyConflict:
                    if attempt == retries:
                        raise
                    continue
            self._deliver_after_commit()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def read(self, actor: Actor | str, action: str | None, work: Callable[[UseCase], T]) -> T:
        """Run a query: a unit of work that is never committed (nothing changes, nothing sent)."""
        with self.storage.unit_of_work() as uow:
            case = self._case(uow, actor)
            if action is not None:
                case.require(action)
            return work(case)

    def _case(self, uow: UnitOfWork, actor: Actor | str) -> UseCase:
        """The use case of ``actor`` as the Directory knows them, in ``uow``."""
        acting = resolve_actor(self.directory, actor)
        return UseCase(self, uow, acting.actor, self.clock.now(), user=acting.user)

    def _deliver_after_commit(self) -> None:
        """Deliver the outbox; a failure is logged, never raised: the commit stands."""
        try:
            self.deliver()
        except Exception as error:  # whatever the notifier raises: the commit stands
            _log.warning(
                "notifications not delivered (%s: %s); the committed events wait in the "
                "outbox for crm.deliver()",
                type(error).__name__,
                error,
                exc_info=True,
            )

    def deliver(self) -> int:
        """Send the notifications of every committed, undelivered event; the number sent.

        Call it to redeliver what a failing Notifier left in the outbox (every use case
        also tries after its commit); a Notifier error propagates from here."""
        with self.storage.unit_of_work() as uow:
            cache: dict[tuple[str, str], str | None] = {}

            def owner_of(event: DomainEvent) -> str | None:
                owner = owner_from_event(event)
                if owner is not None:
                    return owner
                key = (event.subject_kind, event.subject_id)
                if key not in cache:
                    lookup = self.owners.get(event.subject_kind)
                    try:
                        cache[key] = None if lookup is None else lookup(uow, event.subject_id)
                    except NotFound:
                        cache[key] = None
                return cache[key]

            return deliver_outbox(
                self.storage,
                self.config.routes,
                self.directory,
                self.notifier,
                self.clock.now(),
                owner_of,
            )

    # -- shared helpers -------------------------------------------------------------------
    def pool(self, case: UseCase, pool_id: str) -> Pool:
        """The stored pool; a configured pool not stored yet is created from its configuration."""
        pools = case.repo(Pool)
        try:
            pool = pools.get(pool_id)
        except NotFound:
            pool = Pool.from_config(self.config.pool(pool_id))
            pools.add(pool)
            return pool
        pool.admin_roles = self.config.admin_roles  # the one role vocabulary
        return pool
