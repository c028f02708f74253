"""Every kind the services store round-trips through both reference adapters, in many states."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters._codec import dump_aggregate
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.leads import OpportunityDraft
from crmcore.money import Money
from crmcore.ports import Actor, AggregateKind, Storage
from crmcore.receivables import PaymentTerms, Receivable
from crmcore.services import KINDS
from crmcore.services._kinds import ComputedKind
from crmcore.visits import GeoPoint
from tests.services.helpers import (
    ANN,
    BOB,
    DAN,
    FAY,
    FIN,
    HALF_AND_HALF,
    MIA,
    START,
    World,
    cny,
    memory_world,
)
from tests.services.order_helpers import (
    draft_order,
    pending_order,
    received_order,
    shipped_order,
)

D = date(2026, 3, 2)


def _busy_world() -> World:
    """One of everything, in several states."""
    world = memory_world()
    crm, clock = world.crm, world.clock
    leads = [crm.leads.create(BOB, f"L{i}", source="expo", region="Shanghai").id for i in range(5)]
    crm.leads.create(BOB, "stray", source="web", route=False)
    for lead in leads[:4]:
        crm.leads.claim(ANN, lead)
    clock.advance(days=1)
    crm.leads.follow_up(ANN, leads[1], "called")
    crm.leads.return_lead(ANN, leads[2], "unreachable", "no answer")
    crm.leads.convert(
        ANN,
        leads[3],
        customer_id="acme",
        contact_id="li",
        opportunity=OpportunityDraft("opp-lead", "Lathes", cny("180000"), date(2026, 6, 30)),
    )
    crm.opportunities.advance(ANN, "opp-lead", "proposal", {"budget": 200})
    big = [crm.opportunities.create(ANN, cny("500000"), stage="proposal").id for _ in range(4)]
    approvals = [crm.opportunities.advance(ANN, o, "contract").approval_id for o in big]
    assert all(approvals)
    crm.approvals.approve(MIA, str(approvals[0]))
    crm.approvals.reject(MIA, str(approvals[1]), "thin margin")
    crm.approvals.delegate(MIA, str(approvals[2]), "dan")
    crm.approvals.withdraw(ANN, str(approvals[3]))
    crm.opportunities.win(ANN, big[0])
    lost = crm.opportunities.create(ANN, cny("10"))
    crm.opportunities.lose(ANN, lost.id, "price")
    rec = crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("999.99"), issue_date=D
    )
    other = crm.receivables.open(
        BOB, customer="zen", owner_id="bob", amount=cny("50"), issue_date=D
    )
    p1 = crm.receivables.record_payment(ANN, rec.id, cny("100.00"), received_on=D)
    p2 = crm.receivables.record_payment(ANN, rec.id, cny("200.00"), received_on=D)
    crm.receivables.record_payment(ANN, rec.id, cny("1.00"), received_on=D, reference="x")
    crm.receivables.confirm_payment(FAY, rec.id, p1.id)
    crm.receivables.reject_payment(FIN, rec.id, p2.id, "bounced")
    refund = crm.receivables.request_refund(ANN, rec.id, cny("10.00"), "goodwill")
    crm.receivables.confirm_refund(FAY, rec.id, refund.id)
    i1 = crm.receivables.request_invoice(
        ANN, rec.id, cny("50"), title="A", tax_id="1", address="S"
    )
    crm.receivables.request_invoice(ANN, rec.id, cny("20"), title="A", tax_id="1", address="S")
    crm.receivables.issue_invoice(FAY, rec.id, i1.id, "No. 7")
    draft_order(world)
    pending_order(world)
    cancelled = draft_order(world)
    crm.orders.cancel(ANN, cancelled["order"], "duplicate")
    shipped_order(world)
    returned = received_order(world)
    crm.orders.record_return(ANN, returned["order"], {0: 1}, "damaged")
    on_account = crm.accounts.receive(ANN, "acme", cny("30.00"), received_on=D, reference="b1")
    crm.accounts.confirm_receipt(FAY, "ACC-acme-CNY", on_account.id)
    crm.accounts.add_credit(FAY, "acme", cny("5.00"), source="goodwill")
    crm.accounts.apply(ANN, "ACC-acme-CNY", cny("20.00"))
    crm.accounts.request_refund(ANN, "ACC-acme-CNY", cny("5.00"), "asked")
    clock.advance(days=40)
    crm.receivables.send_reminders(DAN)
    crm.leads.recycle(MIA, "east")
    crm.leads.claim(ANN, leads[4])
    crm.leads.follow_up(ANN, leads[4], "met")
    crm.leads.claim(BOB, leads[0])
    here = GeoPoint("31.2300", "121.4700")
    crm.visits.register_customer(MIA, "acme", "Acme", here, owner_id="ann", tier="A")
    crm.visits.register_customer(ANN, "zen", "Zen", GeoPoint("31.2330", "121.4700"), tier="B")
    plan = crm.visits.plan_day(MIA, "ann", clock.now().date(), ["zen", "acme"], start=here)
    working, called_off = (stop.visit_id for stop in plan.stops)
    crm.visits.check_in(ANN, working, GeoPoint("31.2301", "121.4700"))
    crm.visits.request_co_visit(ANN, working, "mia")
    crm.visits.add_note(ANN, working, "met the buyer")
    crm.visits.cancel(ANN, called_off, "closed")
    assert other.id
    return world


def _stored(storage: Storage) -> dict[str, list[Any]]:
    with storage.unit_of_work() as uow:
        return {kind.name: uow.repository(kind.cls).find() for kind in KINDS}


def _adapters(sqlite_only: bool = False) -> Iterator[Storage]:
    if not sqlite_only:
        yield MemoryDatabase(KINDS)
    folder = Path(tempfile.mkdtemp())
    yield SqliteDatabase(folder / "kinds.sqlite3", KINDS)


def round_trip(kind: AggregateKind[Any], aggregates: list[Any], sqlite_only: bool = False) -> None:
    """Store ``aggregates`` in fresh adapters and read them back: same data, same indexes."""
    for storage in _adapters(sqlite_only):
        with storage.unit_of_work() as uow:
            for aggregate in aggregates:
                copy = kind.load(dict(kind.dump(aggregate))) if kind.load and kind.dump else None
                uow.repository(kind.cls).add(copy if copy is not None else aggregate)
            uow.commit()
        with storage.unit_of_work() as uow:
            repo = uow.repository(kind.cls)
            for aggregate in aggregates:
                back = repo.get(aggregate.id)
                assert dump_aggregate(kind, back) == dump_aggregate(kind, aggregate)
                assert kind.index_values(back) == kind.index_values(aggregate)
                assert back.pull_events() == []
            for name, value in kind.index_values(aggregates[0]).items():
                assert aggregates[0].id in [a.id for a in repo.find(**{name: value})]
        getattr(storage, "close", lambda: None)()


def test_every_kind_round_trips_in_every_state_through_both_adapters() -> None:
    stored = _stored(_busy_world().storage)
    assert all(stored[kind.name] for kind in KINDS), {k: len(v) for k, v in stored.items()}
    for kind in KINDS:
        round_trip(kind, stored[kind.name])


def test_states_covered() -> None:
    stored = _stored(_busy_world().storage)
    assert {lead.status.value for lead in stored["lead"]} == {
        "new",
        "assigned",
        "following_up",
        "converted",
    }
    assert {o.status.value for o in stored["opportunity"]} == {"open", "won", "lost"}
    assert {a.status.name.lower() for a in stored["approval"]} == {
        "pending",
        "approved",
        "rejected",
        "withdrawn",
    }
    assert {link.status.value for link in stored["approval_link"]} == {
        "waiting",
        "applied",
        "dropped",
    }
    assert stored["dunning_log"][0].sent


def test_a_computed_index_is_kept_current() -> None:
    kind = next(k for k in KINDS if k.name == "receivable")
    assert isinstance(kind, ComputedKind)
    world = memory_world()
    crm = world.crm
    rec = crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("10"), issue_date=D
    )
    paid = crm.receivables.record_payment(ANN, rec.id, cny("10"), received_on=D)
    with world.storage.unit_of_work() as uow:
        assert [r.id for r in uow.repository(Receivable).find(awaiting_confirmation=True)] == [
            rec.id
        ]
    crm.receivables.confirm_payment(FAY, rec.id, paid.id)
    with world.storage.unit_of_work() as uow:
        repo = uow.repository(Receivable)
        assert repo.find(awaiting_confirmation=True) == []
        assert repo.find(has_unpaid=True) == []


_ids = itertools.count()


@st.composite
def receivables(draw: st.DrawFn) -> Receivable:
    """A receivable after a random run of payments, decisions, refunds and invoices."""
    cents = draw(st.integers(min_value=2, max_value=10**9))
    amount = Money(cents, "CNY") / 100
    rec = Receivable.open(
        f"r{next(_ids)}",
        customer=draw(st.sampled_from(["acme", "zen", "宏达"])),
        owner_id="ann",
        amount=amount.round(),
        issue_date=D,
        terms=draw(st.sampled_from([HALF_AND_HALF, PaymentTerms.net(30)])),
        actor=ANN,
        at=START,
    )
    at = START
    for step in draw(
        st.lists(st.sampled_from(["pay", "confirm", "reject", "invoice"]), max_size=8)
    ):
        at += timedelta(hours=1)
        pending = [p for p in rec.payments if p.state.value == "pending"]
        room = rec.balance(D).outstanding
        if step == "pay" and room.amount > 0:
            part = draw(st.integers(min_value=1, max_value=int(room.amount * 100)))
            rec.record_payment(ANN, Money(part, "CNY") / 100, received_on=D, at=at)
        elif step in ("confirm", "reject") and pending:
            if step == "confirm":
                rec.confirm_payment(FAY, pending[0].id, at=at)
            else:
                rec.reject_payment(FAY, pending[0].id, reason="bounced", at=at)
        elif step == "invoice":
            left = rec.balance(D).not_yet_invoiced
            if left.amount > 0:
                rec.request_invoice(ANN, left, title="T", tax_id="1", address="A", at=at)
    rec.pull_events()
    return rec


@settings(max_examples=25, deadline=None)
@given(st.lists(receivables(), min_size=1, max_size=3, unique_by=lambda r: r.id))
def test_generated_receivables_round_trip_through_both_adapters(found: list[Receivable]) -> None:
    kind = next(k for k in KINDS if k.name == "receivable")
    round_trip(kind, found)


def test_actor_helpers() -> None:
    assert Actor("ann", {"sales"}) == ANN


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_kinds_name_their_tables(kind: AggregateKind[Any]) -> None:
    assert kind.name.isidentifier()


def test_a_reopened_sqlite_file_keeps_the_computed_indexes(tmp_path: Path) -> None:
    from tests.services.helpers import World

    world = World(SqliteDatabase(tmp_path / "crm.sqlite3", KINDS))
    rec = world.crm.receivables.open(
        ANN, customer="acme", owner_id="ann", amount=cny("10"), issue_date=D
    )
    world.crm.receivables.record_payment(ANN, rec.id, cny("4"), received_on=D)
    world.storage.close()  # type: ignore[attr-defined]
    again = SqliteDatabase(tmp_path / "crm.sqlite3", KINDS)
    with again.unit_of_work() as uow:
        repo = uow.repository(Receivable)
        assert [r.id for r in repo.find(awaiting_confirmation=True, has_unpaid=True)] == [rec.id]
        assert repo.find(awaiting_invoice=True) == []
    again.close()
