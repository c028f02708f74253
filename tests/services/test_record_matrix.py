"""The trust matrix: every use case and query on a record of Ann's × every role × the actor's
relation to Ann (herself, her manager, a colleague, someone unrelated) × the actor's state in
the Directory (active, inactive, unknown, claiming roles it does not give).

The expected outcome is computed from the model — the access policy allows the role, and the
record-access rule reaches the record (own; team = Ann's manager; all = the grants) — and
every refusal is a PermissionDenied that stores nothing and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from crmcore.errors import PermissionDenied
from crmcore.ports import Actor
from crmcore.pricing import LineRequest
from crmcore.services import DEFAULT_ACCESS
from tests.services.helpers import ANN, DAN, FAY, ROLES, SID, World, cny, memory_world
from tests.services.order_helpers import (
    confirmed_order,
    draft_order,
    paid_order,
    priced_order,
    received_order,
    shipped_order,
)

Ids = dict[str, str]
D = date(2026, 3, 2)

#: relation to Ann → who acts (Mia is Ann's manager; Bob her colleague; mkt in marketing).
RELATIONS = {"own": "ann", "report's": "mia", "colleague's": "bob", "unrelated": "mkt"}
STATES = ("active", "inactive", "unknown", "claiming")


def _receivable(world: World) -> Ids:
    receivable = world.crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("1000.00"), issue_date=D
    )
    return {"rec": receivable.id}


def _payment(world: World) -> Ids:
    ids = _receivable(world)
    paid = world.crm.receivables.record_payment(ANN, ids["rec"], cny("100.00"), received_on=D)
    return {**ids, "payment": paid.id}


def _refund(world: World) -> Ids:
    ids = paid_order(world)
    refund = world.crm.receivables.request_refund(ANN, ids["rec"], cny("10.00"), "goodwill")
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


def _partly_shipped(world: World) -> Ids:
    ids = confirmed_order(world)
    world.crm.orders.ship(SID, ids["order"], {0: 1})
    return ids


def _deal(world: World) -> Ids:
    return {"opp": world.crm.opportunities.create(ANN, cny("50000"), stage="proposal").id}


def _contract_deal(world: World) -> Ids:
    ids = _deal(world)
    world.crm.opportunities.advance(ANN, ids["opp"], "contract")
    return ids


def _nothing(world: World) -> Ids:
    return {}


def _held_lead(world: World) -> Ids:
    """A lead of the east pool (admins mia and dan) that Ann claimed."""
    lead = world.crm.leads.create(DAN, "Li Lei", source="expo", region="Shanghai")
    world.crm.leads.claim(ANN, lead.id)
    return {"lead": lead.id}


@attrs.frozen
class Case:
    """One use case on a record of Ann's: its kind, read or write, set-up and call."""

    kind: str
    mode: str
    status: str | None
    setup: Callable[[World], Ids]
    call: Callable[[World, Any, Ids], Any]


CASES: dict[str, Case] = {
    # orders
    "order.draft": Case(
        "order",
        "write",
        "draft",
        draft_order,
        lambda w, a, i: w.crm.orders.add_line(a, i["order"], LineRequest("DRILL", 1)),
    ),
    "order.draft for ann": Case(
        "order",
        "write",
        None,
        _nothing,
        lambda w, a, i: w.crm.orders.draft(a, customer="acme", currency="CNY", owner_id="ann"),
    ),
    "order.price": Case(
        "order", "write", "draft", draft_order, lambda w, a, i: w.crm.orders.price(a, i["order"])
    ),
    "order.reprice": Case(
        "order",
        "write",
        "draft",
        draft_order,
        lambda w, a, i: w.crm.orders.reprice(a, i["order"], date(2026, 1, 5), "agreed in January"),
    ),
    "order.submit": Case(
        "order", "write", "draft", priced_order, lambda w, a, i: w.crm.orders.submit(a, i["order"])
    ),
    "order.cancel": Case(
        "order",
        "write",
        "draft",
        draft_order,
        lambda w, a, i: w.crm.orders.cancel(a, i["order"], "changed mind"),
    ),
    "order.ship": Case(
        "order",
        "write",
        "confirmed",
        confirmed_order,
        lambda w, a, i: w.crm.orders.ship(a, i["order"]),
    ),
    "order.confirm_receipt": Case(
        "order",
        "write",
        "shipped",
        shipped_order,
        lambda w, a, i: w.crm.orders.confirm_receipt(a, i["order"]),
    ),
    "order.return": Case(
        "order",
        "write",
        "received",
        received_order,
        lambda w, a, i: w.crm.orders.record_return(a, i["order"], {0: 1}, "damaged"),
    ),
    "order.short_close": Case(
        "order",
        "write",
        "partially_shipped",
        _partly_shipped,
        lambda w, a, i: w.crm.orders.short_close(a, i["order"], "out of stock"),
    ),
    "order.reorder": Case(
        "order",
        "read",
        "received",
        received_order,
        lambda w, a, i: w.crm.orders.reorder(a, i["order"]),
    ),
    "order.complete": Case(
        "order",
        "write",
        "received",
        paid_order,
        lambda w, a, i: w.crm.orders.complete(a, i["order"]),
    ),
    "order.view": Case(
        "order",
        "read",
        "confirmed",
        confirmed_order,
        lambda w, a, i: w.crm.queries.order_money_view(a, i["order"]),
    ),
    # receivables
    "receivable.open for ann": Case(
        "receivable",
        "write",
        None,
        _nothing,
        lambda w, a, i: w.crm.receivables.open(
            a, customer="acme", owner_id="ann", amount=cny("10.00"), issue_date=D
        ),
    ),
    "receivable.view": Case(
        "receivable",
        "read",
        None,
        _receivable,
        lambda w, a, i: w.crm.queries.payment_view(a, i["rec"]),
    ),
    "payment.record": Case(
        "receivable",
        "write",
        None,
        _receivable,
        lambda w, a, i: w.crm.receivables.record_payment(a, i["rec"], cny("10.00"), received_on=D),
    ),
    "payment.confirm": Case(
        "receivable",
        "write",
        None,
        _payment,
        lambda w, a, i: w.crm.receivables.confirm_payment(a, i["rec"], i["payment"]),
    ),
    "payment.reject": Case(
        "receivable",
        "write",
        None,
        _payment,
        lambda w, a, i: w.crm.receivables.reject_payment(a, i["rec"], i["payment"], "no money"),
    ),
    "refund.record": Case(
        "receivable",
        "write",
        None,
        paid_order,
        lambda w, a, i: w.crm.receivables.request_refund(a, i["rec"], cny("5.00"), "goodwill"),
    ),
    "refund.confirm": Case(
        "receivable",
        "write",
        None,
        _refund,
        lambda w, a, i: w.crm.receivables.confirm_refund(a, i["rec"], i["refund"]),
    ),
    "refund.reject": Case(
        "receivable",
        "write",
        None,
        _refund,
        lambda w, a, i: w.crm.receivables.reject_refund(a, i["rec"], i["refund"], "no"),
    ),
    "invoice.request": Case(
        "receivable",
        "write",
        None,
        _receivable,
        lambda w, a, i: w.crm.receivables.request_invoice(
            a, i["rec"], cny("10.00"), title="Acme", tax_id="9131", address="Shanghai"
        ),
    ),
    "invoice.issue": Case(
        "receivable",
        "write",
        None,
        _invoice,
        lambda w, a, i: w.crm.receivables.issue_invoice(a, i["rec"], i["invoice"], "No. 9"),
    ),
    "invoice.reject": Case(
        "receivable",
        "write",
        None,
        _invoice,
        lambda w, a, i: w.crm.receivables.reject_invoice(a, i["rec"], i["invoice"], "wrong"),
    ),
    "invoice.cancel": Case(
        "receivable",
        "write",
        None,
        _issued,
        lambda w, a, i: w.crm.receivables.cancel_invoice(a, i["rec"], i["invoice"], "wrong"),
    ),
    "credit_note.request": Case(
        "receivable",
        "write",
        None,
        _issued,
        lambda w, a, i: w.crm.receivables.request_credit_note(
            a, i["rec"], i["invoice"], cny("10.00"), "wrong price"
        ),
    ),
    # opportunities
    "opportunity.create for ann": Case(
        "opportunity",
        "write",
        None,
        _nothing,
        lambda w, a, i: w.crm.opportunities.create(a, cny("10.00"), owner_id="ann"),
    ),
    "opportunity.advance": Case(
        "opportunity",
        "write",
        None,
        _deal,
        lambda w, a, i: w.crm.opportunities.advance(a, i["opp"], "qualify"),
    ),
    "opportunity.win": Case(
        "opportunity",
        "write",
        None,
        _contract_deal,
        lambda w, a, i: w.crm.opportunities.win(a, i["opp"]),
    ),
    "opportunity.revise": Case(
        "opportunity",
        "write",
        None,
        _deal,
        lambda w, a, i: w.crm.opportunities.revise(a, i["opp"], amount=cny("60000")),
    ),
    "opportunity.invalidate": Case(
        "opportunity",
        "write",
        None,
        _deal,
        lambda w, a, i: w.crm.opportunities.invalidate(a, i["opp"], "duplicate"),
    ),
    # leads: the same rule (own, team, all), widened by the pool's own admins (mia here)
    "lead.follow_up": Case(
        "lead",
        "write",
        None,
        _held_lead,
        lambda w, a, i: w.crm.leads.follow_up(a, i["lead"], "called", channel="call"),
    ),
    "lead.return": Case(
        "lead",
        "write",
        None,
        _held_lead,
        lambda w, a, i: w.crm.leads.return_lead(a, i["lead"], "unreachable"),
    ),
    "lead.convert": Case(
        "lead",
        "write",
        None,
        _held_lead,
        lambda w, a, i: w.crm.leads.convert(a, i["lead"], customer_id="acme", contact_id="li"),
    ),
    "opportunity.lose": Case(
        "opportunity",
        "write",
        None,
        _deal,
        lambda w, a, i: w.crm.opportunities.lose(a, i["opp"], "budget cut"),
    ),
}

GOODS = {"confirmed", "partially_shipped", "shipped", "received"}
#: The four-eyes rule: whoever recorded the payment or asked for the refund (Ann) may not
#: confirm it, whatever roles she holds.
FOUR_EYES = {"payment.confirm", "refund.confirm"}


def _action(name: str) -> str:
    return name.split(" ")[0]


def _expected(name: str, case: Case, role: str, relation: str, state: str) -> bool:
    """Allowed by the model: an active user, a role the policy allows, a record reached."""
    if state in ("inactive", "unknown"):
        return False
    if role not in DEFAULT_ACCESS[_action(name)]:
        return False
    if name in FOUR_EYES and relation == "own":
        return False
    if relation in ("own", "report's"):
        return True
    return (
        role == "admin"
        or (role == "finance" and case.kind in ("order", "receivable"))
        or (role == "shipping" and case.kind == "order" and case.status in GOODS)
    )


def _acting(world: World, person: str, role: str, state: str) -> Actor | str:
    """Make the Directory give ``person`` exactly ``role`` (and the state); who calls."""
    user = world.directory.user(person)
    world.directory.put(attrs.evolve(user, roles=frozenset({role}), active=state != "inactive"))
    if state == "unknown":
        return Actor(f"ghost-{person}", {role})
    if state == "claiming":
        return Actor(person, set(ROLES))  # asks for every role; the Directory gives one
    return person if state == "active" else Actor(person, {role})


def test_the_matrix_covers_every_record_action() -> None:
    record_actions = {a for a in DEFAULT_ACCESS if a.split(".")[0] in ("order", "receivable")}
    record_actions |= {"payment.record", "payment.confirm", "payment.reject"}
    record_actions |= {"refund.record", "refund.confirm", "refund.reject"}
    record_actions |= {"invoice.request", "invoice.issue", "invoice.reject", "invoice.cancel"}
    record_actions |= {"credit_note.request"}
    record_actions |= {"opportunity.create", "opportunity.advance", "opportunity.win"}
    record_actions |= {"opportunity.lose", "opportunity.revise", "opportunity.invalidate"}
    record_actions |= {"lead.follow_up", "lead.return", "lead.convert"}
    # approvals are reached through the approver's task; remind is the dunning run
    decided_elsewhere = {
        "order.approve",
        "order.reject",
        "order.delegate",
        "order.withdraw",
        "receivable.remind",
    }
    assert record_actions - decided_elsewhere == {_action(n) for n in CASES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_record_matrix(name: str, role: str) -> None:
    case = CASES[name]
    world: World | None = None
    ids: Ids = {}
    outcomes: dict[tuple[str, str], bool] = {}
    for relation, person in RELATIONS.items():
        for state in STATES:
            if world is None:
                world = memory_world()
                ids = case.setup(world)
                world.sent()
            saved = world.directory.user(person)
            actor = _acting(world, person, role, state)
            expected = _expected(name, case, role, relation, state)
            if expected:
                case.call(world, actor, ids)
                world = None  # the call changed the world: the next one starts afresh
            else:
                before = world.snapshot()
                with pytest.raises(PermissionDenied):
                    case.call(world, actor, ids)
                assert world.snapshot() == before, (relation, state)
                assert world.sent() == [], (relation, state)
                world.directory.put(saved)
            outcomes[(relation, state)] = expected
    # the model's answer for the record relations of an active user, spelled out
    reached = {r for (r, s), ok in outcomes.items() if ok and s == "active"}
    assert reached == {r for (r, s), ok in outcomes.items() if ok and s == "claiming"}
