"""Random actors making random calls on one order (and its receivable): invariants hold."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmcore.errors import CrmError
from crmcore.money import Percent
from crmcore.orders import ORDER_LIFECYCLE, Order, OrderStatus, open_receivable, record_return_on
from crmcore.pricing import LineRequest, PercentOff
from crmcore.receivables import Receivable
from crmcore.serialization import from_dict, to_dict
from tests.orders.order_support import (
    ACTORS,
    ENGINE,
    FINANCE,
    MANAGER,
    SALES,
    SHIPPING,
    TERMS,
    at,
    new_order,
)

#: (from, to) pairs the lifecycle declares; a call may also leave the status as it was.
DECLARED = {(s, t.target) for t in ORDER_LIFECYCLE.transitions for s in t.sources}

actors = st.sampled_from(ACTORS)
skus = st.sampled_from(["DRILL", "SAW", "BIT"])
quantities = st.integers(1, 4)
lines = st.integers(0, 3)


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order = new_order(lines=[LineRequest("DRILL", 2)])
        self.receivable: Receivable | None = None
        self.clock = 0
        self.seen = list(self.order.history)

    def now(self) -> Any:
        self.clock += 1
        return at(3 + self.clock // 24, self.clock % 24)

    def attempt(self, call: Callable[[], object]) -> None:
        before = to_dict(self.order)
        status = self.order.status
        try:
            call()
        except CrmError:
            assert to_dict(self.order) == before, "a refused call changed the order"
            return
        after = self.order.status
        assert after == status or (status, after) in DECLARED, (status, after)

    @rule(actor=actors, sku=skus, quantity=quantities)
    def add_line(self, actor: Any, sku: str, quantity: int) -> None:
        self.attempt(lambda: self.order.add_line(actor, LineRequest(sku, quantity), at=self.now()))

    @rule(actor=actors, index=lines)
    def remove_line(self, actor: Any, index: int) -> None:
        self.attempt(lambda: self.order.remove_line(actor, index, at=self.now()))

    @rule(actor=actors, percent=st.sampled_from([0, 5, 20]))
    def discount(self, actor: Any, percent: int) -> None:
        self.attempt(
            lambda: self.order.set_order_discount(
                actor, PercentOff(Percent(percent)), at=self.now()
            )
        )

    @rule(actor=actors)
    def price(self, actor: Any) -> None:
        self.attempt(lambda: self.order.price(ENGINE, actor, at=self.now()))

    @rule(actor=actors, approval=st.booleans())
    def submit(self, actor: Any, approval: bool) -> None:
        self.attempt(lambda: self.order.submit(actor, at=self.now(), approval_required=approval))

    @rule(actor=actors)
    def approve(self, actor: Any) -> None:
        self.attempt(lambda: self.order.approve(actor, at=self.now()))

    @rule(actor=actors)
    def reject(self, actor: Any) -> None:
        self.attempt(lambda: self.order.reject(actor, at=self.now(), reason="no"))

    @rule(actor=actors)
    def withdraw(self, actor: Any) -> None:
        self.attempt(lambda: self.order.withdraw(actor, at=self.now()))

    @rule(actor=actors, dice=st.integers(0, 3))
    def cancel(self, actor: Any, dice: int) -> None:
        if dice == 0:  # cancelling ends the story: try it less often than the other calls
            self.attempt(lambda: self.order.cancel(actor, at=self.now(), reason="changed plans"))

    @rule(approval=st.booleans(), partial=st.booleans())
    def advance(self, approval: bool, partial: bool) -> None:
        """The next step of the ordinary story, by the person who would take it."""
        order = self.order
        steps: dict[OrderStatus, Callable[[], object]] = {
            OrderStatus.DRAFT: lambda: (
                order.submit(SALES, at=self.now(), approval_required=approval)
                if order.is_price_current
                else order.price(ENGINE, SALES, at=self.now())
            ),
            OrderStatus.PENDING_APPROVAL: lambda: order.approve(MANAGER, at=self.now()),
            OrderStatus.CONFIRMED: lambda: (
                order.ship(
                    SHIPPING, dict([next(iter(order.remaining_to_ship().items()))]), at=self.now()
                )
                if partial
                else order.ship_remaining(SHIPPING, at=self.now())
            ),
            OrderStatus.PARTIALLY_SHIPPED: lambda: order.ship_remaining(SHIPPING, at=self.now()),
            OrderStatus.SHIPPED: lambda: order.confirm_receipt(SHIPPING, at=self.now()),
        }
        if order.status in steps:
            self.attempt(steps[order.status])
        elif order.status is OrderStatus.RECEIVED:
            if self.receivable is None:
                self.open_receivable()
            self.settle()
            self.complete(FINANCE)

    @rule(actor=actors, line=lines, quantity=quantities)
    def ship(self, actor: Any, line: int, quantity: int) -> None:
        self.attempt(lambda: self.order.ship(actor, {line: quantity}, at=self.now()))

    @rule(actor=actors)
    def ship_remaining(self, actor: Any) -> None:
        self.attempt(lambda: self.order.ship_remaining(actor, at=self.now()))

    @rule(actor=actors)
    def confirm_receipt(self, actor: Any) -> None:
        self.attempt(lambda: self.order.confirm_receipt(actor, at=self.now()))

    @precondition(lambda self: self.receivable is None)
    @rule()
    def open_receivable(self) -> None:
        try:
            self.receivable = open_receivable(
                self.order, TERMS, "AR-1", actor=SALES, at=self.now()
            )
        except CrmError:
            assert self.order.confirmed_at is None or self.order.status is OrderStatus.CANCELLED

    @rule(actor=actors, line=lines, quantity=quantities)
    def record_return(self, actor: Any, line: int, quantity: int) -> None:
        before = to_dict(self.order)
        try:
            note = self.order.record_return(actor, {line: quantity}, at=self.now(), reason="bad")
        except CrmError:
            assert to_dict(self.order) == before, "a refused return changed the order"
            return
        if self.receivable is None:
            return
        try:
            record_return_on(self.receivable, note, actor=SALES, at=self.now())
        except CrmError:
            # The receivable refused (money already received): the unit of work rolls back.
            self.order = from_dict(Order, before)
            self.seen = list(self.order.history)

    @precondition(lambda self: self.receivable is not None)
    @rule()
    def settle(self) -> None:
        receivable = self.receivable
        assert receivable is not None
        balance = receivable.balance(self.now().date())
        try:
            if balance.outstanding.amount > 0:
                p = receivable.record_payment(
                    SALES, balance.outstanding, received_on=self.now().date(), at=self.now()
                )
                receivable.confirm_payment(FINANCE, p.id, at=self.now())
            balance = receivable.balance(self.now().date())
            if balance.not_yet_invoiced.amount > 0:
                inv = receivable.request_invoice(
                    SALES,
                    balance.not_yet_invoiced,
                    title="t",
                    tax_id="1",
                    address="a",
                    at=self.now(),
                )
                receivable.issue_invoice(FINANCE, inv.id, number="N", at=self.now())
        except CrmError:
            pass

    @precondition(lambda self: self.receivable is not None)
    @rule(actor=actors)
    def complete(self, actor: Any) -> None:
        receivable = self.receivable
        assert receivable is not None
        when = self.now()
        self.attempt(
            lambda: self.order.complete(actor, at=when, balance=receivable.balance(when.date()))
        )

    @invariant()
    def quantities_stay_within_bounds(self) -> None:
        for line in self.order.priced_lines:
            shipped = self.order.shipped_quantity(line.index)
            assert Decimal(0) <= shipped <= line.quantity
            assert self.order.returned_quantity(line.index) <= shipped
            assert self.order.received_quantity(line.index) <= shipped
            left = self.order.remaining_to_ship().get(line.index, Decimal(0))
            delivered = self.order.delivered_quantity(line.index)
            assert delivered + self.order.closed_quantity(line.index) + left == line.quantity
        if self.order.status in (OrderStatus.SHIPPED, OrderStatus.RECEIVED):
            assert self.order.remaining_to_ship() == {}

    @invariant()
    def history_only_grows_and_chains_states(self) -> None:
        history = list(self.order.history)
        assert history[: len(self.seen)] == self.seen
        self.seen = history
        for previous, later in itertools.pairwise(history):
            assert later.from_status == previous.to_status  # type: ignore[attr-defined]
        assert history[-1].to_status is self.order.status  # type: ignore[attr-defined]

    @invariant()
    def returns_are_exact(self) -> None:
        for line in self.order.priced_lines:
            if self.order.returned_quantity(line.index) == line.quantity:
                returned = sum(
                    r.amount.amount
                    for n in self.order.returns
                    for r in n.lines
                    if r.line == line.index
                )
                assert returned == line.total.amount

    @invariant()
    def round_trips(self) -> None:
        event(f"status {self.order.status.name}")
        assert from_dict(Order, to_dict(self.order)) == self.order


OrderLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=50)
TestOrderLifecycle = OrderLifecycle.TestCase
