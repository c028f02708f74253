"""The read side: get and list orders, receivables, leads, opportunities and approvals, with
filters and paging; the aging, the collections forecast, DSO, late payers and the sales
forecast over what the user may see.

Every query runs under the one record-access rule (``CrmConfig.record_access``, read mode):
a user sees the records they own, their team's, and every record of the kinds a grant gives
their roles. A record the user may not read is reported as not found, so its existence does
not leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from crmcore._numbers import show
from crmcore.errors import NotFound, ValidationError
from crmcore.forecast import ForecastTable, Opportunity, weighted_forecast
from crmcore.leads import Lead, Pool
from crmcore.orders import Order
from crmcore.ports import Actor, Aggregate
from crmcore.receivables import (
    AgingReport,
    CashForecast,
    CustomerAccount,
    DsoReport,
    LatePayer,
    Receivable,
    aging,
    collections_forecast,
    days_sales_outstanding,
    late_payers,
)
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._record_access import RecordRef
from crmcore.workflow import ApprovalInstance

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["MAX_PAGE", "Page", "Period", "RecordQueries"]

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)
#: The most records one page returns.
MAX_PAGE = 500


@attrs.frozen
class Period:
    """Days from ``start`` up to and including ``end`` (either may be open)."""

    start: date | None = None
    end: date | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or hasattr(value, "hour")):
                raise ValidationError(f"period.{name}: expected a date, got {show(value, 200)}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValidationError(f"period: end {self.end} is before start {self.start}")

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: ``items`` from ``offset``, and ``total`` matching records."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether records follow this page."""
        return self.offset + len(self.items) < self.total


def _checked_paging(offset: object, limit: object) -> tuple[int, int]:
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValidationError(f"offset: expected a whole number >= 0, got {offset!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise ValidationError(
            f"limit: expected a whole number from 1 to {MAX_PAGE}, got {limit!r}"
        )
    return offset, limit


def _order_day(order: Order) -> date | None:
    history = order.history
    return history[0].occurred_at.date() if history else None


@typed_boundary
class RecordQueries:
    """Get and list queries over every record kind; mixed into ``crm.queries``."""

    _crm: Crm

    def _get(
        self,
        actor: Actor,
        action: str,
        cls: type[A],
        record_id: str,
        kind: str,
        reader: Reader[A] | None = None,
    ) -> A:
        def work(case: UseCase) -> A:
            record = case.repo(cls).get(record_id)
            sees = _record_reader(kind) if reader is None else reader
            if not sees(case)(record):
                raise NotFound(f"no {kind} {record_id!r} that {actor.user_id} may see")
            return record

        return self._crm.read(actor, action, work)

    def _list(
        self,
        actor: Actor,
        action: str,
        cls: type[A],
        kind: str,
        indexed: Mapping[str, object],
        period: Period | None,
        day_of: Callable[[A], date | None],
        offset: int,
        limit: int,
        keep: Callable[[A], bool] = lambda record: True,
        reader: Reader[A] | None = None,
    ) -> Page[A]:
        offset, limit = _checked_paging(offset, limit)
        if period is not None and not isinstance(period, Period):
            raise ValidationError(f"period: expected a Period, got {period!r}")

        def work(case: UseCase) -> Page[A]:
            filters = {k: v for k, v in indexed.items() if v is not None}
            sees = (_record_reader(kind) if reader is None else reader)(case)
            found = [
                record
                for record in case.repo(cls).find(**filters)
                if sees(record) and (period is None or day_of(record) in period) and keep(record)
            ]
            found.sort(key=lambda record: record.id)
            return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

        return self._crm.read(actor, action, work)

    # -- orders ---------------------------------------------------------------------------
    def get_order(self, actor: Actor, order_id: str) -> Order:
        """One order the actor may see; NotFound otherwise."""
        return self._get(actor, "order.view", Order, order_id, "order")

    def list_orders(
        self,
        actor: Actor,
        *,
        owner_id: str | None = None,
        customer: str | None = None,
        status: Any = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[Order]:
        """Orders by id, filtered by owner, customer, status and the day they were drafted."""
        indexed = {"owner_id": owner_id, "customer_id": customer, "status": status}
        return self._list(
            actor, "order.view", Order, "order", indexed, period, _order_day, offset, limit
        )

    # -- receivables ----------------------------------------------------------------------
    def get_receivable(self, actor: Actor, receivable_id: str) -> Receivable:
        """One receivable the actor may see; NotFound otherwise."""
        return self._get(actor, "receivable.view", Receivable, receivable_id, "receivable")

    def list_receivables(
        self,
        actor: Actor,
        *,
        owner_id: str | None = None,
        customer: str | None = None,
        unpaid: bool | None = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[Receivable]:
        """Receivables by id, filtered by owner, customer, unpaid or not, and issue date."""
        indexed = {"owner": owner_id, "customer": customer, "has_unpaid": unpaid}
        return self._list(
            actor,
            "receivable.view",
            Receivable,
            "receivable",
            indexed,
            period,
            lambda r: r.issue_date,
            offset,
            limit,
        )

    def aging(
        self,
        actor: Actor,
        as_of: date | None = None,
        *,
        group_by: str = "owner",
        customer: str | None = None,
    ) -> AgingReport:
        """The aging of the receivables the actor may see (their own, their team's, or all)."""

        def work(case: UseCase) -> AgingReport:
            day = case.day(as_of)
            return aging(self._visible_receivables(case, customer), day, group_by=group_by)

        return self._crm.read(actor, "receivable.view", work)

    # -- customer accounts ----------------------------------------------------------------
    def get_account(self, actor: Actor, account_id: str) -> CustomerAccount:
        """One customer account the actor may see (``ACC-<customer>-<currency>``)."""
        return self._get(actor, "account.view", CustomerAccount, account_id, "customer_account")

    def list_accounts(
        self,
        actor: Actor,
        *,
        customer: str | None = None,
        owner_id: str | None = None,
        awaiting_confirmation: bool | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[CustomerAccount]:
        """Customer accounts by id, filtered by customer, owner, or whether something on
        them waits for finance (finance's to-do list)."""
        indexed = {
            "customer": customer,
            "owner_id": owner_id,
            "awaiting_confirmation": awaiting_confirmation,
        }
        return self._list(
            actor,
            "account.view",
            CustomerAccount,
            "customer_account",
            indexed,
            None,
            lambda account: None,
            offset,
            limit,
        )

    def _visible_receivables(self, case: UseCase, customer: str | None) -> list[Receivable]:
        filters = {"customer": customer} if customer is not None else {}
        return [r for r in case.repo(Receivable).find(**filters) if case.may("receivable", r)]

    def collections_forecast(
        self,
        actor: Actor,
        as_of: date | None = None,
        *,
        by: str = "month",
        group: str | None = None,
        customer: str | None = None,
    ) -> CashForecast:
        """When the money of the receivables the actor may see should come in (see
        [`collections_forecast`][crmcore.receivables.collections_forecast]); each customer's
        delay is learnt from the receivables in view."""

        def work(case: UseCase) -> CashForecast:
            day = case.day(as_of)
            visible = self._visible_receivables(case, customer)
            return collections_forecast(visible, day, by=by, group=group)

        return self._crm.read(actor, "receivable.view", work)

    def days_sales_outstanding(
        self, actor: Actor, as_of: date | None = None, *, by: str = "customer"
    ) -> DsoReport:
        """DSO by count-back per customer, owner or for the company, over what the actor may
        see (see [`days_sales_outstanding`][crmcore.receivables.days_sales_outstanding])."""

        def work(case: UseCase) -> DsoReport:
            day = case.day(as_of)
            return days_sales_outstanding(self._visible_receivables(case, None), day, by=by)

        return self._crm.read(actor, "receivable.view", work)

    def late_payers(
        self, actor: Actor, as_of: date | None = None, *, min_settled: int = 3
    ) -> list[LatePayer]:
        """The customers who habitually pay late, worst first, from the receivables the actor
        may see (see [`late_payers`][crmcore.receivables.late_payers])."""

        def work(case: UseCase) -> list[LatePayer]:
            day = case.day(as_of)
            visible = self._visible_receivables(case, None)
            return late_payers(visible, day, min_settled=min_settled)

        return self._crm.read(actor, "receivable.view", work)

    # -- leads and opportunities ----------------------------------------------------------
    def get_lead(self, actor: Actor, lead_id: str) -> Lead:
        """One lead the actor may see: held by them or their team, granted by role, or
        waiting in a pool they belong to or administer (so they can claim or assign it)."""
        return self._get(actor, "lead.view", Lead, lead_id, "lead", _lead_reader)

    def list_leads(
        self,
        actor: Actor,
        *,
        owner_id: str | None = None,
        pool_id: str | None = None,
        status: Any = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[Lead]:
        """Leads by id, filtered by owner, pool, status and the day they were captured (a
        pool's members and admins see the leads waiting in it, as ``get_lead`` says)."""
        indexed = {"owner_id": owner_id, "pool_id": pool_id, "status": status}
        return self._list(
            actor,
            "lead.view",
            Lead,
            "lead",
            indexed,
            period,
            lambda lead: lead.captured_at.date() if lead.captured_at else None,
            offset,
            limit,
            reader=_lead_reader,
        )

    def get_opportunity(self, actor: Actor, opportunity_id: str) -> Opportunity:
        """One opportunity the actor may see; NotFound otherwise."""
        return self._get(actor, "opportunity.view", Opportunity, opportunity_id, "opportunity")

    def list_opportunities(
        self,
        actor: Actor,
        *,
        owner_id: str | None = None,
        status: Any = None,
        stage: str | None = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[Opportunity]:
        """Opportunities by id, by owner, status, stage and expected close date."""
        indexed = {"owner": owner_id, "status": status}
        return self._list(
            actor,
            "opportunity.view",
            Opportunity,
            "opportunity",
            indexed,
            period,
            lambda o: o.expected_close,
            offset,
            limit,
            keep=lambda o: stage is None or o.stage == stage,
        )

    def forecast(
        self, actor: Actor, by: str | Sequence[str] = "stage", *, process_id: str | None = None
    ) -> ForecastTable:
        """The weighted forecast of the opportunities the actor may see in one sales process
        (``process_id``; None: the default one): stages and probabilities are per process."""

        def work(case: UseCase) -> ForecastTable:
            process = case.crm.config.require_sales_process(process_id)
            records: Iterable[Any] = (
                o.to_record()
                for o in case.repo(Opportunity).find()
                if o.process.id == process.id and case.may("opportunity", o)
            )
            return weighted_forecast(records, process, by)

        return self._crm.read(actor, "opportunity.view", work)

    # -- approvals ------------------------------------------------------------------------
    def get_approval(self, actor: Actor, approval_id: str) -> ApprovalInstance:
        """One approval request the actor submitted, decides on, or may see by role."""

        def work(case: UseCase) -> ApprovalInstance:
            instance = case.repo(ApprovalInstance).get(approval_id)
            if not _sees_approval(case, instance):
                raise NotFound(f"no approval {approval_id!r} that {actor.user_id} may see")
            return instance

        return self._crm.read(actor, "approval.view", work)

    def list_approvals(
        self,
        actor: Actor,
        *,
        status: Any = None,
        kind: str | None = None,
        subject_id: str | None = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[ApprovalInstance]:
        """Approval requests by id, by status, subject kind and id, and day submitted."""
        offset, limit = _checked_paging(offset, limit)

        def work(case: UseCase) -> Page[ApprovalInstance]:
            filters = {"status": status, "kind": kind, "subject_id": subject_id}
            found = [
                instance
                for instance in case.repo(ApprovalInstance).find(
                    **{k: v for k, v in filters.items() if v is not None}
                )
                if _sees_approval(case, instance)
                and (period is None or instance.submitted_at.date() in period)
            ]
            found.sort(key=lambda instance: instance.id)
            return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

        return self._crm.read(actor, "approval.view", work)


#: Given a unit of work, whether the actor may read one record (built once per query, so it
#: may remember what it looked up).
Reader = Callable[[UseCase], Callable[[A], bool]]


def _record_reader(kind: str) -> Reader[Any]:
    """The one record-access rule for ``kind``."""
    return lambda case: lambda record: case.may(kind, record)


def _lead_reader(case: UseCase) -> Callable[[Lead], bool]:
    """The record-access rule, and for a lead waiting in a pool (nobody holds it) the pool's
    active members and its admins, who may claim or assign it (Odoo's team members and
    Salesforce's queue members see the records waiting for them)."""
    pools: dict[str, Pool | None] = {}

    def pool_of(pool_id: str) -> Pool | None:
        if pool_id not in pools:
            try:
                pools[pool_id] = case.repo(Pool).get(pool_id)
            except NotFound:
                pools[pool_id] = None
        return pools[pool_id]

    def sees(lead: Lead) -> bool:
        if case.may("lead", lead):
            return True
        if lead.owner_id is not None or lead.pool_id is None or not lead.is_open:
            return False
        pool = pool_of(lead.pool_id)
        if pool is None:
            return False
        member = pool.members.get(case.actor.user_id)
        return (member is not None and member.active) or pool.is_admin(case.actor)

    return sees


def _sees_approval(case: UseCase, instance: ApprovalInstance) -> bool:
    """The submitter's record (so their team and granted roles too), and each approver's."""
    ref = RecordRef("approval", instance.id, instance.submitter_id)
    if case.crm.config.record_access.allows(case.crm.directory, case.actor, ref, "read"):
        return True
    user = case.actor.user_id
    return any(user in (task.approver_id, task.original_approver_id) for task in instance.tasks)
