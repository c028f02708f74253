"""Lead use cases: create, route, assign, claim, return, recycle, follow up, convert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from crmcore.errors import (
    ConfigError,
    CrmError,
    InvariantViolation,
    PermissionDenied,
    ValidationError,
)
from crmcore.forecast import Opportunity
from crmcore.leads import (
    AssignmentResult,
    ConversionRequest,
    ConversionResult,
    Lead,
    LeadStatus,
    LeadTodo,
    OpportunityDraft,
    Pool,
    RecycleDue,
    lead_todo,
)
from crmcore.ports import Actor
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._handover import HandoverReport, HandoverRule, HandoverRun, remaining

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["LeadService"]

#: The statuses of a lead someone still works on (``Lead.is_open``).
_OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)


def _lead(case: UseCase, lead_id: str) -> Lead:
    return case.repo(Lead).get(lead_id)


def _pooled(case: UseCase, lead: Lead) -> Any:
    if lead.pool_id is None:
        raise InvariantViolation(f"lead {lead.id}: it is in no pool yet; route it first")
    return case.crm.pool(case, lead.pool_id)


def _writable(case: UseCase, lead: Lead, pool: Pool | None) -> None:
    """The one record-access rule, for writing ``lead``: its owner, the owner's managers up
    the chain (and department heads when configured), the roles granted every lead (admins)
    — and, as documented for pools, the admins of the lead's pool. PermissionDenied names
    the lead, its owner and who may."""
    if pool is not None and pool.is_admin(case.actor):
        return
    try:
        case.reach("lead", lead, "write")
    except PermissionDenied as refused:
        if pool is None:
            raise
        raise PermissionDenied(f"{refused}; the admins of pool {pool.id} may too") from None


@typed_boundary
class LeadService:
    """The lead use cases; each takes the acting user first and is one unit of work."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    def create(
        self,
        actor: Actor | str,
        name: str,
        *,
        source: str,
        route: bool = True,
        company: str = "",
        email: str = "",
        phone: str = "",
        campaign_id: str | None = None,
        industry: str | None = None,
        region: str | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Lead:
        """Capture a lead (and, with ``route``, send it to its pool in the same transaction,
        where a pool with ``auto_assign`` hands it to a member at once)."""

        def work(case: UseCase) -> Lead:
            lead = Lead.capture(
                case.new_id("lead"),
                name,
                source=source,
                actor=case.actor,
                at=case.at,
                company=company,
                email=email,
                phone=phone,
                campaign_id=campaign_id,
                industry=industry,
                region=region,
                custom=custom,
            )
            if route:
                self._route(case, lead)
            case.repo(Lead).add(lead)
            return lead

        return self._crm.run(actor, "lead.create", work)

    def route(self, actor: Actor | str, lead_id: str) -> str:
        """Send a captured lead to the pool the router picks (assigned at once when the pool
        says ``auto_assign``); returns the pool's id."""

        def work(case: UseCase) -> str:
            lead = _lead(case, lead_id)
            pool_id = self._route(case, lead)
            case.repo(Lead).save(lead)
            return pool_id

        return self._crm.run(actor, "lead.route", work)

    def _route(self, case: UseCase, lead: Lead) -> str:
        config = self._crm.config
        if config.router is not None:
            routed = config.router.route(lead)
            pool_id, rule = routed.pool_id, routed.rule
        elif config.pools:
            pool_id, rule = config.pools[0].id, None
        else:
            raise ConfigError("pools: no pool is configured to route leads to")
        pool = self._crm.pool(case, pool_id)
        pool.admit(case.actor, [lead], at=case.at, rule=rule)
        if pool.auto_assign:
            pool.assign_automatically(case.actor, [lead], at=case.at)
        case.repo(type(pool)).save(pool)
        return pool_id

    def assign(
        self, actor: Actor | str, lead_id: str, member_id: str | None = None
    ) -> AssignmentResult:
        """A pool admin hands the lead to ``member_id``, or to whom the pool's policy picks."""

        def work(case: UseCase) -> AssignmentResult:
            lead = _lead(case, lead_id)
            pool = _pooled(case, lead)
            if member_id is None:
                result: AssignmentResult = pool.distribute(case.actor, [lead], at=case.at)
            else:
                result = pool.assign_to(case.actor, [lead], member_id, at=case.at)
            case.repo(type(pool)).save(pool)
            case.repo(Lead).save(lead)
            return result

        return self._crm.run(actor, "lead.assign", work)

    def claim(self, actor: Actor | str, lead_id: str) -> AssignmentResult:
        """A pool member takes a waiting lead for themself, within the claim limits (the
        configured global holding limit counts the leads they hold in every pool)."""

        def work(case: UseCase) -> AssignmentResult:
            lead = _lead(case, lead_id)
            pool = _pooled(case, lead)
            limits = self._crm.config.claim_limits
            elsewhere = claimed_elsewhere = 0
            if limits is not None and limits.max_held is not None:
                # Only the open statuses, through the index: a long career of converted
                # leads costs nothing here.
                leads = case.repo(Lead)
                elsewhere = sum(
                    1
                    for status in _OPEN_STATUSES
                    for held in leads.find(owner_id=case.actor.user_id, status=status)
                    if held.pool_id != pool.id
                )
            if limits is not None and limits.max_per_day is not None:
                today = case.at.date()
                for other in self._crm.config.pools:
                    if other.id != pool.id:
                        book = self._crm.pool(case, other.id).state.books.get(case.actor.user_id)
                        claimed_elsewhere += 0 if book is None else book.claims_that_day(today)
            result: AssignmentResult = pool.claim(
                case.actor,
                [lead],
                at=case.at,
                global_limits=limits,
                held_elsewhere=elsewhere,
                claimed_elsewhere_today=claimed_elsewhere,
            )
            case.repo(type(pool)).save(pool)
            case.repo(Lead).save(lead)
            return result

        return self._crm.run(actor, "lead.claim", work)

    def return_lead(self, actor: Actor | str, lead_id: str, reason: str, note: str = "") -> None:
        """Give the lead back to its pool, with a reason: whoever may write it (the owner,
        their managers, the granted roles, the pool's admins)."""

        def work(case: UseCase) -> None:
            lead = _lead(case, lead_id)
            pool = _pooled(case, lead)
            _writable(case, lead, pool)
            pool.return_lead(
                case.actor, lead, at=case.at, reason=reason, note=note, access_checked=True
            )
            case.repo(type(pool)).save(pool)
            case.repo(Lead).save(lead)

        self._crm.run(actor, "lead.return", work)

    def recycle(
        self, actor: Actor | str, pool_id: str, as_of: date | None = None
    ) -> list[RecycleDue]:
        """Take back every lead of the pool whose protection ran out (as of today by default)."""

        def work(case: UseCase) -> list[RecycleDue]:
            pool = self._crm.pool(case, pool_id)
            leads = case.repo(Lead)
            held = [
                lead
                for status in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
                for lead in leads.find(pool_id=pool_id, status=status)
            ]
            day = case.day(as_of)
            due: list[RecycleDue] = pool.recycle(case.actor, held, day, at=case.at)
            recycled = {item.lead_id for item in due}
            for lead in held:
                if lead.id in recycled:
                    leads.save(lead)
            case.repo(type(pool)).save(pool)
            return due

        return self._crm.run(actor, "lead.recycle", work)

    def follow_up(
        self,
        actor: Actor | str,
        lead_id: str,
        note: str = "",
        *,
        channel: str | None = None,
        outcome: str = "",
        next_contact_on: date | None = None,
    ) -> None:
        """Record a contact with the prospect over one of the pool's channels: the owner
        (which extends the lead's protection) or whoever else may write the lead (their
        manager on a joint visit); ``next_contact_on`` puts the next one on the to-do."""

        def work(case: UseCase) -> None:
            lead = _lead(case, lead_id)
            details: dict[str, Any] = {
                "channel": channel,
                "outcome": outcome,
                "next_contact_on": next_contact_on,
                "access_checked": True,
            }
            if lead.pool_id is None:
                _writable(case, lead, None)
                lead.follow_up(case.actor, at=case.at, note=note, **details)
            else:
                pool = _pooled(case, lead)
                _writable(case, lead, pool)
                pool.follow_up(case.actor, lead, at=case.at, note=note, **details)
            case.repo(Lead).save(lead)

        self._crm.run(actor, "lead.follow_up", work)

    def hand_over(
        self,
        actor: Actor | str,
        member_id: str,
        *,
        reason: str,
        to: str | None = None,
        redistribute: bool = True,
        opportunities_to: str | None = None,
        leaving: bool = True,
        assignments: Mapping[str, str] | None = None,
        batch_size: int | None = None,
        max_batches: int | None = None,
    ) -> HandoverReport:
        """Hand over everything open ``member_id`` holds, when they leave (``leaving``:
        removed from every pool) or are away (set inactive in their pools).

        ``assignments`` (record id → colleague) names the receiver of single records —
        leads, opportunities, orders, receivables, approval requests. The others follow the
        rule: their open leads go to the colleague ``to``, else to whom each pool's policy
        picks (``redistribute``; what nobody has room for waits in the pool), else back to
        their pools to wait; their open opportunities, open orders, receivables still to
        collect and open approval tasks go to ``opportunities_to``, else ``to``, else their
        manager. Every record keeps its history (who held it, until when, who handed it
        over and why) and each receiver is notified. The actor must be an admin of each pool
        concerned and may write the receivers' records.

        Without ``batch_size`` it is one unit of work. With it, the records move
        ``batch_size`` at a time (leads first, by pool and id, then deals, orders,
        receivables, approval requests), each batch its own unit of work, at most
        ``max_batches`` of them; what a batch moved stays moved when a later one fails, and
        calling again with the same arguments continues with what the member still holds.
        The report sums the committed batches and says how many records remain.
        """
        for name, value in (("batch_size", batch_size), ("max_batches", max_batches)):
            if value is not None and value < 1:
                raise ValidationError(f"hand_over: {name} must be at least 1, got {value}")
        rule = HandoverRule(to, redistribute, opportunities_to, leaving, dict(assignments or {}))
        run = HandoverRun(member_id, reason, rule, batch_size)
        report = self._crm.run(actor, "lead.hand_over", run.batch)
        if batch_size is None:
            return report
        while report.remaining and report.batches != max_batches:
            try:
                report = report.then(self._crm.run(actor, "lead.hand_over", run.batch))
            except CrmError as error:
                error.add_note(
                    f"hand_over {member_id}: {report.batches} batches committed before this "
                    f"one ({report.moved} records moved); call hand_over again to continue"
                )
                raise
        # what the member holds now (records they got while the batches ran count too)
        left = self._crm.read(actor, "lead.hand_over", lambda case: remaining(case, member_id))
        return attrs.evolve(report, remaining=left)

    def todo(
        self, actor: Actor | str, *, as_of: date | None = None, warn_days: int = 3
    ) -> list[LeadTodo]:
        """The acting salesperson's lead to-do: follow-ups due and leads about to be recycled
        (with the days left), as of today by default."""

        def work(case: UseCase) -> list[LeadTodo]:
            held = [
                lead
                for status in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
                for lead in case.repo(Lead).find(owner_id=case.actor.user_id, status=status)
            ]
            rules = {
                pool_id: self._crm.pool(case, pool_id).recycle_rules
                for pool_id in sorted({lead.pool_id for lead in held if lead.pool_id})
            }
            return lead_todo(held, case.day(as_of), rules, warn_days=warn_days)

        return self._crm.read(actor, None, work)

    def convert(
        self,
        actor: Actor | str,
        lead_id: str,
        *,
        customer_id: str,
        contact_id: str,
        opportunity: OpportunityDraft | None = None,
        existing_customer: bool = False,
        department: str | None = None,
    ) -> ConversionResult:
        """Convert the lead once (whoever may write it, as for ``return_lead``); with
        ``opportunity`` the Opportunity is opened in the sales process in the same
        transaction (owner: the draft's, else the lead's owner)."""

        def work(case: UseCase) -> ConversionResult:
            lead = _lead(case, lead_id)
            pool = _pooled(case, lead)
            owner = lead.owner_id
            request = ConversionRequest(
                customer_id,
                contact_id,
                existing_customer=existing_customer,
                opportunity=opportunity,
            )
            _writable(case, lead, pool)
            result: ConversionResult = pool.convert(
                case.actor, lead, request, at=case.at, access_checked=True
            )
            if opportunity is not None:
                opportunity_owner = opportunity.owner_id or owner or case.actor.user_id
                if opportunity_owner not in (owner, case.actor.user_id):
                    case.create_for("opportunity", opportunity_owner, department)
                dept = department or _department(self._crm, opportunity_owner)
                process = self._crm.config.select_sales_process(
                    opportunity.process_id,
                    department=dept,
                    record_type=opportunity.record_type,
                    product_line=opportunity.product_line,
                )
                case.repo(Opportunity).add(
                    Opportunity.open(
                        opportunity.id,
                        process,
                        amount=opportunity.amount,
                        owner_id=opportunity_owner,
                        actor=case.actor,
                        at=case.at,
                        department=dept,
                        expected_close=opportunity.expected_close,
                        lead_id=lead.id,
                    )
                )
            case.repo(type(pool)).save(pool)
            case.repo(Lead).save(lead)
            return result

        return self._crm.run(actor, "lead.convert", work)


def _department(crm: Crm, user_id: str) -> str | None:
    """The user's department from the Directory (None when unknown)."""
    try:
        return crm.directory.user(user_id).department
    except KeyError:  # NotFound: a user the directory does not know
        return None
