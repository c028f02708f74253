"""Random actors make random (and out-of-order) order-to-cash calls through the services: no
invariant of orders, their receivables or their approvals breaks, and a refused call changes
nothing and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import CrmError
from crmcore.money import Money, Percent
from crmcore.orders import Order, OrderStatus, ReturnDisposition
from crmcore.ports import Actor
from crmcore.pricing import LineRequest, PercentOff
from crmcore.receivables import Receivable
from crmcore.services import ApprovalLink, LinkStatus
from crmcore.workflow import ApprovalInstance, ApprovalStatus
from tests.services.helpers import ACTORS, World, memory_world

ANYONE = st.sampled_from(
    [*(ACTORS[name] for name in sorted(ACTORS)), Actor("eve", {"sales"}), Actor("x", set())]
)
#: The people who would normally make each step, more often than not.
LIKELY = st.sampled_from(
    [ACTORS["ann"], ACTORS["ann"], ACTORS["mia"], ACTORS["sid"], ACTORS["sid"]]
)
FINANCE = st.sampled_from([ACTORS["fay"], ACTORS["fin"], ACTORS["ann"]])
DISCOUNT = st.sampled_from(["0", "5", "20", "40"])
CONFIRMED = {
    OrderStatus.CONFIRMED,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.RECEIVED,
    OrderStatus.COMPLETED,
}


class OrdersMachine(RuleBasedStateMachine):
    world: World
    orders = Bundle("orders")

    @initialize()
    def start(self) -> None:
        self.world = memory_world()
        self.refused = 0

    def _try(self, call: Callable[[], Any]) -> Any:
        before = self.world.snapshot()
        sent = len(self.world.notifier.sent)
        try:
            return call()
        except CrmError:
            self.refused += 1
            assert self.world.snapshot() == before
            assert len(self.world.notifier.sent) == sent
            return None

    def _receivable(self, order_id: str) -> Receivable | None:
        with self.world.storage.unit_of_work() as uow:
            found = uow.repository(Receivable).find(customer="acme")
        return next((r for r in found if r.id == f"AR-{order_id}"), None)

    # -- rules ----------------------------------------------------------------------------
    @rule(
        target=orders,
        actor=st.one_of(LIKELY, ANYONE),
        drills=st.integers(1, 4),
        saws=st.integers(0, 3),
    )
    def draft(self, actor: Actor, drills: int, saws: int) -> Any:
        lines = [LineRequest("DRILL", drills)] + ([LineRequest("SAW", saws)] if saws else [])
        made = self._try(
            lambda: self.world.crm.orders.draft(
                actor, customer="acme", currency="CNY", lines=lines
            )
        )
        return made.id if made is not None else f"missing-{drills}-{saws}"

    @rule(target=orders, discount=DISCOUNT, ship=st.booleans())
    def sell(self, discount: str, ship: bool) -> Any:
        """Ann drafts, prices and submits in one go (confirmed, or waiting for Mia); Sid may
        ship it at once: so the walks reach the later states often."""
        ann = ACTORS["ann"]
        order = self.draft(ann, 2, 1)
        self.price(ann, order, discount)
        self.submit(ann, order)
        if ship:
            self.ship(ACTORS["sid"], order, None)
        return order

    @rule(actor=LIKELY, order=orders, discount=DISCOUNT)
    def price(self, actor: Actor, order: str, discount: str) -> None:
        crm = self.world.crm
        if discount != "0":
            self._try(lambda: crm.orders.set_discount(actor, order, PercentOff(Percent(discount))))
        self._try(lambda: crm.orders.price(actor, order))

    @rule(actor=LIKELY, order=orders)
    def submit(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.submit(actor, order))

    @rule(actor=LIKELY, order=orders, verb=st.sampled_from(["approve", "reject", "withdraw"]))
    def decide(self, actor: Actor, order: str, verb: str) -> None:
        orders = self.world.crm.orders
        calls: dict[str, Callable[[], Any]] = {
            "approve": lambda: orders.approve(actor, order),
            "reject": lambda: orders.reject(actor, order, "too deep"),
            "withdraw": lambda: orders.withdraw(actor, order),
        }
        self._try(calls[verb])

    @rule(actor=LIKELY, order=orders, drills=st.sampled_from([None, 1, 5]))
    def ship(self, actor: Actor, order: str, drills: int | None) -> None:
        quantities = None if drills is None else {0: drills}
        self._try(lambda: self.world.crm.orders.ship(actor, order, quantities))

    @rule(actor=LIKELY, order=orders)
    def receive(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.confirm_receipt(actor, order))

    @rule(actor=LIKELY, order=orders, reship=st.booleans())
    def give_back(self, actor: Actor, order: str, reship: bool) -> None:
        how = ReturnDisposition.RESHIP if reship else ReturnDisposition.CLOSE
        self._try(
            lambda: self.world.crm.orders.record_return(
                actor, order, {0: 1}, "broken", disposition=how
            )
        )

    @rule(actor=LIKELY, order=orders)
    def short_close(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.short_close(actor, order, "no more"))

    @rule(order=orders, issuer=FINANCE)
    def issue_credit_notes(self, order: str, issuer: Actor) -> None:
        receivable = self._receivable(order)
        for credit in () if receivable is None else receivable.credit_notes:
            self._issue_credit_note(issuer, order, credit.id)

    def _issue_credit_note(self, issuer: Actor, order: str, credit_id: str) -> None:
        rec = self.world.crm.receivables
        self._try(lambda: rec.issue_credit_note(issuer, f"AR-{order}", credit_id, "CN"))

    @rule(actor=ANYONE, order=orders)
    def cancel(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.cancel(actor, order, "changed plans"))

    @rule(actor=LIKELY, order=orders)
    def reorder(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.reorder(actor, order))

    @rule(order=orders, checker=FINANCE, whole=st.booleans(), confirm=st.booleans())
    def pay(self, order: str, checker: Actor, whole: bool, confirm: bool) -> None:
        crm, ann = self.world.crm, ACTORS["ann"]
        view = self._try(lambda: crm.queries.payment_view(ann, f"AR-{order}"))
        if view is None or view.outstanding.amount <= 0:
            return
        amount = view.outstanding if whole else view.next_amount_due
        paid = self._try(
            lambda: crm.receivables.record_payment(
                ann, f"AR-{order}", amount, received_on=self.world.clock.now().date()
            )
        )
        if paid is None:
            return
        rec = crm.receivables
        self._try(
            lambda: (
                rec.confirm_payment(checker, f"AR-{order}", paid.id)
                if confirm
                else rec.reject_payment(checker, f"AR-{order}", paid.id, "bounced")
            )
        )

    @rule(order=orders, issuer=FINANCE)
    def invoice(self, order: str, issuer: Actor) -> None:
        crm, ann = self.world.crm, ACTORS["ann"]
        view = self._try(lambda: crm.queries.invoice_view(ann, f"AR-{order}"))
        if view is None or view.not_yet_invoiced.amount <= 0:
            return
        asked = self._try(
            lambda: crm.receivables.request_invoice(
                ann, f"AR-{order}", view.not_yet_invoiced, title="A", tax_id="1", address="S"
            )
        )
        if asked is not None:
            self._try(lambda: crm.receivables.issue_invoice(issuer, f"AR-{order}", asked.id, "N"))

    @rule(actor=ANYONE, order=orders)
    def complete(self, actor: Actor, order: str) -> None:
        self._try(lambda: self.world.crm.orders.complete(actor, order))

    @rule(hours=st.integers(0, 30))
    def wait(self, hours: int) -> None:
        self.world.clock.advance(hours=hours)

    # -- invariants -----------------------------------------------------------------------
    @invariant()
    def note_how_far_orders_got(self) -> None:
        """For --hypothesis-show-statistics: which states the random walks reach."""
        with self.world.storage.unit_of_work() as uow:
            for order in uow.repository(Order).find():
                event(f"an order was {order.status.value}")

    @invariant()
    def orders_receivables_and_approvals_agree(self) -> None:
        with self.world.storage.unit_of_work() as uow:
            orders = uow.repository(Order).find()
            receivables = {r.id: r for r in uow.repository(Receivable).find()}
            links = uow.repository(ApprovalLink).find()
            instances = {a.id: a for a in uow.repository(ApprovalInstance).find()}
        waiting = {link.subject_id for link in links if link.status is LinkStatus.WAITING}
        for link in links:
            pending = instances[link.id].status is ApprovalStatus.PENDING
            assert (link.status is LinkStatus.WAITING) == pending
        day = self.world.clock.now().date()
        for order in orders:
            assert (order.status is OrderStatus.PENDING_APPROVAL) == (order.id in waiting)
            receivable = receivables.get(f"AR-{order.id}")
            if order.status in CONFIRMED:
                assert receivable is not None
                assert order.grand_total is not None
                assert receivable.amount == order.grand_total
                balance = receivable.balance(day)
                assert balance.net_amount == order.net_amount
                # a credit note the return asked for covers the excess until finance issues it
                credit = balance.credited + balance.pending_credit
                assert balance.invoiced - credit <= balance.net_amount
            elif order.status is OrderStatus.DRAFT:
                assert receivable is None
            if order.status is OrderStatus.CANCELLED and receivable is not None:
                assert receivable.balance(day).net_amount.amount == 0
            for line in order.priced_lines:
                shipped = order.shipped_quantity(line.index)
                assert order.returned_quantity(line.index) <= shipped
                left = order.remaining_to_ship().get(line.index, Decimal(0))
                delivered = order.delivered_quantity(line.index)
                assert delivered + order.closed_quantity(line.index) + left == line.quantity
            if order.status is OrderStatus.COMPLETED:
                assert receivable is not None
                b = receivable.balance(day)
                assert (b.outstanding.amount, b.not_yet_invoiced.amount) == (0, 0)
            assert sum((r.amount for r in order.returns), Money.zero("CNY")) == (
                order.returned_amount
            )


def test_the_orders_machine_reaches_completion() -> None:
    machine = OrdersMachine()
    machine.start()
    ann, mia, sid = ACTORS["ann"], ACTORS["mia"], ACTORS["sid"]
    order = machine.draft(ann, 3, 2)
    machine.price(ann, order, "20")
    machine.submit(ann, order)
    machine.decide(mia, order, "approve")
    machine.ship(sid, order, 1)
    machine.ship(sid, order, None)
    machine.receive(sid, order)
    machine.give_back(ann, order, False)
    machine.pay(order, ACTORS["fay"], True, True)
    machine.invoice(order, ACTORS["fay"])
    machine.complete(ann, order)
    machine.orders_receivables_and_approvals_agree()
    assert machine.refused == 0
    with machine.world.storage.unit_of_work() as uow:
        assert uow.repository(Order).get(order).status is OrderStatus.COMPLETED
    machine.cancel(ann, order)  # out of order: completed orders are not cancelled
    assert machine.refused == 1
    # a return from the completed order asks for a credit note; finance issues it
    machine.give_back(ann, order, False)
    machine.issue_credit_notes(order, ACTORS["fay"])
    machine.orders_receivables_and_approvals_agree()
    assert machine.refused == 1
    receivable = machine._receivable(order)
    assert receivable is not None
    assert [c.state.value for c in receivable.credit_notes] == ["issued"]


OrdersMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=40, deadline=None)
TestOrdersMachine = OrdersMachine.TestCase
