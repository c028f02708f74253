"""Random sequences of record / confirm / reject / refund / return / invoice / allocate on two
receivables of one customer (including transfers split over both); after every step the money
invariants hold and every refused command changed nothing (Hypothesis stateful test)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import CrmError
from crmcore.money import Money
from crmcore.receivables import (
    InvoiceState,
    InvoicingPolicy,
    OverpaymentPolicy,
    PaymentState,
    PaymentTerms,
    Receivable,
    ReceivablePolicy,
    RefundState,
    aging,
    record_customer_payment,
)
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES, TERMS_30_50_20

AMOUNTS = st.integers(min_value=1, max_value=25_000).map(lambda c: Money.of_minor(c, "CNY"))
#: None: a random amount; a number: that percent of what the receivable has room for now,
#: so that refunds, returns and invoices also succeed often enough to matter.
SHARES = st.one_of(st.none(), st.integers(1, 110), st.integers(1, 100))
ZERO = Money.zero("CNY")


class ReceivableMachine(RuleBasedStateMachine):
    """Drives one receivable; refused commands must leave every figure unchanged."""

    @initialize(
        overpayment=st.sampled_from(OverpaymentPolicy),
        invoicing=st.sampled_from(InvoicingPolicy),
        amount=st.integers(min_value=100, max_value=5_000),
    )
    def open(
        self, overpayment: OverpaymentPolicy, invoicing: InvoicingPolicy, amount: int
    ) -> None:
        self.now = datetime(2024, 1, 1, 9)
        policy = ReceivablePolicy(overpayment=overpayment, invoicing=invoicing)
        self.receivables = [
            Receivable.open(
                "SO-S",
                customer="acme",
                owner_id="sally",
                amount=Money(amount, "CNY"),
                issue_date=self.now.date(),
                terms=TERMS_30_50_20,
                actor=SALES,
                at=self.now,
                policy=policy,
            ),
            Receivable.open(
                "SO-T",
                customer="acme",
                owner_id="tom",
                amount=Money(amount // 3 + 1, "CNY"),
                issue_date=self.now.date(),
                terms=PaymentTerms.net(10),
                actor=SALES,
                at=self.now,
                policy=policy,
            ),
        ]
        self.receivable = self.receivables[0]
        self.done: dict[str, bool] = {}

    def tick(self, hours: int) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    def state(self) -> list[tuple[object, ...]]:
        return [
            (
                r.balance(date(2099, 1, 1)),
                r.payments,
                r.refunds,
                r.returns,
                r.invoices,
                len(r.history),
            )
            for r in self.receivables
        ]

    def attempt(self, command: object, *args: object, **kwargs: object) -> None:
        """Run a command; if it is refused, nothing may have changed (on either receivable)."""
        before = self.state()
        try:
            command(*args, **kwargs)  # type: ignore[operator]
        except CrmError:
            assert self.state() == before
        else:
            self.done[getattr(command, "__name__", "?")] = True

    @rule(which=st.integers(0, 1))
    def switch(self, which: int) -> None:
        """Later commands act on the other receivable."""
        self.receivable = self.receivables[which]

    @rule(amount=AMOUNTS, hours=st.integers(0, 400), reference=st.integers(0, 5))
    def transfer(self, amount: Money, hours: int, reference: int) -> None:
        """One bank transfer split over both receivables (a reused reference is idempotent)."""
        at = self.tick(hours)
        self.attempt(
            record_customer_payment,
            self.receivables,
            SALES,
            amount,
            reference=f"BANK-{reference}",
            received_on=at.date(),
            at=at,
        )

    def pick(self, items: tuple[object, ...], index: int) -> object | None:
        """Half of the time an item still waiting for a decision, else any item."""
        waiting = [i for i in items if getattr(i, "decided_at", None) is None]
        pool = waiting if waiting and index % 2 == 0 else list(items)
        return pool[index // 2 % len(pool)] if pool else None

    def sized(self, amount: Money, share: int | None, room: Money) -> Money:
        if share is None or room.amount <= 0:
            return amount
        return max((room * share / 100).round(), Money("0.01", "CNY"))

    @rule(
        amount=AMOUNTS, hours=st.integers(0, 400), explicit=st.booleans(), number=st.integers(1, 3)
    )
    def record(self, amount: Money, hours: int, explicit: bool, number: int) -> None:
        at = self.tick(hours)
        allocations = {number: amount} if explicit else None
        self.attempt(
            self.receivable.record_payment,
            SALES,
            amount,
            received_on=at.date(),
            at=at,
            allocations=allocations,
        )

    @rule(index=st.integers(0, 50), hours=st.integers(0, 100), second=st.booleans())
    def confirm(self, index: int, hours: int, second: bool) -> None:
        payment = self.pick(self.receivable.payments, index)
        if payment is not None:
            who = FINANCE2 if second else FINANCE
            self.attempt(self.receivable.confirm_payment, who, payment.id, at=self.tick(hours))  # type: ignore[attr-defined]

    @rule(index=st.integers(0, 50), hours=st.integers(0, 100))
    def reject(self, index: int, hours: int) -> None:
        payment = self.pick(self.receivable.payments, index)
        if payment is not None:
            self.attempt(
                self.receivable.reject_payment,
                FINANCE,
                payment.id,
                reason="bounced",
                at=self.tick(hours),
            )  # type: ignore[attr-defined]

    @rule(amount=AMOUNTS, share=SHARES, hours=st.integers(0, 100))
    def request_refund(self, amount: Money, share: int | None, hours: int) -> None:
        b = self.receivable.balance(self.now.date())
        amount = self.sized(amount, share, b.received - b.refunded)
        self.attempt(
            self.receivable.request_refund, SALES, amount, reason="r", at=self.tick(hours)
        )

    @rule(share=st.integers(1, 100), hours=st.integers(0, 100))
    def refund_at_once(self, share: int, hours: int) -> None:
        """Request a refund of a share of what was kept and have finance confirm it."""
        r = self.receivable
        b = r.balance(self.now.date())
        kept = b.received - b.refunded
        if kept.amount <= 0:
            return
        self.attempt(
            r.request_refund, SALES, self.sized(kept, share, kept), reason="r", at=self.tick(hours)
        )
        if r.refunds and r.refunds[-1].decided_at is None:
            self.attempt(r.confirm_refund, FINANCE, r.refunds[-1].id, at=self.tick(1))

    @rule(index=st.integers(0, 50), hours=st.integers(0, 100), confirm=st.booleans())
    def decide_refund(self, index: int, hours: int, confirm: bool) -> None:
        refund = self.pick(self.receivable.refunds, index)
        if refund is None:
            return
        if confirm:
            self.attempt(self.receivable.confirm_refund, FINANCE, refund.id, at=self.tick(hours))  # type: ignore[attr-defined]
        else:
            self.attempt(
                self.receivable.reject_refund, FINANCE, refund.id, reason="no", at=self.tick(hours)
            )  # type: ignore[attr-defined]

    @rule(amount=AMOUNTS, share=SHARES, hours=st.integers(0, 100))
    def record_return(self, amount: Money, share: int | None, hours: int) -> None:
        amount = self.sized(amount, share, self.receivable.balance(self.now.date()).outstanding)
        self.attempt(
            self.receivable.record_return, SALES, amount, reason="back", at=self.tick(hours)
        )

    @rule(amount=AMOUNTS, share=SHARES, hours=st.integers(0, 100))
    def request_invoice(self, amount: Money, share: int | None, hours: int) -> None:
        b = self.receivable.balance(self.now.date())
        room = self.receivable.invoicing_limit() - b.invoiced - b.pending_invoice
        amount = self.sized(amount, share, room)
        self.attempt(
            self.receivable.request_invoice,
            SALES,
            amount,
            title="T",
            tax_id="X",
            address="A",
            at=self.tick(hours),
        )

    @rule(
        index=st.integers(0, 50),
        hours=st.integers(0, 100),
        action=st.sampled_from(["issue", "reject", "cancel"]),
    )
    def decide_invoice(self, index: int, hours: int, action: str) -> None:
        inv = self.pick(self.receivable.invoices, index)
        if inv is None:
            return
        r = self.receivable
        at = self.tick(hours)
        if action == "issue":
            self.attempt(r.issue_invoice, FINANCE, inv.id, number="N", at=at)  # type: ignore[attr-defined]
        elif action == "reject":
            self.attempt(r.reject_invoice, FINANCE, inv.id, reason="no", at=at)  # type: ignore[attr-defined]
        else:
            self.attempt(r.cancel_invoice, FINANCE, inv.id, reason="red", at=at)  # type: ignore[attr-defined]

    @invariant()
    def money_invariants_hold(self) -> None:
        for r in self.receivables:
            self.check(r)

    def check(self, r: Receivable) -> None:
        # check today and every earlier day a fact happened on: history views are consistent too
        days = {self.now.date()} | {e.occurred_at.date() for e in r.history[-3:]}
        for day in days:
            b = r.balance(day)
            kept = b.received - b.refunded
            assert b.refunded <= b.received
            assert kept == sum((row.paid for row in b.installments), ZERO) + b.advance
            assert kept <= b.net_amount + b.advance
            if r.policy.overpayment is OverpaymentPolicy.REFUSE:
                assert b.advance == ZERO
            limit = r.invoicing_limit(day)
            assert b.invoiced + b.pending_invoice + b.not_yet_invoiced == b.net_amount
            assert b.not_yet_invoiced.amount >= 0
            assert b.invoiced + b.pending_invoice <= limit
            assert sum((row.outstanding for row in b.installments), ZERO) == b.outstanding
            assert sum((row.amount for row in b.installments), ZERO) == b.net_amount
            report = aging([r], day)
            total = report.totals().get("CNY", ZERO)
            assert total == b.outstanding
            for row in report.rows:
                assert sum(row.buckets, ZERO) == row.total
            figures = [
                b.returned,
                b.net_amount,
                b.received,
                b.refunded,
                b.pending_confirmation,
                b.outstanding,
                b.advance,
                b.invoiced,
                b.pending_invoice,
                b.overdue_amount,
            ]
            assert all(m.amount >= 0 for m in figures)
            for row in b.installments:
                assert row.paid.amount >= 0
                assert row.outstanding.amount >= 0
                assert row.amount.amount >= 0
        pending = sum((p.amount for p in r.payments if p.state is PaymentState.PENDING), ZERO)
        assert r.balance(self.now.date()).pending_confirmation == pending
        assert all(
            p.recorded_by != p.decided_by for p in r.payments if p.state is PaymentState.CONFIRMED
        )
        assert all(f.amount.amount > 0 for f in r.refunds if f.state is RefundState.CONFIRMED)
        assert all(i.number for i in r.invoices if i.state is InvoiceState.ISSUED)
        assert Decimal(0) <= sum(r.room(), Decimal(0))


ReceivableMachine.TestCase.settings = settings(settings.default, stateful_step_count=50)
TestReceivableStateful = ReceivableMachine.TestCase
