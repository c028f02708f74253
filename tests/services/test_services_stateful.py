"""Random actors make random calls, in any order, through the services: no invariant of leads,
opportunities, approvals or receivables breaks, a refused call changes nothing and sends
nothing, and every committed change is attributed to the user who made it.

The actors include forged ones (a salesperson claiming finance and admin), a user the
Directory has deactivated and one it never heard of: they act with the Directory's roles,
or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from crmcore.adapters.memory import MemoryDatabase
from crmcore.errors import CrmError
from crmcore.events import DomainEvent
from crmcore.forecast import Opportunity, OpportunityStatus
from crmcore.leads import Lead, LeadStatus, OpportunityDraft, Pool
from crmcore.money import Money
from crmcore.ports import Actor, DirectoryUser, StoredEvent
from crmcore.receivables import PaymentState, Receivable
from crmcore.services import DEFAULT_ROUTES, KINDS, ApprovalLink, LinkStatus
from crmcore.workflow import ApprovalInstance, ApprovalStatus
from tests.services.helpers import ACTORS, World
from tests.services.test_kinds import round_trip

# Everybody, plus forged claims, an inactive user and somebody unknown to the directory.
FORGED = (Actor("bob", {"sales", "finance", "admin"}), Actor("sid", {"shipping", "manager"}))
INACTIVE = Actor("leo", {"sales"})
UNKNOWN = (Actor("eve", {"sales"}), Actor("ghost", {"admin", "finance"}))
ACTORS_ANY = st.sampled_from(
    [*(ACTORS[name] for name in sorted(ACTORS)), *FORGED, INACTIVE, *UNKNOWN, "ann", "fay"]
)
#: Approvers more often than not, so requests get decided as well as refused.
DECIDERS = st.sampled_from(
    [ACTORS["mia"], ACTORS["mia"], ACTORS["ann"], ACTORS["dan"], ACTORS["fay"], ACTORS["bob"]]
)
DEAL = st.sampled_from([-5, 0, 5_000, 150_000, 500_000])
INDEX = st.integers(min_value=0, max_value=5)
CENTS = st.integers(min_value=-100, max_value=200_000)
D = date(2026, 3, 2)
#: Who the approval sweep acts as (escalations and reminders it raises).
SYSTEM = "system"


class _Watched(MemoryDatabase):
    """The memory adapter, remembering every committed event as it is delivered."""

    def __init__(self, kinds: Any) -> None:
        super().__init__(kinds)
        self.seen: dict[int, DomainEvent] = {}

    def undelivered(self, limit: int = 100) -> list[StoredEvent]:
        rows = super().undelivered(limit)
        for row in rows:
            self.seen.setdefault(row.seq, row.event)
        return rows

    def claim(self, limit: int = 100, lease: float = 60.0) -> list[StoredEvent]:
        """The services deliver through leased claims when the store offers them."""
        rows = super().claim(limit, lease)
        for row in rows:
            self.seen.setdefault(row.seq, row.event)
        return rows


class ServicesMachine(RuleBasedStateMachine):
    world: World
    leads = Bundle("leads")
    opportunities = Bundle("opportunities")
    approvals = Bundle("approvals")
    payments = Bundle("payments")
    invoices = Bundle("invoices")

    @initialize()
    def start(self) -> None:
        self.world = World(_Watched(KINDS))
        self.world.directory.put(
            DirectoryUser(
                "leo", roles={"sales"}, department="east", manager_id="mia", active=False
            )
        )
        self.world.crm.receivables.open(
            ACTORS["ann"],
            customer="acme",
            owner_id="ann",
            amount=Money("1000.00", "CNY"),
            issue_date=D,
        )
        self.world.sent()
        self.refused = 0
        self.attributed = 0

    # -- helpers ----------------------------------------------------------------------------
    def _ids(self, cls: type[Any]) -> list[str]:
        with self.world.storage.unit_of_work() as uow:
            return [a.id for a in uow.repository(cls).find()]

    def _pick(self, cls: type[Any], index: int) -> str:
        ids = self._ids(cls)
        return ids[index % len(ids)] if ids else f"missing-{index}"

    def _try(self, call: Callable[[], Any], actor: Actor | str | None = None) -> Any:
        """Run one call; a refusal must leave storage and the notifier as they were; a
        committed call's events all name the acting user (never a forged or absent one)."""
        before = self.world.snapshot()
        sent_before = len(self.world.notifier.sent)
        storage = self.world.storage
        assert isinstance(storage, _Watched)
        seen_before = len(storage.seen)
        try:
            result = call()
        except CrmError:
            self.refused += 1
            assert self.world.snapshot() == before
            assert len(self.world.notifier.sent) == sent_before
            return None
        if actor is not None:
            user_id = actor if isinstance(actor, str) else actor.user_id
            assert user_id not in ("leo", "eve", "ghost"), f"{user_id} acted"
            new = list(storage.seen.values())[seen_before:]
            assert {e.actor_id for e in new} <= {user_id, SYSTEM}, (user_id, new)
            self.attributed += len(new)
        return result

    def _kept(self, value: Any, attribute: str = "id") -> Any:
        """The new id for a bundle, or nothing when the call was refused."""
        found = None if value is None else getattr(value, attribute)
        return multiple() if found is None else found

    # -- leads ------------------------------------------------------------------------------
    @rule(target=leads, actor=ACTORS_ANY, region=st.sampled_from(["Shanghai", "Yunnan"]))
    def create_lead(self, actor: Actor, region: str) -> Any:
        lead = self._try(
            lambda: self.world.crm.leads.create(actor, "P", source="web", region=region), actor
        )
        return self._kept(lead)

    @rule(actor=ACTORS_ANY, lead=leads)
    def claim(self, actor: Actor, lead: str) -> None:
        self._try(lambda: self.world.crm.leads.claim(actor, lead), actor)

    @rule(actor=ACTORS_ANY, lead=leads, member=st.sampled_from([None, "ann", "bob"]))
    def assign(self, actor: Actor, lead: str, member: str | None) -> None:
        self._try(lambda: self.world.crm.leads.assign(actor, lead, member), actor)

    @rule(actor=ACTORS_ANY, lead=leads)
    def follow_up(self, actor: Actor, lead: str) -> None:
        self._try(lambda: self.world.crm.leads.follow_up(actor, lead, "call"), actor)

    @rule(actor=ACTORS_ANY, lead=leads, reason=st.sampled_from(["unreachable", "bored"]))
    def return_lead(self, actor: Actor, lead: str, reason: str) -> None:
        self._try(lambda: self.world.crm.leads.return_lead(actor, lead, reason), actor)

    @rule(actor=ACTORS_ANY, pool=st.sampled_from(["east", "general"]))
    def recycle(self, actor: Actor, pool: str) -> None:
        self._try(lambda: self.world.crm.leads.recycle(actor, pool), actor)

    @rule(target=opportunities, actor=ACTORS_ANY, lead=leads, amount=DEAL)
    def convert(self, actor: Actor, lead: str, amount: int) -> Any:
        draft = OpportunityDraft(
            f"opp-{lead}", "Deal", Money(max(amount, 0), "CNY"), date(2026, 9, 30)
        )
        done = self._try(
            lambda: self.world.crm.leads.convert(
                actor, lead, customer_id=f"c-{lead}", contact_id=f"k-{lead}", opportunity=draft
            ),
            actor,
        )
        return self._kept(done and done.opportunity)

    # -- opportunities and approvals --------------------------------------------------------
    @rule(target=opportunities, actor=ACTORS_ANY, cents=DEAL)
    def create_opportunity(self, actor: Actor, cents: int) -> Any:
        amount = Money(cents, "CNY")
        opp = self._try(
            lambda: self.world.crm.opportunities.create(actor, amount, stage="proposal"), actor
        )
        return self._kept(opp)

    @rule(
        target=approvals,
        actor=ACTORS_ANY,
        opp=opportunities,
        to=st.sampled_from(["qualify", "proposal", "contract"]),
    )
    def advance(self, actor: Actor, opp: str, to: str) -> Any:
        moved = self._try(
            lambda: self.world.crm.opportunities.advance(actor, opp, to, {"budget": "1"}), actor
        )
        return self._kept(moved, "approval_id")

    @rule(target=approvals, amount=DEAL)
    def ask_for_approval(self, amount: int) -> Any:
        """Ann opens a deal and asks to move it to contract (approval above 100,000 CNY)."""
        ann = ACTORS["ann"]
        opp = self._try(
            lambda: self.world.crm.opportunities.create(
                ann, Money(amount, "CNY"), stage="proposal"
            ),
            ann,
        )
        if opp is None:
            return multiple()
        moved = self._try(
            lambda: self.world.crm.opportunities.advance(ann, opp.id, "contract"), ann
        )
        return self._kept(moved, "approval_id")

    @rule(actor=ACTORS_ANY, opp=opportunities, won=st.booleans())
    def close(self, actor: Actor, opp: str, won: bool) -> None:
        opps = self.world.crm.opportunities
        self._try(lambda: opps.win(actor, opp) if won else opps.lose(actor, opp, "price"), actor)

    @rule(
        actor=DECIDERS,
        approval=approvals,
        verb=st.sampled_from(["approve", "reject", "delegate", "withdraw"]),
    )
    def decide(self, actor: Actor, approval: str, verb: str) -> None:
        service = self.world.crm.approvals
        calls: dict[str, Callable[[], Any]] = {
            "approve": lambda: service.approve(actor, approval),
            "reject": lambda: service.reject(actor, approval, "no"),
            "delegate": lambda: service.delegate(actor, approval, "dan"),
            "withdraw": lambda: service.withdraw(actor, approval),
        }
        self._try(calls[verb], actor)

    @rule(actor=ACTORS_ANY, hours=st.integers(min_value=0, max_value=48))
    def tick(self, actor: Actor, hours: int) -> None:
        self.world.clock.advance(timedelta(hours=hours))
        self._try(lambda: self.world.crm.approvals.tick(actor), actor)

    # -- receivables ------------------------------------------------------------------------
    @rule(target=payments, actor=ACTORS_ANY, cents=CENTS)
    def record(self, actor: Actor, cents: int) -> Any:
        rec = self._pick(Receivable, 0)
        amount = Money(cents, "CNY") / 100
        paid = self._try(
            lambda: self.world.crm.receivables.record_payment(actor, rec, amount, received_on=D),
            actor,
        )
        return self._kept(paid)

    @rule(actor=ACTORS_ANY, payment=payments, confirm=st.booleans())
    def decide_payment(self, actor: Actor, payment: str, confirm: bool) -> None:
        rec = self._pick(Receivable, 0)
        service = self.world.crm.receivables
        self._try(
            lambda: (
                service.confirm_payment(actor, rec, payment)
                if confirm
                else service.reject_payment(actor, rec, payment, "bounced")
            ),
            actor,
        )

    @rule(actor=ACTORS_ANY, payment=payments)
    def reverse_payment(self, actor: Actor, payment: str) -> None:
        rec = self._pick(Receivable, 0)
        self._try(
            lambda: self.world.crm.receivables.reverse_payment(actor, rec, payment, "bounced"),
            actor,
        )

    @rule(
        actor=ACTORS_ANY,
        cents=st.integers(min_value=1, max_value=8_000),
        code=st.sampled_from(["bank_fee", "small_difference", "typo"]),
    )
    def write_off(self, actor: Actor, cents: int, code: str) -> None:
        rec = self._pick(Receivable, 0)
        amount = Money(cents, "CNY") / 100
        self._try(lambda: self.world.crm.receivables.write_off(actor, rec, amount, code), actor)

    @rule(target=invoices, actor=ACTORS_ANY, cents=CENTS)
    def request_invoice(self, actor: Actor, cents: int) -> Any:
        rec = self._pick(Receivable, 0)
        amount = Money(cents, "CNY") / 100
        invoice = self._try(
            lambda: self.world.crm.receivables.request_invoice(
                actor, rec, amount, title="Acme", tax_id="1", address="S"
            ),
            actor,
        )
        return self._kept(invoice)

    @rule(actor=ACTORS_ANY, invoice=invoices, issue=st.booleans())
    def decide_invoice(self, actor: Actor, invoice: str, issue: bool) -> None:
        rec = self._pick(Receivable, 0)
        n = invoice.rsplit("I", 1)[-1]
        service = self.world.crm.receivables
        self._try(
            lambda: (
                service.issue_invoice(actor, rec, invoice, f"No. {n}")
                if issue
                else service.reject_invoice(actor, rec, invoice, "wrong")
            ),
            actor,
        )

    @rule(actor=ACTORS_ANY, days=st.integers(min_value=0, max_value=20))
    def remind(self, actor: Actor, days: int) -> None:
        self.world.clock.advance(timedelta(days=days))
        self._try(lambda: self.world.crm.receivables.send_reminders(actor), actor)

    def teardown(self) -> None:
        """Whatever the walk produced round-trips through the SQLite adapter too."""
        if not hasattr(self, "world"):
            return
        with self.world.storage.unit_of_work() as uow:
            stored = [(kind, uow.repository(kind.cls).find()) for kind in KINDS]
        for kind, aggregates in stored:
            if aggregates:
                round_trip(kind, aggregates, sqlite_only=True)

    # -- invariants -------------------------------------------------------------------------
    @invariant()
    def leads_and_pools_agree(self) -> None:
        with self.world.storage.unit_of_work() as uow:
            leads = uow.repository(Lead).find()
            for lead in leads:
                held = lead.status in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING_UP)
                if held:
                    assert lead.owner_id is not None
                if lead.status is LeadStatus.NEW:
                    assert lead.owner_id is None
            for pool in uow.repository(Pool).find():
                counted = {m: pool.open_leads(m) for m in pool.members}
                mine = [lead for lead in leads if lead.pool_id == pool.id]
                recounted = pool.recount(mine)
                assert {m: n for m, n in recounted.items() if n} == {
                    m: n for m, n in counted.items() if n
                }

    @invariant()
    def approvals_and_links_agree(self) -> None:
        with self.world.storage.unit_of_work() as uow:
            instances = {a.id: a for a in uow.repository(ApprovalInstance).find()}
            for link in uow.repository(ApprovalLink).find():
                pending = instances[link.id].status is ApprovalStatus.PENDING
                assert (link.status is LinkStatus.WAITING) == pending
            for opp in uow.repository(Opportunity).find():
                if opp.stage == "contract" and opp.status is OpportunityStatus.OPEN:
                    ref = opp.history[-1].approval_ref
                    assert ref is not None
                    assert instances[ref].status is ApprovalStatus.APPROVED

    @invariant()
    def receivable_figures_add_up(self) -> None:
        with self.world.storage.unit_of_work() as uow:
            for rec in uow.repository(Receivable).find():
                b = rec.balance(D + timedelta(days=400))
                assert b.invoiced + b.pending_invoice + b.not_yet_invoiced == b.net_amount
                assert b.outstanding == sum(
                    (i.outstanding for i in b.installments), Money.zero("CNY")
                )
                confirmed = [p for p in rec.payments if p.state is PaymentState.CONFIRMED]
                assert b.received == sum((p.amount for p in confirmed), Money.zero("CNY"))
                # the receivable identity of issue 16, after reversals and write-offs too
                applied = b.received - b.refunded - b.advance
                assert applied + b.outstanding + b.written_off == b.net_amount
                assert min(applied.amount, b.outstanding.amount, b.written_off.amount) >= 0
                assert all(p.decided_by != p.recorded_by for p in rec.payments if p.decided_by)

    @invariant()
    def nobody_is_told_of_their_own_action(self) -> None:
        for n in self.world.notifier.sent:
            assert (
                n.recipient_id != n.event.actor_id
                or n.event.actor_id == "system"
                or DEFAULT_ROUTES.routes[n.event.event_name].notify_actor  # reminders
            )


def test_the_machine_reaches_the_interesting_states() -> None:
    """A fixed walk, so the random one is known to start from somewhere that works."""
    machine = ServicesMachine()
    machine.start()
    ann, mia, fay = ACTORS["ann"], ACTORS["mia"], ACTORS["fay"]
    opp = machine.create_opportunity(ann, 500_000)
    approval = machine.advance(ann, opp, "contract")
    machine.decide(mia, approval, "approve")
    payment = machine.record(ann, 10_000)
    machine.decide_payment(fay, payment, True)
    invoice = machine.request_invoice(ann, 5_000)
    machine.decide_invoice(fay, invoice, True)
    machine.approvals_and_links_agree()
    machine.receivable_figures_add_up()
    assert machine.refused == 0
    machine.decide_payment(fay, payment, True)  # out of order: already confirmed
    assert machine.refused == 1
    assert machine.attributed >= 8  # every committed event named its actor


ServicesMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=40, deadline=None
)
TestServicesMachine = ServicesMachine.TestCase
