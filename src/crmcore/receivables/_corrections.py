"""Corrections on a receivable: sales returns in every state, and credit notes.

A sales return lowers the net amount by what came back, whatever was paid or invoiced
already: it takes the unpaid room of the latest installments first, then amounts written
off (the write-off is taken back), then paid money (which
becomes customer credit: kept as an advance or refunded, by policy), and asks for credit
notes against the issued invoices for the part of it that was invoiced. A credit note is an
invoice document of its own (requested → issued / rejected by finance), linked to the
invoice it credits and to the return that needed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from crmcore._aggregate import AggregateRoot
from crmcore._validators import text as _text
from crmcore.errors import InvalidTransition, InvariantViolation, NotFound
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables._events import (
    ReceivableCreditNoteIssued,
    ReceivableCreditNoteRejected,
    ReceivableCreditNoteRequested,
    ReceivableRefundRequested,
    ReceivableReturnRecorded,
)
from crmcore.receivables._facts import Allocation, CreditNote, Refund, ReturnNote
from crmcore.receivables._policy import InvoiceState, ReturnCreditPolicy, invoice_lifecycle

if TYPE_CHECKING:
    from crmcore.receivables._facts import InvoiceRequest
    from crmcore.receivables._ledger import Ledger as _Ledger
    from crmcore.receivables._policy import ReceivablePolicy
    from crmcore.receivables._terms import Installment

__all__ = ["Corrections", "SalesReturn"]

_ZERO = Decimal(0)
_OPEN_CREDIT = (InvoiceState.REQUESTED, InvoiceState.ISSUED)


@attrs.frozen
class SalesReturn:
    """What one sales return did to the receivable.

    ``note`` lowers the net amount; ``credit_notes`` were requested for the part already
    invoiced; ``customer_credit`` is the paid money it took back (an advance, or refunded
    through ``refund`` when the policy says so).
    """

    note: ReturnNote
    credit_notes: tuple[CreditNote, ...]
    customer_credit: Money
    refund: Refund | None


@attrs.define
class Corrections(AggregateRoot):
    """The correction commands of a receivable (a base of ``Receivable``)."""

    if TYPE_CHECKING:  # provided by Receivable
        id: str
        policy: ReceivablePolicy
        installments: tuple[Installment, ...]
        _invoices: list[InvoiceRequest]
        _credit_notes: list[CreditNote]
        _returns: list[ReturnNote]
        _refunds: list[Refund]

        def _replace(self, items: list[CreditNote], updated: CreditNote) -> None: ...
        def _ledger(self, as_of: date | None) -> _Ledger: ...
        def _net(self, ledger: _Ledger) -> Decimal: ...
        def _money(self, value: Decimal) -> Money: ...
        def _check_amount(self, amount: Money, what: str) -> None: ...
        def room(self) -> list[Decimal]: ...
        def invoice(self, invoice_id: str) -> InvoiceRequest: ...

    # -- read access ------------------------------------------------------------------------
    @property
    def credit_notes(self) -> tuple[CreditNote, ...]:
        """Every credit note, oldest first."""
        return tuple(self._credit_notes)

    def credit_note(self, credit_note_id: str) -> CreditNote:
        """The credit note with that id; NotFound otherwise."""
        for note in self._credit_notes:
            if note.id == credit_note_id:
                return note
        raise NotFound(f"receivable {self.id}: no credit note {credit_note_id!r}")

    def credited_on(self, invoice_id: str) -> Money:
        """What credit notes issued or requested take back from one invoice."""
        return self._money(self._credits_on(invoice_id))

    # -- sales returns ----------------------------------------------------------------------
    def record_sales_return(
        self, actor: Actor, amount: Money, *, reason: str, at: datetime
    ) -> SalesReturn:
        """Goods came back worth ``amount``: lower the net amount in any state.

        Unpaid room of the latest installments goes first, then amounts written off (the
        write-off is taken back), then paid money (customer credit: an advance, or a refund
        request by ``policy.return_credit``). An early-payment discount is taken back in
        proportion to the goods that came back (``discount_back``): the net amount drops by
        ``amount × net / (net + discounted)``, so returning everything leaves zero. The part
        of the return already invoiced asks for credit notes against the latest issued
        invoices. Refused (nothing changes) beyond the net amount, while the money it would
        need is only pending confirmation, or while the invoices it would need to credit are
        only requested.
        """
        self.policy.require(actor, self.policy.return_roles, "record a return")
        self._check_amount(amount, "return")
        _text(reason, "reason")
        self._check_change(actor, at)
        ledger = self._ledger(None)
        net = self._net(ledger)
        held = net + ledger.discounted  # what the goods still with the customer are worth
        if amount.amount > held:
            extra = f" and its early-payment discounts {self._money(ledger.discounted)}"
            raise InvariantViolation(
                f"receivable {self.id}: return {amount} exceeds the net amount "
                f"{self._money(net)}" + (extra if ledger.discounted else "")
            )
        # the early-payment discount on the goods that came back is taken back with them
        share = self._money(amount.amount * ledger.discounted / held).amount if held else _ZERO
        value = amount.amount - share
        room = self.room()
        unpaid = sum(room, _ZERO)
        paid, written = list(ledger.paid), list(ledger.written)
        if value > unpaid + sum(written, _ZERO) + sum(paid, _ZERO):
            raise InvariantViolation(
                f"receivable {self.id}: return {amount} needs money still pending confirmation "
                f"({self._money(ledger.pending)}); confirm or reject those payments first"
            )
        need = max(_ZERO, ledger.billed - (net - value))
        creditable = ledger.invoiced - ledger.credited - ledger.pending_credit
        if need > creditable:
            raise InvariantViolation(
                f"receivable {self.id}: return {amount} leaves {self._money(net - value)}, below "
                f"the {self._money(ledger.billed)} invoiced or requested, and only "
                f"{self._money(creditable)} of issued invoices can be credited; issue or reject "
                f"the requested invoices ({self._money(ledger.pending_invoice)}) first"
            )
        cuts, written_back, releases = self._takes(room, written, paid, value)
        discount_back = self._discount_back(ledger.disc, share)
        if discount_back:
            cuts = self._allocations(
                [
                    sum(
                        (a.amount.amount for a in (*cuts, *discount_back) if a.installment == n),
                        _ZERO,
                    )
                    for n in range(1, len(self.installments) + 1)
                ]
            )
        note_id = f"{self.id}/R{len(self._returns) + 1}"
        credit_notes = self._return_credit_notes(need, note_id, reason, actor, at)
        released = sum((r.amount.amount for r in releases), _ZERO)
        note = ReturnNote(
            id=note_id,
            amount=amount,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
            cuts=cuts,
            releases=releases,
            written_back=written_back,
            discount_back=discount_back,
            credit_note_ids=tuple(c.id for c in credit_notes),
        )
        refund = None
        if released > 0 and self.policy.return_credit is ReturnCreditPolicy.REFUND:
            refund = Refund(
                id=f"{self.id}/F{len(self._refunds) + 1}",
                amount=self._money(released),
                reason=f"customer credit of return {note_id}: {reason}",
                recorded_by=actor.user_id,
                recorded_at=at,
            )
        self._returns.append(note)
        self._emit(
            ReceivableReturnRecorded,
            actor,
            at,
            return_id=note.id,
            amount=amount,
            reason=reason,
            customer_credit=self._money(released) if released > 0 else None,
        )
        for credit in credit_notes:
            self._add_credit_note(credit, actor, at)
        if refund is not None:
            self._refunds.append(refund)
            self._emit(
                ReceivableRefundRequested,
                actor,
                at,
                refund_id=refund.id,
                amount=refund.amount,
                reason=refund.reason,
            )
        return SalesReturn(note, credit_notes, self._money(released), refund)

    def _takes(
        self, room: list[Decimal], written: list[Decimal], paid: list[Decimal], value: Decimal
    ) -> tuple[tuple[Allocation, ...], tuple[Allocation, ...], tuple[Allocation, ...]]:
        """The cuts (unpaid room, then written-off amounts, then paid money), the write-offs
        taken back and the releases of paid money, latest installments first."""
        latest = sorted(self.installments, key=lambda x: (x.due_date, x.number), reverse=True)
        cut = [_ZERO] * len(self.installments)
        back = [_ZERO] * len(self.installments)
        release = [_ZERO] * len(self.installments)
        left = value
        sources: tuple[tuple[list[Decimal], list[Decimal] | None], ...] = (
            (room, None),
            (written, back),
            (paid, release),
        )
        for source, target in sources:
            for inst in latest:
                i = inst.number - 1
                take = min(source[i], left)
                if take > 0:
                    cut[i] += take
                    if target is not None:
                        target[i] += take
                    left -= take
        return self._allocations(cut), self._allocations(back), self._allocations(release)

    def _discount_back(self, disc: list[Decimal], share: Decimal) -> tuple[Allocation, ...]:
        """``share`` of the early-payment discounts taken back, latest installments first."""
        back = [_ZERO] * len(self.installments)
        left = share
        for inst in sorted(self.installments, key=lambda x: (x.due_date, x.number), reverse=True):
            take = min(disc[inst.number - 1], left)
            if take > 0:
                back[inst.number - 1] = take
                left -= take
        return self._allocations(back)

    def _allocations(self, values: list[Decimal]) -> tuple[Allocation, ...]:
        return tuple(Allocation(i + 1, self._money(v)) for i, v in enumerate(values) if v > 0)

    def _return_credit_notes(
        self, need: Decimal, note_id: str, reason: str, actor: Actor, at: datetime
    ) -> tuple[CreditNote, ...]:
        """Credit notes for ``need``, against the latest issued invoices first."""
        notes: list[CreditNote] = []
        left = need
        issued = [i for i in self._invoices if i.state is InvoiceState.ISSUED]
        for invoice in reversed(issued):
            take = min(invoice.amount.amount - self._credits_on(invoice.id), left)
            if take > 0:
                notes.append(
                    CreditNote(
                        id=f"{self.id}/C{len(self._credit_notes) + len(notes) + 1}",
                        invoice_id=invoice.id,
                        amount=self._money(take),
                        reason=f"return {note_id}: {reason}",
                        recorded_by=actor.user_id,
                        recorded_at=at,
                        return_id=note_id,
                    )
                )
                left -= take
        return tuple(notes)

    # -- credit notes -----------------------------------------------------------------------
    def request_credit_note(
        self, actor: Actor, invoice_id: str, amount: Money, *, reason: str, at: datetime
    ) -> CreditNote:
        """Ask finance to credit part or all of an issued invoice (a wrong title, price...).

        The net amount does not change: what is credited is to be invoiced again. Never more
        than the invoice less what credit notes already take back from it.
        """
        self.policy.require(
            actor, self.policy.record_roles | self.policy.finance_roles, "request a credit note"
        )
        self._check_amount(amount, "credit note")
        _text(reason, "reason")
        invoice = self.invoice(invoice_id)
        self._check_change(actor, at)
        if invoice.state is not InvoiceState.ISSUED:
            raise InvalidTransition(
                f"receivable {self.id}: invoice {invoice_id} is {invoice.state.value}; only an "
                "issued invoice can be credited"
            )
        left = invoice.amount.amount - self._credits_on(invoice_id)
        if amount.amount > left:
            raise InvariantViolation(
                f"receivable {self.id}: credit note {amount} exceeds what invoice {invoice_id} "
                f"({invoice.amount}) still has to credit: {self._money(left)}"
            )
        credit = CreditNote(
            id=f"{self.id}/C{len(self._credit_notes) + 1}",
            invoice_id=invoice_id,
            amount=amount,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._add_credit_note(credit, actor, at)
        return credit

    def issue_credit_note(
        self, actor: Actor, credit_note_id: str, *, number: str, at: datetime
    ) -> CreditNote:
        """Finance issues a requested credit note under its official ``number``."""
        _text(number, "number")
        credit = self.credit_note(credit_note_id)
        self._check_change(actor, at)
        state = invoice_lifecycle(self.policy.finance_roles).check(
            "issue", credit.state, actor, credit
        )
        updated = attrs.evolve(
            credit, state=state, number=number, decided_by=actor.user_id, decided_at=at
        )
        self._replace_credit(updated)
        self._emit(
            ReceivableCreditNoteIssued,
            actor,
            at,
            credit_note_id=credit.id,
            invoice_id=credit.invoice_id,
            amount=credit.amount,
            number=number,
        )
        return updated

    def reject_credit_note(
        self, actor: Actor, credit_note_id: str, *, reason: str, at: datetime
    ) -> CreditNote:
        """Finance rejects a credit note request, saying why (not one a return needs)."""
        _text(reason, "reason")
        credit = self.credit_note(credit_note_id)
        self._check_change(actor, at)
        state = invoice_lifecycle(self.policy.finance_roles).check(
            "reject", credit.state, actor, credit
        )
        if credit.return_id is not None:
            raise InvalidTransition(
                f"receivable {self.id}: credit note {credit.id} takes back what return "
                f"{credit.return_id} returned; it must be issued (the invoices would exceed "
                "the net amount)"
            )
        updated = attrs.evolve(
            credit, state=state, rejection=reason, decided_by=actor.user_id, decided_at=at
        )
        self._replace_credit(updated)
        self._emit(
            ReceivableCreditNoteRejected,
            actor,
            at,
            credit_note_id=credit.id,
            invoice_id=credit.invoice_id,
            amount=credit.amount,
            reason=reason,
        )
        return updated

    # -- helpers ----------------------------------------------------------------------------
    def _credits_on(self, invoice_id: str) -> Decimal:
        notes: Sequence[CreditNote] = self._credit_notes
        return sum(
            (
                c.amount.amount
                for c in notes
                if c.invoice_id == invoice_id and c.state in _OPEN_CREDIT
            ),
            _ZERO,
        )

    def _refuse_credited_cancel(self, invoice_id: str) -> None:
        credited = self._credits_on(invoice_id)
        if credited > 0:
            raise InvariantViolation(
                f"receivable {self.id}: invoice {invoice_id} has credit notes issued or "
                f"requested for {self._money(credited)}; it cannot be cancelled as well"
            )

    def _add_credit_note(self, credit: CreditNote, actor: Actor, at: datetime) -> None:
        self._credit_notes.append(credit)
        self._emit(
            ReceivableCreditNoteRequested,
            actor,
            at,
            credit_note_id=credit.id,
            invoice_id=credit.invoice_id,
            amount=credit.amount,
            reason=credit.reason,
            return_id=credit.return_id,
        )

    def _replace_credit(self, updated: CreditNote) -> None:
        self._replace(self._credit_notes, updated)  # the kept fold of now sees it
