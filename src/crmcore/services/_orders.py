"""Order use cases: draft, edit, price, submit (credit check, approval or confirmation), ship,
confirm receipt, cancel, return, complete, reorder; and the approval subject of orders.

An order's receivable has the id ``receivable_id_of(order_id)`` (``AR-<order id>``), the
convention [`crmcore.reports.match_receivables`][crmcore.reports.match_receivables] pairs them by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import attrs

from crmcore.errors import ConfigError, NotFound
from crmcore.orders import KIND as ORDER
from crmcore.orders import (
    Order,
    OrderReturn,
    OrderStatus,
    ReturnDisposition,
    Shipment,
    ShortClose,
    has_receivable,
    open_receivable,
    record_return_on,
    record_short_close_on,
    reorder_order,
)
from crmcore.ports import Actor
from crmcore.pricing import Customer, LineRequest, OrderDiscount, PricedOrder
from crmcore.receivables import (
    CreditCheck,
    CreditDecision,
    CustomerAccount,
    Receivable,
    check_credit,
)
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._records import ApprovalLink, LinkStatus
from crmcore.workflow import ApprovalInstance, ApprovalProcess, ApprovalStatus

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["OrderApproval", "OrderService", "SubmitResult", "receivable_id_of"]

T = TypeVar("T")

#: Orders holding credit without a receivable yet (counted in the customer's exposure).
_WAITING = OrderStatus.PENDING_APPROVAL


def receivable_id_of(order_id: str) -> str:
    """The id of the receivable a confirmed order opens."""
    return f"AR-{order_id}"


@attrs.frozen
class SubmitResult:
    """What a submission did: the order's new status, its approval request, the credit check."""

    order_id: str
    status: OrderStatus
    approval_id: str | None = None
    credit: CreditCheck | None = None


@attrs.frozen
class DecisionResult:
    """What a decision on an order's approval request did: the order's status now (like
    ``SubmitResult``: ``confirmed`` once the last step approved, ``draft`` after a rejection
    or a withdrawal, still ``pending_approval`` while steps remain) and the request itself
    (its own ``status`` is the request's: ``APPROVED``, ``REJECTED``...)."""

    order_id: str
    status: OrderStatus
    approval: ApprovalInstance

    @property
    def approval_id(self) -> str:
        """The id of the approval request decided on."""
        return self.approval.id


def _open_receivable(case: UseCase, order: Order) -> Receivable | None:
    """Open the confirmed order's receivable on the customer's terms, for its owner (None
    for a zero-amount order: nothing to collect).

    It is opened by whoever confirmed the order (the submitter, or the approver who decided)
    with the order's authority: the history names them, never the owner in their place.
    """
    if not has_receivable(order):
        return None
    crm = case.crm
    policy = crm.config.receivable_policy
    confirmer = Actor(case.actor.user_id, case.actor.roles | policy.record_roles)
    receivable = open_receivable(
        order,
        crm.config.terms.for_customer(order.customer_id),
        receivable_id_of(order.id),
        actor=confirmer,
        at=case.at,
        policy=crm.config.receivable_policy,
    )
    case.repo(Receivable).add(receivable)
    return receivable


class OrderApproval:
    """An order's approval request decided: approved → confirmed with its receivable opened;
    rejected → back to draft with the approver's comment as the reason."""

    def decided(self, case: UseCase, instance: ApprovalInstance, link: ApprovalLink) -> str:
        orders = case.repo(Order)
        order = orders.get(link.subject_id)  # the approver's task is their access to it
        order.policy = case.crm.config.order_policy
        if instance.status is ApprovalStatus.APPROVED:
            order.approve(case.actor, at=case.at, approval_id=instance.id)
            opened = _open_receivable(case, order)
            orders.save(order)
            if opened is None:
                return "confirmed; nothing to collect"
            return f"confirmed; receivable {receivable_id_of(order.id)} opened"
        if instance.status is ApprovalStatus.REJECTED:
            reason = _last_comment(instance) or "rejected by the approver"
            order.reject(case.actor, at=case.at, reason=reason, approval_id=instance.id)
            orders.save(order)
            return f"back to draft: {reason}"
        # Withdrawn by the submitter (the acting user): the order goes back to draft with it.
        order.withdraw(case.actor, at=case.at, reason=instance.status.value)
        orders.save(order)
        return f"back to draft: request {instance.status.value}"


def _last_comment(instance: ApprovalInstance) -> str:
    """The comment of the rejection that decided the request (a rejection requires one)."""
    comments = (e.comment for e in reversed(instance.history) if e.action == "rejected")
    return next(comments, "")


@typed_boundary
class OrderService:
    """The order use cases; each takes the acting user first and is one unit of work."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    # -- the draft --------------------------------------------------------------------------
    def draft(
        self,
        actor: Actor | str,
        *,
        customer: str | Customer,
        currency: str,
        lines: Iterable[LineRequest] = (),
        owner_id: str | None = None,
        department: str | None = None,
        order_discount: OrderDiscount | None = None,
        codes: Iterable[str] = (),
        order_id: str | None = None,
    ) -> Order:
        """A new draft owned by ``owner_id`` (default the actor, in the actor's department)."""

        def work(case: UseCase) -> Order:
            owner = owner_id or case.actor.user_id
            dept = case.department_of(owner, department)
            case.create_for("order", owner, dept)
            order = Order.draft(
                order_id or case.new_id("order"),
                customer=customer,
                owner_id=owner,
                currency=currency,
                actor=case.actor,
                at=case.at,
                department=dept,
                lines=lines,
                order_discount=order_discount,
                codes=codes,
                policy=case.crm.config.order_policy,
            )
            case.repo(Order).add(order)
            return order

        return self._crm.run(actor, "order.draft", work)

    def edit(self, actor: Actor | str, order_id: str, change: Callable[[Order, UseCase], T]) -> T:
        """Edit the draft with ``change(order, case)`` (``add_line``, ``replace_line``...)."""
        return self._change(actor, "order.draft", order_id, change)

    def add_line(self, actor: Actor | str, order_id: str, line: LineRequest) -> Order:
        """Append a line to the draft."""
        return self._change(
            actor, "order.draft", order_id, then(lambda o, c: o.add_line(c.actor, line, at=c.at))
        )

    def replace_line(
        self, actor: Actor | str, order_id: str, index: int, line: LineRequest
    ) -> Order:
        """Replace line ``index`` of the draft."""
        return self._change(
            actor,
            "order.draft",
            order_id,
            then(lambda o, c: o.replace_line(c.actor, index, line, at=c.at)),
        )

    def remove_line(self, actor: Actor | str, order_id: str, index: int) -> Order:
        """Remove line ``index`` from the draft."""
        return self._change(
            actor,
            "order.draft",
            order_id,
            then(lambda o, c: o.remove_line(c.actor, index, at=c.at)),
        )

    def set_discount(
        self, actor: Actor | str, order_id: str, discount: OrderDiscount | None
    ) -> Order:
        """Set (or clear) the order-level discount of the draft."""
        return self._change(
            actor,
            "order.draft",
            order_id,
            then(lambda o, c: o.set_order_discount(c.actor, discount, at=c.at)),
        )

    def price(self, actor: Actor | str, order_id: str, on: date | None = None) -> PricedOrder:
        """Price the draft with the configured pricing engine (the actor's discount authority),
        as of ``on`` (default today); never before the draft date (see ``reprice``)."""
        engine = self._crm.config.pricing
        if engine is None:
            raise ConfigError("pricing: no PricingEngine is configured; orders cannot be priced")
        return self._change(
            actor, "order.price", order_id, lambda o, c: o.price(engine, c.actor, at=c.at, on=on)
        )

    def reprice(self, actor: Actor | str, order_id: str, on: date, reason: str) -> PricedOrder:
        """Price the draft as of a day before it was drafted (an agreed old price), saying
        why (action ``order.reprice``: managers and admins); the backdated price is an
        approval reason, so the order goes to approval when submitted."""
        engine = self._crm.config.pricing
        if engine is None:
            raise ConfigError("pricing: no PricingEngine is configured; orders cannot be priced")
        return self._change(
            actor,
            "order.reprice",
            order_id,
            lambda o, c: o.price(engine, c.actor, at=c.at, on=on, reason=reason),
        )

    # -- submission -------------------------------------------------------------------------
    def submit(self, actor: Actor | str, order_id: str) -> SubmitResult:
        """Submit the priced draft: the credit check (when a policy is configured), then
        approval when the order process's entry condition matches (or the credit check asks
        for it), else confirmation at once with the receivable opened."""

        def work(case: UseCase) -> SubmitResult:
            orders = case.repo(Order)
            order = case.order(order_id)
            actor = case.actor
            credit = self._credit(case, order)
            process = self.process()
            needs_credit = credit is not None and credit.decision is CreditDecision.NEEDS_APPROVAL
            reasons = sorted({r.kind for r in order.approval_reasons})
            wanted = process is not None and process.requires_approval(order)
            if needs_credit and process is None:
                raise ConfigError(
                    f"order {order.id}: the credit check asks for approval, but no approval "
                    "process for orders is configured; publish an ApprovalProcess with "
                    "subject_kind 'order' (or set CrmConfig.order_process)"
                )
            if reasons and process is None:
                raise ConfigError(
                    f"order {order.id}: pricing raised approval reasons ({', '.join(reasons)}) "
                    "but no approval process for orders is configured; configure an approval "
                    "process: publish an ApprovalProcess with subject_kind 'order' (or set "
                    "CrmConfig.order_process)"
                )
            forced = needs_credit or (bool(reasons) and not wanted)
            wanted = wanted or forced
            status = order.submit(actor, at=case.at, approval_required=wanted, credit=credit)
            if status is OrderStatus.CONFIRMED:
                _open_receivable(case, order)
                orders.save(order)
                return SubmitResult(order.id, status, None, credit)
            assert process is not None  # approval needed implies a process
            if forced:  # credit or pricing reasons force approval whatever the entry condition
                process = attrs.evolve(process, entry_condition=None)
            instance = ApprovalInstance.start(
                process,
                order,
                actor,
                self._crm.directory,
                at=case.at,
                instance_id=case.new_id("approval"),
            )
            case.repo(ApprovalInstance).add(instance)
            case.repo(ApprovalLink).add(
                ApprovalLink(instance.id, ORDER, order.id, "confirm", actor.user_id, case.at)
            )
            orders.save(order)
            return SubmitResult(order.id, status, instance.id, credit)

        return self._crm.run(actor, "order.submit", work)

    def process(self) -> ApprovalProcess | None:
        """The approval process for orders: ``config.order_process`` or the first one
        published for subject kind "order" (None: orders never wait for approval)."""
        config = self._crm.config
        if config.order_process is not None:
            return config.approvals.latest(config.order_process)
        found = config.approvals.for_subject(ORDER)
        return found[0] if found else None

    def _credit(self, case: UseCase, order: Order) -> CreditCheck | None:
        policy = self._crm.config.credit_policy
        if policy is None or order.grand_total is None or not order.grand_total.amount > 0:
            return None  # a zero-amount order (a free sample) adds nothing to the exposure
        customer = order.customer_id
        # Settled receivables add nothing to the exposure nor to the overdue days: only the
        # open ones are loaded, through the index, however long the customer's history.
        receivables = case.repo(Receivable).find(customer=customer, has_outstanding=True)
        pending = [
            o.grand_total
            for o in case.repo(Order).find(customer_id=customer, status=_WAITING)
            if o.grand_total is not None and o.id != order.id
        ]
        return check_credit(
            customer,
            order.grand_total,
            receivables=receivables,
            as_of=case.at.date(),
            policy=policy,
            open_orders=pending,
            rates=self._crm.config.rates_on(case.at.date()),
            accounts=case.repo(CustomerAccount).find(customer=customer),
        )

    def _approval_of(self, case: UseCase, order_id: str) -> str:
        links = case.repo(ApprovalLink).find(subject_id=order_id, status=LinkStatus.WAITING)
        for link in links:
            if link.subject_kind == ORDER:
                return link.id
        raise NotFound(f"order {order_id}: no approval request is waiting")

    def approval_id(self, actor: Actor | str, order_id: str) -> str:
        """The id of the approval request the order waits for (NotFound when none)."""
        return self._crm.read(actor, None, lambda c: self._approval_of(c, order_id))

    def approve(self, actor: Actor | str, order_id: str, comment: str = "") -> DecisionResult:
        """Approve the actor's tasks on the order's request (the generic approvals)."""
        instance = self._crm.approvals.approve(actor, self.approval_id(actor, order_id), comment)
        return self._decided(actor, order_id, instance)

    def reject(self, actor: Actor | str, order_id: str, comment: str) -> DecisionResult:
        """Reject the order's request: the order goes back to draft with ``comment``."""
        instance = self._crm.approvals.reject(actor, self.approval_id(actor, order_id), comment)
        return self._decided(actor, order_id, instance)

    def delegate(
        self, actor: Actor | str, order_id: str, to_user_id: str, comment: str = ""
    ) -> DecisionResult:
        """Hand the actor's tasks on the order's request to another user."""
        instance = self._crm.approvals.delegate(
            actor, self.approval_id(actor, order_id), to_user_id, comment
        )
        return self._decided(actor, order_id, instance)

    def withdraw(self, actor: Actor | str, order_id: str, comment: str = "") -> DecisionResult:
        """The submitter takes the pending order back to draft."""
        instance = self._crm.approvals.withdraw(actor, self.approval_id(actor, order_id), comment)
        return self._decided(actor, order_id, instance)

    def _decided(
        self, actor: Actor | str, order_id: str, instance: ApprovalInstance
    ) -> DecisionResult:
        """The decision's result with the order's status after it (read as the system: the
        decider may be an approver who cannot read the order)."""
        status = self._crm.read(actor, None, lambda case: case.repo(Order).get(order_id).status)
        return DecisionResult(order_id, status, instance)

    # -- goods ------------------------------------------------------------------------------
    def ship(
        self,
        actor: Actor | str,
        order_id: str,
        quantities: Mapping[int, Decimal | int | str] | None = None,
        *,
        reference: str | None = None,
    ) -> Shipment:
        """Ship these quantities per priced line (default: everything not yet shipped)."""

        def change(order: Order, case: UseCase) -> Shipment:
            if quantities is None:
                return order.ship_remaining(case.actor, at=case.at, reference=reference)
            return order.ship(case.actor, quantities, at=case.at, reference=reference)

        return self._change(actor, "order.ship", order_id, change)

    def confirm_receipt(
        self, actor: Actor | str, order_id: str, shipment_id: str | None = None
    ) -> Order:
        """The customer confirmed receiving everything shipped, or one shipment."""
        return self._change(
            actor,
            "order.confirm_receipt",
            order_id,
            then(lambda o, c: o.confirm_receipt(c.actor, at=c.at, shipment_id=shipment_id)),
        )

    def cancel(self, actor: Actor | str, order_id: str, reason: str) -> Order:
        """Cancel before shipment, with the reason.

        A pending approval request is cancelled with it. When the order was confirmed its
        receivable is closed by a return of the whole amount ("order cancelled"), so it asks
        for nothing; that is refused (nothing changes) while money is received or pending, or
        an invoice is issued or requested: refund or cancel the invoice first.
        """

        def work(case: UseCase) -> Order:
            orders = case.repo(Order)
            order = case.order(order_id)
            was = order.status
            order.cancel(case.actor, at=case.at, reason=reason)
            if was is OrderStatus.PENDING_APPROVAL:
                approval_id = self._approval_of(case, order.id)
                instance = case.repo(ApprovalInstance).get(approval_id)
                instance.withdraw(
                    case.actor,
                    at=case.at,
                    comment=f"order cancelled: {reason}",
                    subject_cancelled=True,
                )
                case.repo(ApprovalInstance).save(instance)
                link = case.repo(ApprovalLink).get(approval_id)
                link.settle(LinkStatus.DROPPED, f"order cancelled: {reason}")
                case.repo(ApprovalLink).save(link)
            if was is OrderStatus.CONFIRMED and has_receivable(order):
                receivables = case.repo(Receivable)
                receivable = case.receivable(receivable_id_of(order.id), None)
                net = receivable.balance(case.at.date()).net_amount
                if net.amount > 0:
                    receivable.record_return(
                        case.actor, net, reason=f"order cancelled: {reason}", at=case.at
                    )
                    receivables.save(receivable)
            orders.save(order)
            return order

        return self._crm.run(actor, "order.cancel", work)

    def record_return(
        self,
        actor: Actor | str,
        order_id: str,
        quantities: Mapping[int, Decimal | int | str],
        reason: str,
        *,
        disposition: ReturnDisposition = ReturnDisposition.CLOSE,
    ) -> OrderReturn:
        """A return note of shipped units, in any state after shipment; closed units lower
        the receivable in the same unit of work (credit notes for what was invoiced, customer
        credit for what was paid), units to ship again go back to left-to-ship."""

        def work(case: UseCase) -> OrderReturn:
            order = case.order(order_id)
            note = order.record_return(
                case.actor, quantities, at=case.at, reason=reason, disposition=disposition
            )
            if has_receivable(order):
                # the order's write access carries its receivable's return
                receivable = case.receivable(receivable_id_of(order.id), None)
                if record_return_on(receivable, note, actor=case.actor, at=case.at):
                    case.repo(Receivable).save(receivable)
            case.repo(Order).save(order)
            return note

        return self._crm.run(actor, "order.return", work)

    def short_close(self, actor: Actor | str, order_id: str, reason: str) -> ShortClose:
        """Close the rest of a partly shipped order: it will not ship; its receivable drops
        by what the closed units were worth in the same unit of work."""

        def work(case: UseCase) -> ShortClose:
            order = case.order(order_id)
            closed = order.short_close(case.actor, at=case.at, reason=reason)
            if has_receivable(order):
                receivable = case.receivable(receivable_id_of(order.id), None)
                if record_short_close_on(receivable, closed, actor=case.actor, at=case.at):
                    case.repo(Receivable).save(receivable)
            case.repo(Order).save(order)
            return closed

        return self._crm.run(actor, "order.short_close", work)

    def complete(self, actor: Actor | str, order_id: str) -> Order:
        """Close the received order once its receivable is fully paid and invoiced (a
        zero-amount order has none: it completes once received)."""

        def change(order: Order, case: UseCase) -> Order:
            if not has_receivable(order):
                order.complete(case.actor, at=case.at, balance=None)
                return order
            receivable = case.receivable(receivable_id_of(order.id), None)
            order.complete(case.actor, at=case.at, balance=receivable.balance(case.at.date()))
            return order

        return self._change(actor, "order.complete", order_id, change)

    def reorder(self, actor: Actor | str, order_id: str, *, keep_prices: bool = False) -> Order:
        """A new draft ordering a past order's lines again, owned by the actor."""

        def work(case: UseCase) -> Order:
            previous = case.order(order_id, "read")
            owner = case.actor.user_id
            order = reorder_order(
                previous,
                case.new_id("order"),
                actor=case.actor,
                at=case.at,
                keep_prices=keep_prices,
                owner_id=owner,
                department=case.department_of(owner),
            )
            order.policy = case.crm.config.order_policy
            case.repo(Order).add(order)
            return order

        return self._crm.run(actor, "order.reorder", work)

    def _change(
        self,
        actor: Actor | str,
        action: str,
        order_id: str,
        change: Callable[[Order, UseCase], T],
    ) -> T:
        def work(case: UseCase) -> T:
            order = case.order(order_id)
            result = change(order, case)
            case.repo(Order).save(order)
            return result

        return self._crm.run(actor, action, work)


def then(change: Callable[[Order, UseCase], None]) -> Callable[[Order, UseCase], Order]:
    """A change that returns nothing, made to return the changed order."""

    def run(order: Order, case: UseCase) -> Order:
        change(order, case)
        return order

    return run
