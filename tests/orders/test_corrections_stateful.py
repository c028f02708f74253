"""A stateful property over order-to-cash corrections (issue 16).

Random orders (random prices, quantities and tax, with and without cash rounding, rounding
half up or down) go through random partial shipments, receipts per shipment, returns
(closed or to ship again), short-closes, payments (some earning a 2/10 early-payment
discount), write-offs, invoices (issued at once or
left requested), credit notes by hand and refunds of customer credit. After every step:

- the receivable identity: net amount = (received − refunded − advance) + outstanding +
  written off, the advance being the customer credit; (invoiced − credited) + (pending
  invoice − pending credit) + not yet invoiced = net amount; invoiced − credited ≤ net
  amount; nothing negative;
- the order's net amount is the receivable's; per line, ordered = delivered + closed + left
  to ship;
- a refused step changes neither the order nor the receivable.

At the end everything still with the customer is returned: the net amount, the outstanding
and invoiced − credited are then exactly zero.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from crmcore.errors import CrmError
from crmcore.money import Money, Percent
from crmcore.orders import (
    Order,
    OrderStatus,
    ReturnDisposition,
    open_receivable,
    record_return_on,
    record_short_close_on,
)
from crmcore.ports import Actor
from crmcore.pricing import (
    CashRounding,
    Catalog,
    Customer,
    LineRequest,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RoundingMode,
    RuleBook,
)
from crmcore.receivables import (
    DueRule,
    EarlyDiscount,
    InvoiceState,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivablePolicy,
    ReturnCreditPolicy,
    TermLine,
    WriteOffRules,
)
from crmcore.serialization import from_dict, to_dict
from tests.orders.order_support import FINANCE, SALES, SHIPPING, TERMS

FINANCE2 = Actor("frank", {"finance"})
START = datetime(2026, 3, 2, 9)
RULES = WriteOffRules.standard()
TWO_TEN = PaymentTerms(
    "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
)
ZERO = Decimal(0)

#: at least 1.00 a unit, so every order (rounded down to whole yuan) has two installments
prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500"), places=2)
roundings = st.sampled_from(
    [
        None,
        (Decimal("0.05"), RoundingMode.HALF_UP),
        (Decimal(1), RoundingMode.HALF_UP),
        (Decimal("0.10"), RoundingMode.DOWN),
        (Decimal(1), RoundingMode.DOWN),
    ]
)
fractions = st.integers(1, 100)


def _part(total: Decimal, percent: int) -> Decimal:
    """``percent`` % of ``total`` rounded down to the cent, at least one cent."""
    return max(Decimal("0.01"), (total * percent / 100).quantize(Decimal("0.01"), "ROUND_DOWN"))


class Corrections(RuleBasedStateMachine):
    order: Order
    receivable: Receivable

    @initialize(
        items=st.lists(st.tuples(prices, st.integers(1, 6)), min_size=1, max_size=3),
        tax=st.sampled_from([0, 13]),
        rounding=roundings,
        refund=st.booleans(),
        early=st.booleans(),
    )
    def sell(
        self,
        items: list[tuple[Decimal, int]],
        tax: int,
        rounding: tuple[Decimal, RoundingMode] | None,
        refund: bool,
        early: bool,
    ) -> None:
        skus = [f"P{i}" for i in range(len(items))]
        engine = PricingEngine(
            Catalog(products=[Product(s, s) for s in skus], customers=[Customer("acme")]),
            [
                PriceList(
                    "STD",
                    "CNY",
                    [PriceListItem(s, p) for s, (p, _) in zip(skus, items, strict=True)],
                )
            ],
            RuleBook([]),
            PricingPolicy(
                default_tax_rate=Percent(tax),
                cash_rounding=None if rounding is None else CashRounding(*rounding),
            ),
        )
        self.clock = START
        self.order = Order.draft(
            "SO-1",
            customer="acme",
            owner_id=SALES.user_id,
            currency="CNY",
            actor=SALES,
            at=self.now(),
            lines=[LineRequest(s, q) for s, (_, q) in zip(skus, items, strict=True)],
        )
        self.order.price(engine, SALES, at=self.now())
        self.order.submit(SALES, at=self.now(), approval_required=False)
        policy = ReceivablePolicy(
            return_credit=ReturnCreditPolicy.REFUND if refund else ReturnCreditPolicy.ADVANCE
        )
        self.receivable = open_receivable(
            self.order,
            TWO_TEN if early else TERMS,
            "AR-1",
            actor=SALES,
            at=self.now(),
            policy=policy,
        )

    # -- helpers ----------------------------------------------------------------------------
    def now(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def attempt(self, step: Callable[[], object]) -> bool:
        """Run ``step`` as one unit of work: refused, it leaves both aggregates unchanged."""
        order, receivable = to_dict(self.order), to_dict(self.receivable)
        try:
            step()
        except CrmError:
            self.order = from_dict(Order, order)
            self.receivable = from_dict(Receivable, receivable)
            return False
        return True

    def settle_corrections(self) -> None:
        """Finance issues the credit notes returns asked for and confirms their refunds."""
        for credit in self.receivable.credit_notes:
            if credit.state is InvoiceState.REQUESTED and credit.return_id is not None:
                self.receivable.issue_credit_note(FINANCE, credit.id, number="CN", at=self.now())
        for refund in self.receivable.refunds:
            if refund.state.value == "requested":
                self.receivable.confirm_refund(FINANCE, refund.id, at=self.now())

    def lines(self) -> list[int]:
        return [p.index for p in self.order.priced_lines]

    # -- goods ------------------------------------------------------------------------------
    @rule(line=st.integers(0, 2), quantity=st.integers(1, 6))
    def ship(self, line: int, quantity: int) -> None:
        left = self.order.remaining_to_ship().get(line, ZERO)
        if left:
            self.attempt(
                lambda: self.order.ship(
                    SHIPPING, {line: min(Decimal(quantity), left)}, at=self.now()
                )
            )

    @rule(which=st.integers(0, 5))
    def receive_one_shipment(self, which: int) -> None:
        shipments = self.order.shipments
        if shipments:
            sid = shipments[which % len(shipments)].id
            self.attempt(
                lambda: self.order.confirm_receipt(SHIPPING, at=self.now(), shipment_id=sid)
            )

    @rule(line=st.integers(0, 2), quantity=st.integers(1, 6), reship=st.booleans())
    def give_back(self, line: int, quantity: int, reship: bool) -> None:
        if line not in self.lines():
            return
        delivered = self.order.delivered_quantity(line)
        if not delivered:
            return
        how = ReturnDisposition.RESHIP if reship else ReturnDisposition.CLOSE

        def step() -> None:
            at = self.now()
            note = self.order.record_return(
                SALES,
                {line: min(Decimal(quantity), delivered)},
                at=at,
                reason="back",
                disposition=how,
            )
            record_return_on(self.receivable, note, actor=SALES, at=at)
            self.settle_corrections()

        self.attempt(step)

    @precondition(lambda self: self.order.status is OrderStatus.PARTIALLY_SHIPPED)
    @rule()
    def short_close(self) -> None:
        def step() -> None:
            at = self.now()
            closed = self.order.short_close(SALES, at=at, reason="no more")
            record_short_close_on(self.receivable, closed, actor=SALES, at=at)
            self.settle_corrections()

        # refused (nothing changes) while an invoice it would have to credit is only requested
        done = self.attempt(step)
        requested = any(i.state is InvoiceState.REQUESTED for i in self.receivable.invoices)
        assert done or requested

    # -- money ------------------------------------------------------------------------------
    @rule(percent=fractions)
    def pay(self, percent: int) -> None:
        outstanding = self.receivable.balance(self.clock.date()).outstanding.amount
        if outstanding <= 0:
            return

        def step() -> None:
            amount = Money(_part(outstanding, percent), "CNY")
            paid = self.receivable.record_payment(
                SALES, amount, received_on=self.clock.date(), at=self.now()
            )
            self.receivable.confirm_payment(FINANCE, paid.id, at=self.now())

        assert self.attempt(step)

    @rule()
    def pay_early(self) -> None:
        """Pay what is left less the 2 % early-payment discount (2/10 net 30 only)."""
        first = self.receivable.installments[0]
        if first.discount is None:
            return
        outstanding = self.receivable.balance(self.clock.date()).outstanding.amount
        left = outstanding - first.early_payment_discount(self.clock.date()).amount
        if left <= 0:
            return

        def step() -> None:
            paid = self.receivable.record_payment(
                SALES, Money(left, "CNY"), received_on=self.clock.date(), at=self.now()
            )
            self.receivable.confirm_payment(FINANCE, paid.id, at=self.now())

        assert self.attempt(step)
        if self.receivable.balance(self.clock.date()).discounted.amount > 0:
            event("an early-payment discount was granted")

    @rule(percent=fractions, issue=st.booleans())
    def invoice(self, percent: int, issue: bool) -> None:
        room = self.receivable.balance(self.clock.date()).not_yet_invoiced.amount
        if room <= 0:
            return

        def step() -> None:
            request = self.receivable.request_invoice(
                SALES,
                Money(_part(room, percent), "CNY"),
                title="Acme",
                tax_id="1",
                address="Shanghai",
                at=self.now(),
            )
            if issue:
                self.receivable.issue_invoice(FINANCE, request.id, number="N", at=self.now())

        assert self.attempt(step)

    @rule()
    def issue_requested_invoices(self) -> None:
        for request in self.receivable.invoices:
            if request.state is InvoiceState.REQUESTED:
                self.receivable.issue_invoice(FINANCE2, request.id, number="N", at=self.now())

    @rule(percent=fractions, which=st.integers(0, 5), issue=st.booleans())
    def credit_by_hand(self, percent: int, which: int, issue: bool) -> None:
        issued = [i for i in self.receivable.invoices if i.state is InvoiceState.ISSUED]
        if not issued:
            return
        invoice = issued[which % len(issued)]
        left = invoice.amount.amount - self.receivable.credited_on(invoice.id).amount
        if left <= 0:
            return

        def step() -> None:
            credit = self.receivable.request_credit_note(
                SALES, invoice.id, Money(_part(left, percent), "CNY"), reason="x", at=self.now()
            )
            if issue:
                self.receivable.issue_credit_note(FINANCE, credit.id, number="C", at=self.now())
            else:
                self.receivable.reject_credit_note(FINANCE, credit.id, reason="no", at=self.now())

        assert self.attempt(step)

    @rule(percent=fractions)
    def write_off(self, percent: int) -> None:
        outstanding = self.receivable.balance(self.clock.date()).outstanding.amount
        if outstanding <= 0:
            return
        amount = Money(min(_part(outstanding, percent), Decimal(10)), "CNY")
        assert self.attempt(
            lambda: self.receivable.write_off(
                FINANCE, amount, reason_code="small_difference", rules=RULES, at=self.now()
            )
        )

    @rule()
    def refund_the_advance(self) -> None:
        advance = self.receivable.balance(self.clock.date()).advance
        if advance.amount <= 0:
            return

        def step() -> None:
            refund = self.receivable.request_refund(SALES, advance, reason="credit", at=self.now())
            self.receivable.confirm_refund(FINANCE, refund.id, at=self.now())

        self.attempt(step)  # refused under invoice-after-payment rules only; never here

    # -- checks -----------------------------------------------------------------------------
    @invariant()
    def the_receivable_identity_holds(self) -> None:
        b = self.receivable.balance(self.clock.date())
        zero = Money.zero("CNY")
        assert (
            b.net_amount == (b.received - b.refunded - b.advance) + b.outstanding + b.written_off
        )
        billed = (b.invoiced - b.credited) + (b.pending_invoice - b.pending_credit)
        assert billed + b.not_yet_invoiced == b.net_amount
        assert b.invoiced - b.credited <= b.net_amount
        for figure in (
            b.net_amount,
            b.received,
            b.refunded,
            b.advance,
            b.outstanding,
            b.written_off,
            b.invoiced,
            b.credited,
            b.pending_invoice,
            b.pending_credit,
            b.not_yet_invoiced,
            b.invoiced - b.credited,
        ):
            assert figure >= zero, b
        assert sum((i.outstanding for i in b.installments), zero) == b.outstanding
        # the order's worth less its early-payment discount is the receivable's net amount
        assert self.order.net_amount == b.net_amount + b.discounted

    @invariant()
    def quantities_add_up(self) -> None:
        for p in self.order.priced_lines:
            i = p.index
            left = self.order.remaining_to_ship().get(i, ZERO)
            delivered = self.order.delivered_quantity(i)
            closed = self.order.closed_quantity(i)
            assert min(delivered, closed, left) >= 0
            assert delivered + closed + left == p.quantity

    def teardown(self) -> None:
        """Return everything still with the customer: exactly zero is left."""
        if not hasattr(self, "order"):
            return
        self.issue_requested_invoices()
        if self.order.status is OrderStatus.CONFIRMED:
            self.order.ship_remaining(SHIPPING, at=self.now())
        elif self.order.status is OrderStatus.PARTIALLY_SHIPPED:
            self.short_close()
        back = {i: q for i in self.lines() if (q := self.order.delivered_quantity(i)) > 0}
        if back:
            at = self.now()
            note = self.order.record_return(SALES, back, at=at, reason="everything back")
            record_return_on(self.receivable, note, actor=SALES, at=at)
            self.settle_corrections()
        b = self.receivable.balance(self.clock.date())
        zero = Money.zero("CNY")
        assert (b.net_amount, b.outstanding, b.invoiced - b.credited) == (zero, zero, zero)
        assert b.written_off == zero  # the goods came back: the write-offs are taken back
        assert b.discounted == zero  # and the early-payment discount on them
        assert self.order.net_amount == zero
        assert b.received - b.refunded == b.advance
        self.the_receivable_identity_holds()


Corrections.TestCase.settings = settings(
    settings.default, stateful_step_count=30, suppress_health_check=[HealthCheck.too_slow]
)
TestCorrections = Corrections.TestCase
