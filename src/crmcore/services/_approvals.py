"""Approval use cases, generic over the subject's kind: approve, reject, delegate, withdraw,
tick. The action checked is ``<subject kind>.<verb>`` (``opportunity.approve``,
``order.approve``); once a request is decided, the subject kind's
[`ApprovalSubject`][crmcore.services.ApprovalSubject]
makes the change that waited for it, in the same unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from crmcore.errors import NotFound
from crmcore.events import DomainEvent
from crmcore.forecast import Opportunity
from crmcore.ports import Actor
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._records import ApprovalLink, LinkStatus
from crmcore.workflow import ApprovalInstance, ApprovalStatus

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["ApprovalService", "OpportunityAdvance"]


class OpportunityAdvance:
    """An approved stage change moves the opportunity, made by whoever decided it."""

    def decided(self, case: UseCase, instance: ApprovalInstance, link: ApprovalLink) -> str:
        if instance.status is not ApprovalStatus.APPROVED:
            return f"not advanced: request {instance.status.value}"
        opportunity = case.repo(Opportunity).get(link.subject_id)
        roles = case.crm.config.sales_roles
        opportunity.process = attrs.evolve(opportunity.process, sales_roles=roles)
        # The decider's action moves the deal, with the approval's authority: the history
        # names who acted (the approval's id says who asked), never the owner in their place.
        decider = Actor(case.actor.user_id, case.actor.roles | roles)
        to = str(link.params["to"])
        feedback: dict[str, Any] = dict(link.params.get("feedback") or {})
        opportunity.advance(decider, to, at=case.at, feedback=feedback, approval_ref=instance.id)
        case.repo(Opportunity).save(opportunity)
        return f"advanced to {to}"


@typed_boundary
class ApprovalService:
    """The approval use cases; each takes the acting user first and is one unit of work."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    def approve(self, actor: Actor | str, approval_id: str, comment: str = "") -> ApprovalInstance:
        """Approve the actor's open tasks on the request; may decide it."""
        return self._decide(
            actor,
            approval_id,
            "approve",
            lambda i, c: i.approve(
                c.actor, at=c.at, directory=self._crm.directory, comment=comment
            ),
        )

    def reject(self, actor: Actor | str, approval_id: str, comment: str) -> ApprovalInstance:
        """Reject the actor's open tasks (a comment is required); may decide the request."""
        return self._decide(
            actor,
            approval_id,
            "reject",
            lambda i, c: i.reject(
                c.actor, at=c.at, directory=self._crm.directory, comment=comment
            ),
        )

    def delegate(
        self, actor: Actor | str, approval_id: str, to_user_id: str, comment: str = ""
    ) -> ApprovalInstance:
        """Hand the actor's open tasks to another user."""
        return self._decide(
            actor,
            approval_id,
            "delegate",
            lambda i, c: i.delegate(
                c.actor, to_user_id, at=c.at, directory=self._crm.directory, comment=comment
            ),
        )

    def withdraw(
        self, actor: Actor | str, approval_id: str, comment: str = ""
    ) -> ApprovalInstance:
        """The submitter takes a pending request back; the waiting change is dropped."""
        return self._decide(
            actor,
            approval_id,
            "withdraw",
            lambda i, c: i.withdraw(c.actor, at=c.at, comment=comment),
        )

    def tick(self, actor: Actor | str) -> list[DomainEvent]:
        """The scheduler's sweep: reminders and escalations of every pending request, once."""

        def work(case: UseCase) -> list[DomainEvent]:
            approvals = case.repo(ApprovalInstance)
            raised: list[DomainEvent] = []
            for instance in approvals.find(status=ApprovalStatus.PENDING):
                events = instance.tick(case.at, self._crm.directory)
                if events:
                    raised.extend(events)
                    approvals.save(instance)
                    self._finish(case, instance)
            return raised

        return self._crm.run(actor, "approval.tick", work)

    def _decide(
        self,
        actor: Actor | str,
        approval_id: str,
        verb: str,
        change: Callable[[ApprovalInstance, UseCase], None],
    ) -> ApprovalInstance:
        def work(case: UseCase) -> ApprovalInstance:
            approvals = case.repo(ApprovalInstance)
            instance = approvals.get(approval_id)
            case.require(f"{instance.subject_kind}.{verb}")
            change(instance, case)
            approvals.save(instance)
            self._finish(case, instance)
            return instance

        return self._crm.run(actor, None, work)

    def _finish(self, case: UseCase, instance: ApprovalInstance) -> None:
        """Once decided, let the subject kind make (or drop) the change that waited."""
        if not instance.is_decided:
            return
        links = case.repo(ApprovalLink)
        try:
            link = links.get(instance.id)
        except NotFound:
            return  # a request nothing waits for (started outside the services)
        if link.status is not LinkStatus.WAITING:
            return
        handler = self._crm.subjects.get(link.subject_kind)
        if handler is None:
            link.settle(LinkStatus.DROPPED, f"no handler for subject kind {link.subject_kind!r}")
        else:
            # The decision and its consequence are one unit of work: when the subject cannot
            # take the outcome (an order that can no longer be confirmed...), the CrmError
            # propagates and the decision is rolled back with it, so nothing is left stuck.
            outcome = handler.decided(case, instance, link)
            approved = instance.status is ApprovalStatus.APPROVED
            link.settle(LinkStatus.APPLIED if approved else LinkStatus.DROPPED, outcome)
        links.save(link)
