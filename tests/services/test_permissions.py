"""The permission matrix: every use case × every role is allowed or refused exactly as the
access policy says; a refusal changes nothing and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from crmcore.errors import PermissionDenied
from crmcore.leads import OpportunityDraft
from crmcore.ports import Actor, DirectoryUser
from crmcore.services import DEFAULT_ACCESS, AccessPolicy
from crmcore.visits import GeoPoint
from tests.services.helpers import ANN, BOB, FAY, MIA, ROLES, SID, World, cny, memory_world
from tests.services.order_helpers import (
    confirmed_order,
    draft_order,
    paid_order,
    pending_order,
    priced_order,
    received_order,
    shipped_order,
)

Ids = dict[str, str]
Setup = Callable[[World], Ids]
Call = Callable[[World, Actor, Ids], Any]

D = date(2026, 3, 2)


def _nothing(world: World) -> Ids:
    return {}


def _pooled_lead(world: World) -> Ids:
    return {"lead": world.crm.leads.create(BOB, "Li", source="web", region="Shanghai").id}


def _unrouted_lead(world: World) -> Ids:
    return {"lead": world.crm.leads.create(BOB, "Li", source="web", route=False).id}


def _held_lead(world: World) -> Ids:
    ids = _pooled_lead(world)
    world.crm.leads.claim(ANN, ids["lead"])
    return ids


def _stale_lead(world: World) -> Ids:
    ids = _held_lead(world)
    world.clock.advance(days=30)
    return ids


def _contract_opportunity(world: World) -> Ids:
    """A 50,000 deal in the gated contract stage (the big-deal approval passed at once)."""
    opportunity = world.crm.opportunities.create(ANN, cny("50000"), stage="proposal")
    world.crm.opportunities.advance(ANN, opportunity.id, "contract")
    return {"opp": opportunity.id}


def _opportunity(world: World) -> Ids:
    return {"opp": world.crm.opportunities.create(ANN, cny("500000"), stage="proposal").id}


def _lost_opportunity(world: World) -> Ids:
    ids = _opportunity(world)
    world.crm.opportunities.lose(ANN, ids["opp"], "price")
    return ids


def _approval(world: World) -> Ids:
    ids = _opportunity(world)
    started = world.crm.opportunities.advance(ANN, ids["opp"], "contract")
    assert started.approval_id is not None
    return {**ids, "approval": started.approval_id}


def _receivable(world: World) -> Ids:
    opened = world.crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("1000.00"), issue_date=D
    )
    return {"rec": opened.id}


def _on_account(world: World) -> Ids:
    """Ann's customer acme owes 1,000.00 and paid 100.00 on account (pending)."""
    ids = _receivable(world)
    receipt = world.crm.accounts.receive(ANN, "acme", cny("100.00"), received_on=D)
    return {**ids, "account": "ACC-acme-CNY", "receipt": receipt.id}


def _confirmed_on_account(world: World) -> Ids:
    ids = _on_account(world)
    world.crm.accounts.confirm_receipt(FAY, ids["account"], ids["receipt"])
    return ids


def _payment(world: World) -> Ids:
    ids = _receivable(world)
    paid = world.crm.receivables.record_payment(ANN, ids["rec"], cny("300.00"), received_on=D)
    return {**ids, "payment": paid.id}


def _confirmed(world: World) -> Ids:
    ids = _payment(world)
    world.crm.receivables.confirm_payment(FAY, ids["rec"], ids["payment"])
    return ids


def _refund(world: World) -> Ids:
    ids = _confirmed(world)
    refund = world.crm.receivables.request_refund(ANN, ids["rec"], cny("50.00"), "overpaid")
    return {**ids, "refund": refund.id}


def _invoice(world: World) -> Ids:
    ids = _receivable(world)
    invoice = world.crm.receivables.request_invoice(
        ANN, ids["rec"], cny("100.00"), title="Acme", tax_id="9131", address="Shanghai"
    )
    return {**ids, "invoice": invoice.id}


def _issued(world: World) -> Ids:
    ids = _invoice(world)
    world.crm.receivables.issue_invoice(FAY, ids["rec"], ids["invoice"], "No. 1")
    return ids


def _credit_note(world: World) -> Ids:
    ids = _issued(world)
    note = world.crm.receivables.request_credit_note(
        ANN, ids["rec"], ids["invoice"], cny("40.00"), "wrong price"
    )
    return {**ids, "credit": note.id}


def _partly_shipped(world: World) -> Ids:
    ids = confirmed_order(world)
    world.crm.orders.ship(SID, ids["order"], {0: 1})
    return ids


def _overdue(world: World) -> Ids:
    ids = _receivable(world)
    world.clock.advance(days=10)
    return ids


SITE = GeoPoint("31.2300", "121.4700")


def _visit_site(world: World) -> Ids:
    world.crm.visits.register_customer(MIA, "vc1", "Vc1", SITE, owner_id="ann", tier="A")
    return {"customer": "vc1"}


def _planned_visit(world: World) -> Ids:
    ids = _visit_site(world)
    plan = world.crm.visits.plan_day(MIA, "ann", D, ["vc1"])
    return {**ids, "visit": plan.stops[0].visit_id}


#: action → (who would do it, set-up, the call)
CASES: dict[str, tuple[str, Setup, Call]] = {
    "lead.create": ("bob", _nothing, lambda w, a, i: w.crm.leads.create(a, "Wu", source="web")),
    "lead.route": ("mia", _unrouted_lead, lambda w, a, i: w.crm.leads.route(a, i["lead"])),
    "lead.assign": ("mia", _pooled_lead, lambda w, a, i: w.crm.leads.assign(a, i["lead"], "bob")),
    "lead.claim": ("ann", _pooled_lead, lambda w, a, i: w.crm.leads.claim(a, i["lead"])),
    "lead.return": (
        "ann",
        _held_lead,
        lambda w, a, i: w.crm.leads.return_lead(a, i["lead"], "unreachable"),
    ),
    "lead.recycle": ("mia", _stale_lead, lambda w, a, i: w.crm.leads.recycle(a, "east")),
    "lead.follow_up": ("ann", _held_lead, lambda w, a, i: w.crm.leads.follow_up(a, i["lead"])),
    "lead.convert": (
        "ann",
        _held_lead,
        lambda w, a, i: w.crm.leads.convert(
            a,
            i["lead"],
            customer_id="c",
            contact_id="k",
            opportunity=OpportunityDraft("opp-x", "Deal", cny("100"), D),
        ),
    ),
    "opportunity.create": (
        "ann",
        _nothing,
        lambda w, a, i: w.crm.opportunities.create(a, cny("100")),
    ),
    "opportunity.advance": (
        "ann",
        _opportunity,
        lambda w, a, i: w.crm.opportunities.advance(a, i["opp"], "contract"),
    ),
    "opportunity.win": (
        "ann",
        _contract_opportunity,
        lambda w, a, i: w.crm.opportunities.win(a, i["opp"]),
    ),
    "opportunity.lose": (
        "ann",
        _opportunity,
        lambda w, a, i: w.crm.opportunities.lose(a, i["opp"], "price"),
    ),
    "opportunity.revise": (
        "ann",
        _opportunity,
        lambda w, a, i: w.crm.opportunities.revise(a, i["opp"], amount=cny("200")),
    ),
    "opportunity.reopen": (
        "ann",
        _lost_opportunity,
        lambda w, a, i: w.crm.opportunities.reopen(a, i["opp"], "they called back"),
    ),
    "opportunity.invalidate": (
        "mia",
        _opportunity,
        lambda w, a, i: w.crm.opportunities.invalidate(a, i["opp"], "duplicate"),
    ),
    "opportunity.approve": (
        "mia",
        _approval,
        lambda w, a, i: w.crm.approvals.approve(a, i["approval"]),
    ),
    "opportunity.reject": (
        "mia",
        _approval,
        lambda w, a, i: w.crm.approvals.reject(a, i["approval"], "no"),
    ),
    "opportunity.delegate": (
        "mia",
        _approval,
        lambda w, a, i: w.crm.approvals.delegate(a, i["approval"], "dan"),
    ),
    "opportunity.withdraw": (
        "ann",
        _approval,
        lambda w, a, i: w.crm.approvals.withdraw(a, i["approval"]),
    ),
    "approval.tick": ("dan", _approval, lambda w, a, i: w.crm.approvals.tick(a)),
    "receivable.open": (
        "ann",
        _nothing,
        lambda w, a, i: w.crm.receivables.open(
            a, customer="acme", owner_id="ann", amount=cny("10.00"), issue_date=D
        ),
    ),
    "receivable.view": (
        "ann",
        _receivable,
        lambda w, a, i: w.crm.queries.payment_view(a, i["rec"]),
    ),
    "receivable.remind": ("fay", _overdue, lambda w, a, i: w.crm.receivables.send_reminders(a)),
    "lead.view": ("ann", _held_lead, lambda w, a, i: w.crm.queries.list_leads(a)),
    "lead.hand_over": (
        "mia",
        _held_lead,
        lambda w, a, i: w.crm.leads.hand_over(a, "ann", reason="left", to="bob"),
    ),
    "opportunity.view": ("ann", _opportunity, lambda w, a, i: w.crm.queries.list_opportunities(a)),
    "approval.view": ("ann", _approval, lambda w, a, i: w.crm.queries.list_approvals(a)),
    "payment.record": (
        "ann",
        _receivable,
        lambda w, a, i: w.crm.receivables.record_payment(a, i["rec"], cny("1.00"), received_on=D),
    ),
    "payment.confirm": (
        "fay",
        _payment,
        lambda w, a, i: w.crm.receivables.confirm_payment(a, i["rec"], i["payment"]),
    ),
    "payment.reject": (
        "fay",
        _payment,
        lambda w, a, i: w.crm.receivables.reject_payment(a, i["rec"], i["payment"], "bounced"),
    ),
    "payment.reverse": (
        "fay",
        _confirmed,
        lambda w, a, i: w.crm.receivables.reverse_payment(a, i["rec"], i["payment"], "bounced"),
    ),
    "payment.write_off": (
        "mia",
        _confirmed,
        lambda w, a, i: w.crm.receivables.write_off(a, i["rec"], cny("1.00"), "bank_fee"),
    ),
    "payment.exceptions": ("fay", _confirmed, lambda w, a, i: w.crm.queries.payment_exceptions(a)),
    "refund.record": (
        "ann",
        _confirmed,
        lambda w, a, i: w.crm.receivables.request_refund(a, i["rec"], cny("1.00"), "overpaid"),
    ),
    "refund.confirm": (
        "fay",
        _refund,
        lambda w, a, i: w.crm.receivables.confirm_refund(a, i["rec"], i["refund"]),
    ),
    "refund.reject": (
        "fay",
        _refund,
        lambda w, a, i: w.crm.receivables.reject_refund(a, i["rec"], i["refund"], "no"),
    ),
    "invoice.request": (
        "ann",
        _receivable,
        lambda w, a, i: w.crm.receivables.request_invoice(
            a, i["rec"], cny("1.00"), title="Acme", tax_id="9131", address="Shanghai"
        ),
    ),
    "invoice.issue": (
        "fay",
        _invoice,
        lambda w, a, i: w.crm.receivables.issue_invoice(a, i["rec"], i["invoice"], "No. 1"),
    ),
    "invoice.reject": (
        "fay",
        _invoice,
        lambda w, a, i: w.crm.receivables.reject_invoice(a, i["rec"], i["invoice"], "wrong title"),
    ),
    "invoice.cancel": (
        "fay",
        _issued,
        lambda w, a, i: w.crm.receivables.cancel_invoice(a, i["rec"], i["invoice"], "wrong title"),
    ),
    "credit_note.request": (
        "ann",
        _issued,
        lambda w, a, i: w.crm.receivables.request_credit_note(
            a, i["rec"], i["invoice"], cny("10.00"), "wrong price"
        ),
    ),
    "credit_note.issue": (
        "fay",
        _credit_note,
        lambda w, a, i: w.crm.receivables.issue_credit_note(a, i["rec"], i["credit"], "C-1"),
    ),
    "credit_note.reject": (
        "fay",
        _credit_note,
        lambda w, a, i: w.crm.receivables.reject_credit_note(a, i["rec"], i["credit"], "no"),
    ),
}


CASES.update(
    {
        "order.draft": ("ann", _nothing, lambda w, a, i: draft_order(w, a)),
        "order.price": ("ann", draft_order, lambda w, a, i: w.crm.orders.price(a, i["order"])),
        "order.reprice": (
            "mia",
            draft_order,
            lambda w, a, i: w.crm.orders.reprice(a, i["order"], date(2026, 1, 5), "agreed price"),
        ),
        "order.submit": ("ann", priced_order, lambda w, a, i: w.crm.orders.submit(a, i["order"])),
        "order.approve": (
            "mia",
            pending_order,
            lambda w, a, i: w.crm.orders.approve(a, i["order"]),
        ),
        "order.reject": (
            "mia",
            pending_order,
            lambda w, a, i: w.crm.orders.reject(a, i["order"], "too cheap"),
        ),
        "order.delegate": (
            "mia",
            pending_order,
            lambda w, a, i: w.crm.orders.delegate(a, i["order"], "dan"),
        ),
        "order.withdraw": (
            "ann",
            pending_order,
            lambda w, a, i: w.crm.orders.withdraw(a, i["order"]),
        ),
        "order.ship": ("sid", confirmed_order, lambda w, a, i: w.crm.orders.ship(a, i["order"])),
        "order.confirm_receipt": (
            "sid",
            shipped_order,
            lambda w, a, i: w.crm.orders.confirm_receipt(a, i["order"]),
        ),
        "order.cancel": (
            "ann",
            draft_order,
            lambda w, a, i: w.crm.orders.cancel(a, i["order"], "customer changed mind"),
        ),
        "order.return": (
            "ann",
            received_order,
            lambda w, a, i: w.crm.orders.record_return(a, i["order"], {0: 1}, "damaged"),
        ),
        "order.short_close": (
            "ann",
            _partly_shipped,
            lambda w, a, i: w.crm.orders.short_close(a, i["order"], "out of stock"),
        ),
        "order.reorder": (
            "ann",
            received_order,
            lambda w, a, i: w.crm.orders.reorder(a, i["order"]),
        ),
        "order.complete": (
            "ann",
            paid_order,
            lambda w, a, i: w.crm.orders.complete(a, i["order"]),
        ),
        "outbox.view": ("dan", _nothing, lambda w, a, i: w.crm.queries.undelivered(a)),
        "order.view": (
            "ann",
            confirmed_order,
            lambda w, a, i: w.crm.queries.order_money_view(a, i["order"]),
        ),
        "visit.customer": (
            "ann",
            _nothing,
            lambda w, a, i: w.crm.visits.register_customer(a, "vc9", "Vc9", SITE),
        ),
        "visit.plan": (
            "ann",
            _visit_site,
            lambda w, a, i: w.crm.visits.plan_day(a, "ann", D, ["vc1"]),
        ),
        "visit.execute": (
            "ann",
            _planned_visit,
            lambda w, a, i: w.crm.visits.check_in(a, i["visit"], SITE),
        ),
        "visit.cancel": (
            "ann",
            _planned_visit,
            lambda w, a, i: w.crm.visits.cancel(a, i["visit"], "shop closed"),
        ),
        "visit.co_visit": (
            "ann",
            _planned_visit,
            lambda w, a, i: w.crm.visits.request_co_visit(a, i["visit"], "mia"),
        ),
        "visit.view": ("ann", _planned_visit, lambda w, a, i: w.crm.visits.analysis(a, D, D)),
        "account.receive": (
            "ann",
            _receivable,
            lambda w, a, i: w.crm.accounts.receive(a, "acme", cny("5.00"), received_on=D),
        ),
        "account.credit": (
            "fay",
            _receivable,
            lambda w, a, i: w.crm.accounts.add_credit(a, "acme", cny("5.00"), source="return"),
        ),
        "account.apply": (
            "ann",
            _confirmed_on_account,
            lambda w, a, i: w.crm.accounts.apply(a, i["account"]),
        ),
        "account.refund": (
            "ann",
            _confirmed_on_account,
            lambda w, a, i: w.crm.accounts.request_refund(a, i["account"], cny("5.00"), "asked"),
        ),
        "account.confirm": (
            "fay",
            _on_account,
            lambda w, a, i: w.crm.accounts.confirm_receipt(a, i["account"], i["receipt"]),
        ),
        "account.view": (
            "ann",
            _on_account,
            lambda w, a, i: w.crm.queries.get_account(a, i["account"]),
        ),
    }
)


def test_every_service_action_is_in_the_matrix() -> None:
    assert set(CASES) == set(DEFAULT_ACCESS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(CASES))
def test_permission_matrix(action: str, role: str) -> None:
    person, setup, call = CASES[action]
    world = memory_world()
    ids = setup(world)
    world.sent()
    # the Directory gives ``person`` exactly this role: roles are the Directory's, not claims
    user = world.directory.user(person)
    world.directory.put(attrs.evolve(user, roles=frozenset({role})))
    actor = Actor(person, {role})
    if AccessPolicy().allows(actor, action):
        call(world, actor, ids)
        return
    before = world.snapshot()
    with pytest.raises(PermissionDenied) as refused:
        call(world, actor, ids)
    assert action in str(refused.value)
    for allowed in sorted(DEFAULT_ACCESS[action]):
        assert allowed in str(refused.value)
    assert world.snapshot() == before
    assert world.sent() == []


def test_a_salesperson_cannot_confirm_their_own_payment_even_with_finance_rights() -> None:
    world = memory_world()
    ids = _receivable(world)
    world.directory.put(DirectoryUser("ann", roles={"sales", "finance"}, manager_id="mia"))
    both = Actor("ann", {"sales", "finance"})
    paid = world.crm.receivables.record_payment(both, ids["rec"], cny("10.00"), received_on=D)
    world.sent()
    before = world.snapshot()
    with pytest.raises(PermissionDenied, match="ann recorded"):
        world.crm.receivables.confirm_payment(both, ids["rec"], paid.id)
    with pytest.raises(PermissionDenied, match=r"payment\.confirm"):
        world.crm.receivables.confirm_payment(ANN, ids["rec"], paid.id)
    assert world.snapshot() == before
    assert world.sent() == []
    assert world.crm.queries.payments_awaiting_confirmation(both) == []


def test_the_shipping_clerk_cannot_confirm_payments() -> None:
    world = memory_world()
    ids = _payment(world)
    with pytest.raises(PermissionDenied, match=r"sid \(shipping\) may not payment.confirm"):
        world.crm.receivables.confirm_payment(
            Actor("sid", {"shipping"}), ids["rec"], ids["payment"]
        )


def test_an_overridden_policy_moves_an_action_to_another_role() -> None:
    world = memory_world(access=AccessPolicy.with_overrides({"payment.confirm": ["manager"]}))
    ids = _payment(world)
    with pytest.raises(PermissionDenied):
        world.crm.receivables.confirm_payment(FAY, ids["rec"], ids["payment"])
    world.crm.receivables.confirm_payment(
        Actor("mia", {"manager", "finance"}), ids["rec"], ids["payment"]
    )
    assert MIA.user_id == "mia"
