"""Opportunity use cases: create, advance (through an approval where the stage asks), revise,
win, lose, reopen, invalidate."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from crmcore import UNCHANGED
from crmcore._aggregate import Unchanged
from crmcore.errors import InvalidTransition
from crmcore.forecast import ForecastCategory, Opportunity
from crmcore.money import Money, Percent
from crmcore.ports import Actor
from crmcore.serialization import converter
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._change import change_one
from crmcore.services._records import ApprovalLink, LinkStatus
from crmcore.workflow import ApprovalInstance, ApprovalStatus

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["AdvanceResult", "OpportunityService"]

#: The approval_ref a dry run passes, to validate everything but the approval itself.
_DRY_RUN = "(checking)"


@attrs.frozen
class AdvanceResult:
    """What an advance did: moved (``advanced``) and/or opened an approval request."""

    opportunity_id: str
    stage: str
    advanced: bool
    approval_id: str | None = None


@typed_boundary
class OpportunityService:
    """The opportunity use cases; each takes the acting user first and is one unit of work."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    def create(
        self,
        actor: Actor | str,
        amount: Money,
        *,
        owner_id: str | None = None,
        stage: str | None = None,
        department: str | None = None,
        expected_close: date | None = None,
        fields: Mapping[str, Any] | None = None,
        process_id: str | None = None,
        record_type: str | None = None,
        product_line: str | None = None,
    ) -> Opportunity:
        """Open a deal directly (not from a lead) in the sales process ``process_id``, else
        the one the configured ``process_rules`` choose for its department, ``record_type``
        and ``product_line``, else the default one; the owner defaults to the actor."""

        def work(case: UseCase) -> Opportunity:
            deal_owner = owner_id or case.actor.user_id
            dept = case.department_of(deal_owner, department)
            case.create_for("opportunity", deal_owner, dept)
            process = self._crm.config.select_sales_process(
                process_id, department=dept, record_type=record_type, product_line=product_line
            )
            opportunity = Opportunity.open(
                case.new_id("opportunity"),
                process,
                amount=amount,
                owner_id=deal_owner,
                actor=case.actor,
                at=case.at,
                stage=stage,
                department=dept,
                expected_close=expected_close,
                fields=fields,
            )
            case.repo(Opportunity).add(opportunity)
            return opportunity

        return self._crm.run(actor, "opportunity.create", work)

    def advance(
        self,
        actor: Actor | str,
        opportunity_id: str,
        to: str,
        feedback: Mapping[str, Any] | None = None,
    ) -> AdvanceResult:
        """Move the deal to stage ``to``. When that stage needs approval, an approval request
        starts instead and the deal moves once it is approved (immediately if the process's
        entry condition says no approval is needed). ``feedback`` must be plain JSON data
        when it has to wait for an approval."""

        def work(case: UseCase) -> AdvanceResult:
            opportunity = case.opportunity(opportunity_id)
            actor = case.actor
            process = opportunity.process
            target = process.stage(to)
            forward = process.position(to) > process.position(opportunity.stage)
            if target.approval_process_id is None or not forward:
                opportunity.advance(actor, to, at=case.at, feedback=feedback)
                case.repo(Opportunity).save(opportunity)
                return AdvanceResult(opportunity.id, opportunity.stage, True)
            # Everything but the approval is checked first, on a copy: nothing starts in vain.
            copy.deepcopy(opportunity).advance(
                actor, to, at=case.at, feedback=feedback, approval_ref=_DRY_RUN
            )
            links = case.repo(ApprovalLink)
            if links.find(subject_id=opportunity.id, status=LinkStatus.WAITING):
                raise InvalidTransition(
                    f"opportunity {opportunity.id}: a stage change is already waiting for approval"
                )
            instance = ApprovalInstance.start(
                self._crm.config.approvals.latest(target.approval_process_id),
                opportunity,
                actor,
                self._crm.directory,
                at=case.at,
                instance_id=case.new_id("approval"),
            )
            case.repo(ApprovalInstance).add(instance)
            if instance.status is ApprovalStatus.APPROVED:  # the entry condition was false
                opportunity.advance(
                    actor, to, at=case.at, feedback=feedback, approval_ref=instance.id
                )
                case.repo(Opportunity).save(opportunity)
                return AdvanceResult(opportunity.id, opportunity.stage, True, instance.id)
            links.add(
                ApprovalLink(
                    instance.id,
                    "opportunity",
                    opportunity.id,
                    "advance",
                    actor.user_id,
                    case.at,
                    {"to": to, "feedback": converter.unstructure(dict(feedback or {}))},
                )
            )
            return AdvanceResult(opportunity.id, opportunity.stage, False, instance.id)

        return self._crm.run(actor, "opportunity.advance", work)

    def win(
        self, actor: Actor | str, opportunity_id: str, feedback: Mapping[str, Any] | None = None
    ) -> Opportunity:
        """Close the deal as won."""

        return self._change(
            actor,
            "opportunity.win",
            opportunity_id,
            lambda opportunity, case: opportunity.win(case.actor, at=case.at, feedback=feedback),
        )

    def invalidate(self, actor: Actor | str, opportunity_id: str, reason: str) -> Opportunity:
        """Declare the deal invalid (a duplicate, spam), with the reason: it leaves every
        forecast."""

        return self._change(
            actor,
            "opportunity.invalidate",
            opportunity_id,
            lambda opportunity, case: opportunity.invalidate(
                case.actor, at=case.at, reason=reason
            ),
        )

    def revise(
        self,
        actor: Actor | str,
        opportunity_id: str,
        *,
        amount: Money | Unchanged = UNCHANGED,
        expected_close: date | Unchanged | None = UNCHANGED,
        probability_override: Percent | Unchanged | None = UNCHANGED,
        category: ForecastCategory | Unchanged | None = UNCHANGED,
    ) -> Opportunity:
        """Revise an open deal's amount, expected close date, probability or forecast
        category (None clears an override); what is not given stays as it is."""

        return self._change(
            actor,
            "opportunity.revise",
            opportunity_id,
            lambda opportunity, case: opportunity.revise(
                case.actor,
                at=case.at,
                amount=amount,
                expected_close=expected_close,
                probability_override=probability_override,
                category=category,
            ),
        )

    def reopen(self, actor: Actor | str, opportunity_id: str, reason: str) -> Opportunity:
        """Bring a lost deal back, open in the stage it was lost from, with the reason."""

        return self._change(
            actor,
            "opportunity.reopen",
            opportunity_id,
            lambda opportunity, case: opportunity.reopen(case.actor, at=case.at, reason=reason),
        )

    def lose(self, actor: Actor | str, opportunity_id: str, reason: str) -> Opportunity:
        """Close the deal as lost, with the reason (one of the process's ``lost_reasons``
        when it lists them)."""

        return self._change(
            actor,
            "opportunity.lose",
            opportunity_id,
            lambda opportunity, case: opportunity.lose(case.actor, at=case.at, reason=reason),
        )

    def _change(
        self,
        actor: Actor | str,
        action: str,
        opportunity_id: str,
        change: Callable[[Opportunity, UseCase], None],
    ) -> Opportunity:
        """Load the deal, change it, save it; the deal as it is now."""

        def changed(opportunity: Opportunity, case: UseCase) -> Opportunity:
            change(opportunity, case)
            return opportunity

        return change_one(
            self._crm, actor, action, lambda case: case.opportunity(opportunity_id), changed
        )
