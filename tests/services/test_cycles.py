"""Full cycles through the services, with the notifications each step must produce, on both
reference adapters."""

from __future__ import annotations

from datetime import date, timedelta

from crmcore.forecast import OpportunityStatus
from crmcore.leads import LeadStatus, OpportunityDraft
from crmcore.receivables import PaymentState
from crmcore.services import LinkStatus
from tests.services.helpers import (
    ANN,
    BOB,
    DAN,
    FAY,
    FIN,
    MIA,
    World,
    cny,
)


def test_lead_to_won_opportunity_with_a_big_deal_approval(world: World) -> None:
    crm, clock = world.crm, world.clock
    lead = crm.leads.create(BOB, "Li Lei", source="expo", region="Shanghai", company="Acme")
    assert lead.pool_id == "east"
    assert lead.status is LeadStatus.NEW
    assert world.sent() == []

    crm.leads.claim(ANN, lead.id)
    assert world.sent() == []  # ann claimed it herself: nobody else needs to know

    clock.advance(days=1)
    crm.leads.follow_up(ANN, lead.id, "called, wants a quote")
    result = crm.leads.convert(
        ANN,
        lead.id,
        customer_id="acme",
        contact_id="li-lei",
        opportunity=OpportunityDraft("opp-1", "Lathes", cny("180000"), date(2026, 6, 30)),
    )
    assert [r.kind for r in result.records] == ["customer", "contact", "opportunity"]
    assert world.sent() == []

    clock.advance(days=1)
    moved = crm.opportunities.advance(ANN, "opp-1", "proposal", {"budget": "200k"})
    assert moved.advanced
    assert moved.stage == "proposal"

    clock.advance(days=1)
    waiting = crm.opportunities.advance(ANN, "opp-1", "contract")
    assert not waiting.advanced
    assert waiting.approval_id == "approval-1"
    assert world.sent() == [("mia", "approval waiting for you")]
    todo = crm.queries.approvals_waiting_for(MIA)
    assert [(t.subject_kind, t.subject_id) for t in todo] == [("opportunity", "opp-1")]

    clock.advance(hours=2)
    crm.approvals.approve(MIA, "approval-1", "go")
    assert world.sent() == [("ann", "request approved")]
    assert crm.queries.approvals_waiting_for(MIA) == []
    with world.storage.unit_of_work() as uow:
        from crmcore.forecast import Opportunity
        from crmcore.services import ApprovalLink

        opportunity = uow.repository(Opportunity).get("opp-1")
        assert opportunity.stage == "contract"
        assert opportunity.history[-1].approval_ref == "approval-1"
        # Mia's approval moved the deal: the history names her, the approval who asked
        assert opportunity.history[-1].actor_id == "mia"
        assert uow.repository(ApprovalLink).get("approval-1").status is LinkStatus.APPLIED

    clock.advance(days=1)
    won = crm.opportunities.win(ANN, "opp-1")
    assert won.status is OpportunityStatus.WON
    assert world.sent() == [("mia", "opportunity won")]


def test_payment_cycle_record_confirm_invoice(world: World) -> None:
    crm, clock = world.crm, world.clock
    receivable = crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("1000.00"), issue_date=date(2026, 3, 2)
    )
    assert [i.amount for i in receivable.installments] == [cny("500.00"), cny("500.00")]
    assert world.sent() == []

    view = crm.queries.payment_view(ANN, receivable.id)
    assert (view.amount, view.received, view.outstanding, view.next_amount_due) == (
        cny("1000.00"),
        cny("0.00"),
        cny("1000.00"),
        cny("500.00"),
    )

    clock.advance(hours=1)
    payment = crm.receivables.record_payment(
        ANN, receivable.id, cny("600.00"), received_on=date(2026, 3, 2), reference="bank-1"
    )
    assert world.sent() == [
        ("fay", "payment awaiting confirmation"),
        ("fin", "payment awaiting confirmation"),
    ]
    view = crm.queries.payment_view(ANN, receivable.id)
    assert (view.pending_confirmation, view.received, view.outstanding) == (
        cny("600.00"),
        cny("0.00"),
        cny("1000.00"),
    )
    todo = crm.queries.payments_awaiting_confirmation(FAY)
    assert [(t.payment_id, t.amount) for t in todo] == [(payment.id, cny("600.00"))]
    assert crm.queries.payments_awaiting_confirmation(ANN) == []

    clock.advance(hours=1)
    confirmed = crm.receivables.confirm_payment(FAY, receivable.id, payment.id)
    assert confirmed.state is PaymentState.CONFIRMED
    assert world.sent() == [("ann", "payment confirmed"), ("mia", "payment confirmed")]
    view = crm.queries.payment_view(ANN, receivable.id)
    assert (view.received, view.outstanding, view.next_amount_due) == (
        cny("600.00"),
        cny("400.00"),
        cny("400.00"),
    )
    assert view.next_due_date == date(2026, 4, 1)
    assert crm.queries.payments_awaiting_confirmation(FIN) == []

    clock.advance(hours=1)
    invoice = crm.receivables.request_invoice(
        ANN, receivable.id, cny("600.00"), title="Acme Ltd", tax_id="91310000", address="Shanghai"
    )
    assert world.sent() == [("fay", "invoice awaiting issue"), ("fin", "invoice awaiting issue")]
    iv = crm.queries.invoice_view(ANN, receivable.id)
    assert (iv.amount, iv.invoiced, iv.pending_invoice, iv.not_yet_invoiced) == (
        cny("1000.00"),
        cny("0.00"),
        cny("600.00"),
        cny("400.00"),
    )
    assert [t.invoice_id for t in crm.queries.invoices_awaiting_issue(FIN)] == [invoice.id]
    assert crm.queries.invoices_awaiting_issue(ANN) == []

    clock.advance(hours=1)
    crm.receivables.issue_invoice(FIN, receivable.id, invoice.id, "No. 0001")
    assert world.sent() == [("ann", "invoice issued")]
    iv = crm.queries.invoice_view(ANN, receivable.id)
    assert (iv.invoiced, iv.pending_invoice) == (cny("600.00"), cny("0.00"))
    assert crm.queries.invoices_awaiting_issue(FIN) == []


def test_overdue_installment_reminds_the_owner_once(world: World) -> None:
    crm, clock = world.crm, world.clock
    receivable = crm.receivables.open(
        BOB, customer="acme", owner_id="bob", amount=cny("800.00"), issue_date=date(2026, 3, 2)
    )
    late = date(2026, 3, 9)  # the first half was due on 2 March: a week late
    due = crm.queries.reminders_due(BOB, late)
    assert [(r.installment, r.name, r.outstanding) for r in due] == [
        (1, "first reminder", cny("400.00"))
    ]
    assert crm.queries.reminders_due(ANN, late) == []
    assert [r.receivable_id for r in crm.queries.reminders_due(FAY, late)] == [receivable.id]

    clock.advance(days=7)
    sent = crm.receivables.send_reminders(DAN, late)
    assert [r.installment for r in sent] == [1]
    assert world.sent() == [("bob", "installment overdue, level 2")]
    assert crm.receivables.send_reminders(DAN, late) == []
    assert world.sent() == []
    assert crm.queries.reminders_due(BOB, late) == []


def test_a_rejected_approval_leaves_the_opportunity_where_it_was(world: World) -> None:
    crm = world.crm
    opportunity = crm.opportunities.create(ANN, cny("250000"), stage="proposal")
    started = crm.opportunities.advance(ANN, opportunity.id, "contract")
    assert started.approval_id is not None
    world.sent()
    crm.approvals.reject(MIA, started.approval_id, "margin too thin")
    assert world.sent() == [("ann", "request rejected")]
    with world.storage.unit_of_work() as uow:
        from crmcore.forecast import Opportunity
        from crmcore.services import ApprovalLink

        assert uow.repository(Opportunity).get(opportunity.id).stage == "proposal"
        assert uow.repository(ApprovalLink).get(started.approval_id).status is LinkStatus.DROPPED


def test_a_small_deal_needs_no_approval_and_moves_at_once(world: World) -> None:
    crm = world.crm
    opportunity = crm.opportunities.create(ANN, cny("5000"), stage="proposal")
    moved = crm.opportunities.advance(ANN, opportunity.id, "contract")
    assert moved.advanced
    assert moved.stage == "contract"
    assert moved.approval_id == "approval-1"
    assert world.sent() == []


def test_delegated_and_escalated_tasks_reach_the_new_approver(world: World) -> None:
    crm, clock = world.crm, world.clock
    opportunity = crm.opportunities.create(ANN, cny("300000"), stage="proposal")
    started = crm.opportunities.advance(ANN, opportunity.id, "contract")
    assert started.approval_id is not None
    world.sent()
    crm.approvals.delegate(MIA, started.approval_id, "dan", "on leave")
    assert world.sent() == [("dan", "approval delegated to you")]
    assert [t.on_behalf_of for t in crm.queries.approvals_waiting_for(DAN)] == ["mia"]
    clock.advance(timedelta(hours=1))
    crm.approvals.approve(DAN, started.approval_id)
    assert world.sent() == [("ann", "request approved")]
