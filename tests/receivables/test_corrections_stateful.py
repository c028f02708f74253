"""Random payments, confirmations, rejections, reversals, write-offs, refunds and early
payments on a receivable with an early-payment discount: after every step the receivable
identity holds (net amount = applied money + outstanding + written off, nothing negative),
a refused command changes nothing, and reversing a payment restores the exact earlier balance
and aging (Hypothesis stateful test)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore.errors import CrmError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    DueRule,
    EarlyDiscount,
    InvoicingPolicy,
    OverpaymentPolicy,
    PaymentState,
    PaymentTerms,
    Portion,
    Receivable,
    ReceivablePolicy,
    TermLine,
    WriteOffRules,
    aging,
    payment_exceptions,
)
from crmcore.serialization import from_dict, to_dict
from tests.receivables.rcv_support import FINANCE, FINANCE2, SALES

ZERO = Money.zero("CNY")
AMOUNTS = st.integers(min_value=1, max_value=200_000).map(lambda c: Money.of_minor(c, "CNY"))
RULES = WriteOffRules.standard()
MANAGER = Actor("max", {"manager"})
#: 40 % now with 2 % off within 10 days; the balance in 30 days with 1 % off within 20.
TERMS = PaymentTerms(
    "40/60 with early-payment discounts",
    [
        TermLine(Portion.percent(40), DueRule.net(0), EarlyDiscount(2, 10)),
        TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(1, 20)),
    ],
)


class CorrectionsMachine(RuleBasedStateMachine):
    """One receivable; each rule may be refused, and a refusal must change nothing."""

    @initialize(
        amount=st.integers(min_value=50, max_value=3_000),
        overpayment=st.sampled_from(OverpaymentPolicy),
        invoicing=st.sampled_from(InvoicingPolicy),
    )
    def open(
        self, amount: int, overpayment: OverpaymentPolicy, invoicing: InvoicingPolicy
    ) -> None:
        self.now = datetime(2024, 1, 1, 9)
        self.r = Receivable.open(
            "SO-C",
            customer="acme",
            owner_id="sally",
            amount=Money(amount, "CNY"),
            issue_date=self.now.date(),
            terms=TERMS,
            actor=SALES,
            at=self.now,
            policy=ReceivablePolicy(overpayment=overpayment, invoicing=invoicing),
        )

    def tick(self, hours: int) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    def attempt(self, command: object, *args: object, **kwargs: object) -> bool:
        before = to_dict(self.r)
        try:
            command(*args, **kwargs)  # type: ignore[operator]
        except CrmError:
            assert to_dict(self.r) == before
            return False
        return True

    def pick(self, state: PaymentState | None, index: int) -> str | None:
        found = [p.id for p in self.r.payments if state is None or p.state is state]
        return found[index % len(found)] if found else None

    @rule(amount=AMOUNTS, hours=st.integers(0, 300), share=st.integers(0, 120))
    def record(self, amount: Money, hours: int, share: int) -> None:
        at = self.tick(hours)
        room = sum(self.r.room(), start=ZERO.amount)
        if share and room > 0:
            amount = max(Money(room * share / 100, "CNY").round(), Money("0.01", "CNY"))
        self.attempt(self.r.record_payment, SALES, amount, received_on=at.date(), at=at)

    @rule(index=st.integers(0, 20), hours=st.integers(0, 48), second=st.booleans())
    def confirm(self, index: int, hours: int, second: bool) -> None:
        pid = self.pick(PaymentState.PENDING, index)
        if pid is not None:
            who = FINANCE2 if second else FINANCE
            self.attempt(self.r.confirm_payment, who, pid, at=self.tick(hours))

    @rule(index=st.integers(0, 20), hours=st.integers(0, 48))
    def reject(self, index: int, hours: int) -> None:
        pid = self.pick(PaymentState.PENDING, index)
        if pid is not None:
            self.attempt(self.r.reject_payment, FINANCE, pid, reason="no", at=self.tick(hours))

    @rule(index=st.integers(0, 20), hours=st.integers(0, 200))
    def reverse(self, index: int, hours: int) -> None:
        pid = self.pick(None, index)
        if pid is not None:
            self.attempt(
                self.r.reverse_payment, FINANCE, pid, reason="bounced", at=self.tick(hours)
            )

    @rule(amount=AMOUNTS, hours=st.integers(1, 200), days_later=st.integers(0, 60))
    def bounce(self, amount: Money, hours: int, days_later: int) -> None:
        """Record, confirm and reverse one payment: everything is as it was before it."""
        at = self.tick(hours)
        as_of = at.date() + timedelta(days=days_later + 1)
        before = (self.r.balance(as_of), aging([self.r], as_of))
        if not self.attempt(self.r.record_payment, SALES, amount, received_on=at.date(), at=at):
            return
        pid = self.r.payments[-1].id
        self.r.confirm_payment(FINANCE, pid, at=self.tick(1))
        self.r.reverse_payment(FINANCE2, pid, reason="bounced", at=self.tick(1))
        assert (self.r.balance(as_of), aging([self.r], as_of)) == before

    @rule(
        cents=st.integers(1, 8_000),
        hours=st.integers(0, 48),
        code=st.sampled_from(["bank_fee", "small_difference"]),
        manager=st.booleans(),
        installment=st.sampled_from([None, 1, 2]),
    )
    def write_off(
        self, cents: int, hours: int, code: str, manager: bool, installment: int | None
    ) -> None:
        self.attempt(
            self.r.write_off,
            MANAGER if manager else FINANCE,
            Money.of_minor(cents, "CNY"),
            reason_code=code,
            rules=RULES,
            at=self.tick(hours),
            installment=installment,
        )

    @rule(share=st.integers(1, 100), hours=st.integers(0, 48), confirm=st.booleans())
    def refund(self, share: int, hours: int, confirm: bool) -> None:
        b = self.r.balance(self.now.date())
        kept = b.received - b.refunded
        if kept.amount <= 0:
            return
        amount = max((kept * share / 100).round(), Money("0.01", "CNY"))
        requested = self.attempt(
            self.r.request_refund, SALES, amount, reason="r", at=self.tick(hours)
        )
        if requested and confirm:
            self.attempt(self.r.confirm_refund, FINANCE, self.r.refunds[-1].id, at=self.tick(1))

    @rule(share=st.integers(1, 120), hours=st.integers(0, 48))
    def move_advance(self, share: int, hours: int) -> None:
        """Move part of the advance (or, beyond 100 %, more than there is: refused) to an
        account; the identity and the balance's figures hold either way."""
        advance = self.r.balance(self.now.date()).advance
        if advance.amount <= 0:
            return
        amount = max((advance * share / 100).round(), Money("0.01", "CNY"))
        self.attempt(
            self.r.move_advance, FINANCE, amount, account_id="ACC-c-CNY", at=self.tick(hours)
        )

    @rule(share=st.integers(1, 100), hours=st.integers(0, 48))
    def invoice(self, share: int, hours: int) -> None:
        limit = self.r.invoicing_limit()
        amount = max((limit * share / 100).round(), Money("0.01", "CNY"))
        self.attempt(
            self.r.request_invoice,
            SALES,
            amount,
            title="T",
            tax_id="X",
            address="A",
            at=self.tick(hours),
        )

    @invariant()
    def identity_holds(self) -> None:
        r = self.r
        days = {self.now.date(), self.now.date() + timedelta(days=90)}
        days |= {e.occurred_at.date() for e in r.history[-3:]}
        for day in days:
            b = r.balance(day)
            applied = b.received - b.refunded - b.advance
            assert b.net_amount == applied + b.outstanding + b.written_off
            assert b.net_amount == b.amount - b.returned - b.discounted
            figures = [
                b.net_amount,
                b.received,
                b.refunded,
                b.outstanding,
                b.advance,
                b.written_off,
                b.discounted,
                b.pending_confirmation,
                b.overdue_amount,
                applied,
            ]
            assert all(m.amount >= 0 for m in figures), figures
            for row in b.installments:
                assert row.amount == row.paid + row.written_off + row.outstanding
                assert row.amount + row.returned + row.discounted == row.original_amount
                assert min(row.paid.amount, row.outstanding.amount, row.written_off.amount) >= 0
            assert sum((row.written_off for row in b.installments), ZERO) == b.written_off
            assert aging([r], day).totals().get("CNY", ZERO) == b.outstanding
            for e in payment_exceptions([r], day):
                assert e.amount.amount > 0
        assert from_dict(Receivable, to_dict(r)) == r


def test_moving_the_advance_never_leaves_less_received_than_invoiced() -> None:
    """Hypothesis' find: under invoice-after-payment, moving the advance took received below
    what was invoiced, so the next bounce could not be reversed; now the move is refused."""
    state = CorrectionsMachine()
    state.open(
        amount=50, overpayment=OverpaymentPolicy.ADVANCE, invoicing=InvoicingPolicy.AFTER_PAYMENT
    )
    state.invoice(hours=0, share=1)
    state.record(amount=Money("0.01", "CNY"), hours=0, share=101)
    state.record(amount=Money("0.01", "CNY"), hours=0, share=1)
    state.confirm(hours=0, index=3, second=True)
    for hours in (0, 1, 0):
        state.invoice(hours=hours, share=1)
    before = to_dict(state.r)
    state.move_advance(hours=0, share=1)
    assert to_dict(state.r) == before  # refused: the advance is all that is invoiced
    state.identity_holds()
    state.bounce(amount=Money("0.01", "CNY"), days_later=0, hours=1)
    state.identity_holds()


CorrectionsMachine.TestCase.settings = settings(
    settings.default, stateful_step_count=40, max_examples=150
)
TestCorrectionsStateful = CorrectionsMachine.TestCase
