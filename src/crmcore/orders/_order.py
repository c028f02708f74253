"""The Order aggregate: a draft priced by the pricing engine, then a checked lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Final

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._decimal import CONTEXT, context_class, to_decimal
from crmcore.errors import (
    CurrencyMismatch,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.events import DomainEvent
from crmcore.money import Currency, Money, Percent, get_currency
from crmcore.orders._events import (
    OrderApproved,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderCreditWarning,
    OrderDrafted,
    OrderEdited,
    OrderEvent,
    OrderHandedOver,
    OrderPriced,
    OrderReceived,
    OrderRejected,
    OrderReturnRecorded,
    OrderShipped,
    OrderShortClosed,
    OrderSubmitted,
    OrderWithdrawn,
)
from crmcore.orders._facts import (
    LineQuantity,
    OrderReturn,
    Receipt,
    ReturnDisposition,
    ReturnLine,
    Shipment,
    ShortClose,
)
from crmcore.orders._state import OrderPolicy, OrderStatus, order_lifecycle
from crmcore.ports import Actor
from crmcore.pricing import (
    AmountOff,
    ApprovalReason,
    Customer,
    LineRequest,
    OrderDiscount,
    OrderRequest,
    PercentOff,
    PricedLine,
    PricedOrder,
    PricingEngine,
    TargetTotal,
)
from crmcore.receivables import Balance, CreditCheck, CreditDecision

__all__ = ["KIND", "Order"]

#: The subject kind of order events and approval requests.
KIND: Final = "order"

_S = OrderStatus
#: States in which the goods have been received by the customer.
_RECEIVED: Final = frozenset({_S.RECEIVED, _S.COMPLETED})
#: States in which the order is confirmed (its receivable exists or may be opened).
CONFIRMED_STATES: Final = frozenset(
    {_S.CONFIRMED, _S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.RECEIVED, _S.COMPLETED}
)

QuantityInput = Decimal | int | str
Quantities = Mapping[int, QuantityInput] | Iterable[LineQuantity]


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what}: must be a non-empty string, got {value!r}")
    return value


def _lines(value: Iterable[LineRequest]) -> tuple[LineRequest, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(f"lines: expected a list of LineRequest, got {value!r}")
    lines = tuple(value)
    for i, line in enumerate(lines):
        _check_line(line, f"lines[{i}]")
    return lines


def _check_line(line: object, where: str) -> LineRequest:
    if not isinstance(line, LineRequest):
        raise ValidationError(f"{where}: expected a LineRequest, got {line!r}")
    if not line.quantity > 0:
        raise ValidationError(f"{where}.quantity: must be > 0, got {line.quantity} ({line.sku})")
    return line


def _codes(value: Iterable[str] | str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, Iterable):
        raise ValidationError(f"codes: expected a list of campaign or coupon codes, got {value!r}")
    codes = frozenset(value)
    for code in codes:
        _text(code, "codes")
    return codes


def _optional_text(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        _text(value, attribute.name)  # type: ignore[arg-type]


def _customer(_: object, attribute: attrs.Attribute[str | Customer], value: object) -> None:
    if not isinstance(value, str | Customer):
        raise ValidationError(f"customer: expected a customer id or a Customer, got {value!r}")


@context_class
@attrs.define
class Order(AggregateRoot):
    """A sales order: the draft request, its latest priced snapshot, and its lifecycle.

    Create one with [`draft`][crmcore.orders.Order.draft] (or
    [`crmcore.orders.reorder_order`][crmcore.orders.reorder_order]). Every change is
    a method taking the acting [`Actor`][crmcore.ports.Actor] and ``at``; a refused change
    raises a [`crmcore.errors`][crmcore.errors] exception and leaves the order exactly as it was.
    Approval-process conditions read ``net_total``, ``grand_total``,
    ``approval_reasons.kind``, ``customer_id``, ``owner_id``, ``department``,
    ``effective_discount`` and ``discount_beyond_rules``.
    """

    aggregate_kind: ClassVar[str] = KIND

    id: str
    customer: str | Customer = attrs.field(validator=_customer)
    owner_id: str
    currency: Currency = attrs.field(converter=get_currency)
    department: str | None = attrs.field(default=None, validator=_optional_text)
    lines: tuple[LineRequest, ...] = attrs.field(default=(), converter=_lines)
    order_discount: OrderDiscount | None = None
    codes: frozenset[str] = attrs.field(factory=frozenset, converter=_codes)
    status: OrderStatus = OrderStatus.DRAFT
    #: The latest priced snapshot (kept after edits, but then no longer current).
    priced: PricedOrder | None = None
    #: Counts the draft's edits; the snapshot is current when it priced this revision.
    revision: int = 0
    priced_revision: int | None = None
    submitted_by: str | None = None
    approval_required: bool = False
    confirmed_at: datetime | None = None
    rejection_reason: str | None = None
    cancel_reason: str | None = None
    source_order_id: str | None = None
    policy: OrderPolicy = attrs.field(factory=OrderPolicy)
    _shipments: list[Shipment] = attrs.field(factory=list)
    _returns: list[OrderReturn] = attrs.field(factory=list)
    _receipts: list[Receipt] = attrs.field(factory=list)
    _short_closes: list[ShortClose] = attrs.field(factory=list)
    _history: list[DomainEvent] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.owner_id, "owner_id")
        _text(self.customer_id, "customer")

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def draft(
        cls,
        id: str,
        *,
        customer: str | Customer,
        owner_id: str,
        currency: Currency | str,
        actor: Actor,
        at: datetime,
        department: str | None = None,
        lines: Iterable[LineRequest] = (),
        order_discount: OrderDiscount | None = None,
        codes: Iterable[str] = (),
        source_order_id: str | None = None,
        policy: OrderPolicy | None = None,
    ) -> Order:
        """A new DRAFT order; ``lines`` may be added later with
        [`add_line`][crmcore.orders.Order.add_line]."""
        check_actor(actor)
        check_time(at)
        order = cls(
            id=id,
            customer=customer,
            owner_id=owner_id,
            currency=currency,
            department=department,
            lines=_lines(lines),
            order_discount=order_discount,
            codes=_codes(codes),
            source_order_id=source_order_id,
            policy=policy if policy is not None else OrderPolicy(),
        )
        order._check_discount(order_discount)
        order._transition(
            OrderDrafted,
            actor,
            at,
            _S.DRAFT,
            customer_id=order.customer_id,
            lines=len(order.lines),
            source_order_id=source_order_id,
        )
        return order

    # -- read access ------------------------------------------------------------------------
    @property
    def customer_id(self) -> str:
        """The customer's id."""
        return self.customer if isinstance(self.customer, str) else self.customer.id

    @property
    def history(self) -> tuple[DomainEvent, ...]:
        """Every event of the order, oldest first (append-only)."""
        return tuple(self._history)

    @property
    def shipments(self) -> tuple[Shipment, ...]:
        """Every shipment, oldest first."""
        return tuple(self._shipments)

    @property
    def returns(self) -> tuple[OrderReturn, ...]:
        """Every return note, oldest first."""
        return tuple(self._returns)

    @property
    def receipts(self) -> tuple[Receipt, ...]:
        """Every shipment's receipt, in the order they were confirmed."""
        return tuple(self._receipts)

    @property
    def short_closes(self) -> tuple[ShortClose, ...]:
        """The short-close of the rest of the order, if there was one."""
        return tuple(self._short_closes)

    @property
    def is_price_current(self) -> bool:
        """True when the snapshot priced the draft as it is now."""
        return self.priced is not None and self.priced_revision == self.revision

    @property
    def net_total(self) -> Money | None:
        """The snapshot's net total (before tax), None before the first pricing."""
        return None if self.priced is None else self.priced.net_total

    @property
    def grand_total(self) -> Money | None:
        """The snapshot's grand total (what the customer owes), None before pricing."""
        return None if self.priced is None else self.priced.grand_total

    @property
    def approval_reasons(self) -> tuple[ApprovalReason, ...]:
        """The guardrails the snapshot crossed (pricing's approval reasons)."""
        return () if self.priced is None else self.priced.approval_reasons

    @property
    def effective_discount(self) -> Percent | None:
        """1 − net / list over the whole order, None before pricing."""
        return None if self.priced is None else self.priced.effective_discount

    @property
    def discount_beyond_rules(self) -> Percent | None:
        """The discount beyond the company's rules, None before pricing."""
        return None if self.priced is None else self.priced.discount_beyond_rules

    @property
    def priced_lines(self) -> tuple[PricedLine, ...]:
        """The snapshot's lines (free lines added by rules included)."""
        return () if self.priced is None else self.priced.lines

    def ordered_quantity(self, line: int) -> Decimal:
        """The quantity of priced line ``line``."""
        return self._priced_line(line).quantity

    def shipped_quantity(self, line: int) -> Decimal:
        """How much of ``line`` has been shipped."""
        return sum(
            (q.quantity for s in self._shipments for q in s.lines if q.line == line),
            Decimal(0),
        )

    def received_quantity(self, line: int) -> Decimal:
        """How much of ``line`` the customer confirmed receiving (per shipment received)."""
        received = self._received_ids()
        return sum(
            (
                q.quantity
                for s in self._shipments
                if s.id in received
                for q in s.lines
                if q.line == line
            ),
            Decimal(0),
        )

    def returned_quantity(self, line: int) -> Decimal:
        """How much of ``line`` came back on return notes (closed or to ship again)."""
        return sum(
            (r.quantity for note in self._returns for r in note.lines if r.line == line),
            Decimal(0),
        )

    def delivered_quantity(self, line: int) -> Decimal:
        """How much of ``line`` the customer has: shipped less returned."""
        return self.shipped_quantity(line) - self.returned_quantity(line)

    def closed_quantity(self, line: int) -> Decimal:
        """How much of ``line`` will never ship: returned and closed, or short-closed."""
        closed = [
            r.quantity
            for note in self._returns
            if note.disposition is ReturnDisposition.CLOSE
            for r in note.lines
            if r.line == line
        ]
        closed += [r.quantity for c in self._short_closes for r in c.lines if r.line == line]
        return sum(closed, Decimal(0))

    def remaining_to_ship(self) -> dict[int, Decimal]:
        """Per priced line, the quantity still to ship: ordered less closed less delivered
        (returned units to ship again count; lines with nothing left are left out)."""
        remaining = {}
        for priced in self.priced_lines:
            i = priced.index
            left = priced.quantity - self.closed_quantity(i) - self.delivered_quantity(i)
            if left > 0:
                remaining[i] = left
        return remaining

    @property
    def returned_amount(self) -> Money:
        """Σ of the return notes' amounts."""
        return sum((r.amount for r in self._returns), Money.zero(self.currency))

    @property
    def short_closed_amount(self) -> Money:
        """What the short-closed units were worth."""
        return sum((c.amount for c in self._short_closes), Money.zero(self.currency))

    @property
    def net_amount(self) -> Money | None:
        """The grand total less the returns and the short-close: what the order is worth now."""
        total = self.grand_total
        if total is None:
            return None
        return total - self.returned_amount - self.short_closed_amount

    def available_transitions(self, actor: Actor) -> list[str]:
        """The lifecycle transitions ``actor`` could attempt now, by name."""
        machine = order_lifecycle(self.policy)
        return [t.name for t in machine.available_transitions(self.status, actor, self)]

    # -- editing the draft ------------------------------------------------------------------
    def add_line(self, actor: Actor, line: LineRequest, *, at: datetime) -> None:
        """Append a line to the draft."""
        self._check("edit", actor, at)
        _check_line(line, f"lines[{len(self.lines)}]")
        self._edited(actor, at, (*self.lines, line), f"added line {len(self.lines)} {line.sku}")

    def replace_line(self, actor: Actor, index: int, line: LineRequest, *, at: datetime) -> None:
        """Replace line ``index`` (new quantity, override or manual discount)."""
        self._check("edit", actor, at)
        self._check_index(index)
        _check_line(line, f"lines[{index}]")
        lines = list(self.lines)
        lines[index] = line
        self._edited(actor, at, tuple(lines), f"replaced line {index} {line.sku}")

    def remove_line(self, actor: Actor, index: int, *, at: datetime) -> None:
        """Remove line ``index`` from the draft."""
        self._check("edit", actor, at)
        self._check_index(index)
        sku = self.lines[index].sku
        lines = self.lines[:index] + self.lines[index + 1 :]
        self._edited(actor, at, lines, f"removed line {index} {sku}")

    def set_order_discount(
        self, actor: Actor, discount: OrderDiscount | None, *, at: datetime
    ) -> None:
        """Set (or clear, with None) the order-level discount."""
        self._check("edit", actor, at)
        self._check_discount(discount)
        self.order_discount = discount
        what = "cleared the order discount" if discount is None else discount.describe()
        self._edited(actor, at, self.lines, what)

    def set_codes(self, actor: Actor, codes: Iterable[str], *, at: datetime) -> None:
        """Replace the campaign or coupon codes."""
        self._check("edit", actor, at)
        new = _codes(codes) if isinstance(codes, str) else frozenset(codes)
        for code in new:
            _text(code, "codes")
        self.codes = new
        self._edited(actor, at, self.lines, f"codes {sorted(new)}")

    def price(
        self,
        engine: PricingEngine,
        actor: Actor,
        *,
        at: datetime,
        on: date | None = None,
        reason: str | None = None,
    ) -> PricedOrder:
        """Price the draft as of ``on`` (default ``at``'s date) and keep the snapshot.

        The actor's roles set the discount authority. A day before the order was drafted
        (an expired, maybe cheaper price list) is refused unless the actor holds one of the
        policy's ``reprice_roles`` and gives a ``reason``; such a price is then an approval
        reason (``backdated_price``). Pricing errors (unknown SKU, a missing price...)
        propagate and leave the order unchanged.
        """
        self._check("price", actor, at)
        if not self.lines:
            raise ValidationError(f"order {self.id}: cannot price a draft without lines")
        day = on if on is not None else at.date()
        backdated = self._check_price_day(actor, day, reason)
        request = OrderRequest(
            customer=self.customer,
            currency=self.currency,
            on=day,
            lines=self.lines,
            order_discount=self.order_discount,
            codes=self.codes,
            roles=actor.roles,
        )
        priced = engine.price(request, actor=actor)
        if backdated is not None:
            priced = attrs.evolve(priced, approval_reasons=(*priced.approval_reasons, backdated))
        self.priced = priced
        self.priced_revision = self.revision
        self._transition(
            OrderPriced,
            actor,
            at,
            _S.DRAFT,
            priced_on=request.on.isoformat(),
            net_total=priced.net_total,
            grand_total=priced.grand_total,
            approval_reasons=tuple(r.kind for r in priced.approval_reasons),
        )
        return priced

    @property
    def drafted_on(self) -> date | None:
        """The day the order was drafted (None for an order restored without its history)."""
        return self._history[0].occurred_at.date() if self._history else None

    def _check_price_day(
        self, actor: Actor, day: date, reason: str | None
    ) -> ApprovalReason | None:
        """Refuse a price day before the draft date unless an authorised actor gives a
        reason; then the approval reason that comes with it."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValidationError(f"on: expected a date, got {day!r}")
        drafted = self.drafted_on
        if drafted is None or day >= drafted:
            return None
        roles = self.policy.reprice_roles
        if not actor.has_role(*roles):
            held = ", ".join(sorted(actor.roles)) or "none"
            raise PermissionDenied(
                f"order {self.id}: {actor.user_id} (roles: {held}) may not price as of "
                f"{day.isoformat()}, before the draft date {drafted.isoformat()}; requires one "
                f"of: {', '.join(sorted(roles))}, with a reason"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(
                f"reason: pricing order {self.id} as of {day.isoformat()}, before its draft "
                f"date {drafted.isoformat()}, needs a reason; got {reason!r}"
            )
        return ApprovalReason(
            "backdated_price",
            None,
            drafted,
            day,
            f"priced as of {day.isoformat()}, before the draft date {drafted.isoformat()} "
            f"by {actor.user_id}: {reason}",
        )

    # -- submission and approval ------------------------------------------------------------
    def submit(
        self,
        actor: Actor,
        *,
        at: datetime,
        approval_required: bool,
        credit: CreditCheck | None = None,
    ) -> OrderStatus:
        """Submit the priced draft: to PENDING_APPROVAL or straight to CONFIRMED.

        ``approval_required`` is the services' answer from the approval process's entry
        condition; a credit check that says ``needs_approval`` forces approval, ``blocked``
        refuses with the figures, an allowed check with reasons adds a warning event.
        """
        needs = approval_required or (
            credit is not None and credit.decision is CreditDecision.NEEDS_APPROVAL
        )
        name = "submit_for_approval" if needs else "submit"
        self._check(name, actor, at)
        if not self.is_price_current or self.priced is None:
            raise InvalidTransition(
                f"order {self.id}: cannot submit: the draft "
                + (
                    "has never been priced"
                    if self.priced is None
                    else f"was edited since it was priced (revision {self.revision}, "
                    f"priced {self.priced_revision}); price it again"
                )
            )
        priced = self.priced
        if credit is not None:
            self._check_credit(credit, priced.grand_total)
        reasons = tuple(r.kind for r in priced.approval_reasons)
        self.submitted_by = actor.user_id
        self.approval_required = needs
        self.rejection_reason = None
        target = _S.PENDING_APPROVAL if needs else _S.CONFIRMED
        if credit is not None and credit.decision is CreditDecision.ALLOWED and credit.reasons:
            self._transition(
                OrderCreditWarning,
                actor,
                at,
                _S.DRAFT,
                exposure=credit.exposure,
                limit=credit.limit,
                reasons=credit.reasons,
            )
        self._transition(
            OrderSubmitted,
            actor,
            at,
            target,
            approval_required=needs,
            credit_decision=None if credit is None else credit.decision.value,
            net_total=priced.net_total,
            grand_total=priced.grand_total,
            approval_reasons=reasons,
        )
        if not needs:
            self._confirm(actor, at)
        return target

    def approve(self, actor: Actor, *, at: datetime, approval_id: str | None = None) -> None:
        """The approval request was approved: the order is CONFIRMED."""
        self._check("approve", actor, at)
        priced = self._snapshot()
        self._transition(
            OrderApproved,
            actor,
            at,
            _S.CONFIRMED,
            approval_id=approval_id,
            grand_total=priced.grand_total,
        )
        self._confirm(actor, at)

    def reject(
        self, actor: Actor, *, at: datetime, reason: str, approval_id: str | None = None
    ) -> None:
        """The approval request was rejected: back to DRAFT with ``reason``."""
        self._check("reject", actor, at)
        _text(reason, "reason")
        self.rejection_reason = reason
        self._transition(
            OrderRejected, actor, at, _S.DRAFT, reason=reason, approval_id=approval_id
        )

    def withdraw(self, actor: Actor, *, at: datetime, reason: str = "") -> None:
        """The submitter takes the pending order back to DRAFT (nobody else may)."""
        self._check("withdraw", actor, at)
        self._transition(OrderWithdrawn, actor, at, _S.DRAFT, reason=reason)

    def hand_over(self, actor: Actor, to: str, *, at: datetime, reason: str) -> None:
        """Give the order to the colleague ``to`` (its salesperson left), with the reason,
        while it is not completed or cancelled; the history keeps who had it and why. The
        caller (the services' handover) has checked who may."""
        self._check_change(actor, at)
        if self.status in (_S.COMPLETED, _S.CANCELLED):
            raise InvalidTransition(
                f"order {self.id}: it is {self.status.value}; only an open order is handed over"
            )
        _text(to, "to")
        _text(reason, "reason")
        if to == self.owner_id:
            raise ValidationError(f"order {self.id}: {to} already owns it")
        previous = self.owner_id
        self.owner_id = to
        self._transition(
            OrderHandedOver, actor, at, self.status, previous_owner_id=previous, reason=reason
        )

    def cancel(self, actor: Actor, *, at: datetime, reason: str) -> None:
        """Cancel before any shipment, with the reason."""
        self._check("cancel", actor, at)
        _text(reason, "reason")
        self.cancel_reason = reason
        self._transition(OrderCancelled, actor, at, _S.CANCELLED, reason=reason)

    # -- goods ------------------------------------------------------------------------------
    def ship(
        self,
        actor: Actor,
        quantities: Quantities,
        *,
        at: datetime,
        reference: str | None = None,
    ) -> Shipment:
        """Ship these quantities per priced line; never more than ordered minus shipped."""
        wanted = self._quantities(quantities, "ship")
        remaining = self.remaining_to_ship()
        for line, quantity in wanted.items():
            left = remaining.get(line, Decimal(0))
            if quantity > left:
                raise ValidationError(
                    f"order {self.id}: line {line} ({self._priced_line(line).sku}): cannot ship "
                    f"{quantity}; ordered {self.ordered_quantity(line)}, shipped "
                    f"{self.shipped_quantity(line)}, left {left}"
                )
        complete = all(
            remaining.get(p.index, Decimal(0)) == wanted.get(p.index, Decimal(0))
            for p in self.priced_lines
        )
        self._check("ship" if complete else "ship_partially", actor, at)
        shipment = Shipment(
            id=f"{self.id}/S{len(self._shipments) + 1}",
            lines=[LineQuantity(line, q) for line, q in sorted(wanted.items())],
            shipped_by=actor.user_id,
            shipped_at=at,
            reference=reference,
        )
        self._shipments.append(shipment)
        self._transition(
            OrderShipped,
            actor,
            at,
            _S.SHIPPED if complete else _S.PARTIALLY_SHIPPED,
            shipment_id=shipment.id,
            quantities=tuple((q.line, q.quantity) for q in shipment.lines),
            complete=complete,
        )
        return shipment

    def ship_remaining(
        self, actor: Actor, *, at: datetime, reference: str | None = None
    ) -> Shipment:
        """Ship everything not yet shipped."""
        return self.ship(actor, self.remaining_to_ship(), at=at, reference=reference)

    def confirm_receipt(
        self, actor: Actor, *, at: datetime, shipment_id: str | None = None
    ) -> None:
        """The customer confirmed receiving everything shipped, or one shipment.

        With ``shipment_id`` only that shipment is received (in any shipped state); the order
        is RECEIVED once everything is shipped and every shipment received.
        """
        if shipment_id is None:
            self._check("confirm_receipt", actor, at)
            received = self._received_ids()
            self._receipts.extend(
                Receipt(s.id, actor.user_id, at) for s in self._shipments if s.id not in received
            )
            self._transition(OrderReceived, actor, at, _S.RECEIVED)
            return
        self._check("confirm_shipment_receipt", actor, at)
        shipment = self._shipment(shipment_id)
        if shipment.id in self._received_ids():
            raise InvalidTransition(f"order {self.id}: shipment {shipment.id} is already received")
        self._receipts.append(Receipt(shipment.id, actor.user_id, at))
        everything = self.status is _S.SHIPPED and all(
            s.id in self._received_ids() for s in self._shipments
        )
        target = _S.RECEIVED if everything else self.status
        self._transition(OrderReceived, actor, at, target, shipment_id=shipment.id)

    def record_return(
        self,
        actor: Actor,
        quantities: Quantities,
        *,
        at: datetime,
        reason: str,
        disposition: ReturnDisposition = ReturnDisposition.CLOSE,
    ) -> OrderReturn:
        """A return note of shipped units, in any state after shipment.

        ``disposition`` says what becomes of them: CLOSE (default) makes the order worth
        less by the note's amount; RESHIP puts them back to left-to-ship (amount zero; not
        from a completed order). Amounts are cumulative over everything closed: a line's
        amount(q) = round(line total × q / ordered), and the order's = round(Σ lines × grand
        total / Σ line totals), which carries the cash rounding, so closing every unit sums
        to exactly the grand total. Record ``note.amount`` on the receivable with
        [`crmcore.orders.record_return_on`][crmcore.orders.record_return_on].
        """
        if not isinstance(disposition, ReturnDisposition):
            raise ValidationError(
                f"order {self.id}: disposition: expected a ReturnDisposition, got {disposition!r}"
            )
        close = disposition is ReturnDisposition.CLOSE
        self._check("record_return" if close else "return_for_reshipment", actor, at)
        _text(reason, "reason")
        wanted = self._quantities(quantities, "return")
        for line, quantity in sorted(wanted.items()):
            before = self.returned_quantity(line)
            shipped = self.shipped_quantity(line)
            if before + quantity > shipped:
                raise ValidationError(
                    f"order {self.id}: line {line} ({self._priced_line(line).sku}): cannot "
                    f"return {quantity}; shipped {shipped}, returned {before}, "
                    f"left {shipped - before}"
                )
        if close:
            lines, total, rounding = self._closing(wanted)
        else:
            zero = Money.zero(self.currency).round()
            lines = [ReturnLine(line, q, zero) for line, q in sorted(wanted.items())]
            total, rounding = zero, None
        note = OrderReturn(
            id=f"{self.id}/R{len(self._returns) + 1}",
            lines=lines,
            amount=total,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
            disposition=disposition,
            rounding=rounding,
        )
        if not close:
            self._keep_legacy_receipts()
        self._returns.append(note)
        self._transition(
            OrderReturnRecorded,
            actor,
            at,
            self.status if close else _S.PARTIALLY_SHIPPED,
            return_id=note.id,
            quantities=tuple((r.line, r.quantity) for r in note.lines),
            amount=total,
            reason=reason,
            disposition=disposition.value,
        )
        return note

    def short_close(self, actor: Actor, *, at: datetime, reason: str) -> ShortClose:
        """Close the rest of a partly shipped order: it will not ship, the order is SHIPPED
        and worth the short-close's amount less (pass it to the receivable with
        [`crmcore.orders.record_short_close_on`][crmcore.orders.record_short_close_on])."""
        self._check("short_close", actor, at)
        _text(reason, "reason")
        remaining = self.remaining_to_ship()
        if not remaining:
            raise InvalidTransition(f"order {self.id}: nothing is left to ship to close")
        lines, total, rounding = self._closing(remaining)
        closed = ShortClose(
            id=f"{self.id}/X{len(self._short_closes) + 1}",
            lines=lines,
            amount=total,
            reason=reason,
            closed_by=actor.user_id,
            closed_at=at,
            rounding=rounding,
        )
        self._short_closes.append(closed)
        self._transition(
            OrderShortClosed,
            actor,
            at,
            _S.SHIPPED,
            short_close_id=closed.id,
            quantities=tuple((r.line, r.quantity) for r in closed.lines),
            amount=total,
            reason=reason,
        )
        return closed

    def complete(self, actor: Actor, *, at: datetime, balance: Balance | None) -> None:
        """Close the order: received, fully paid and fully invoiced per the receivable's
        ``balance``; refused with the figures otherwise. A zero-amount order (a free sample)
        has no receivable: its ``balance`` is None."""
        self._check("complete", actor, at)
        priced = self._snapshot()
        if balance is None:
            if priced.grand_total.amount != 0:
                raise ValidationError(
                    f"order {self.id}: a balance is required to complete an order of "
                    f"{priced.grand_total}; only a zero-amount order has none"
                )
            zero = priced.grand_total
            self._transition(OrderCompleted, actor, at, _S.COMPLETED, net_amount=zero)
            return
        if balance.amount.currency != self.currency:
            raise CurrencyMismatch(
                f"order {self.id}: balance in {balance.amount.currency}, order in {self.currency}"
            )
        if balance.amount != priced.grand_total:
            raise ValidationError(
                f"order {self.id}: the balance is for {balance.amount}, not this order's "
                f"grand total {priced.grand_total}"
            )
        missing = []
        if balance.outstanding.amount > 0:
            missing.append(f"outstanding {balance.outstanding}")
        if balance.pending_confirmation.amount > 0:
            missing.append(f"pending confirmation {balance.pending_confirmation}")
        if balance.not_yet_invoiced.amount > 0:
            missing.append(f"not yet invoiced {balance.not_yet_invoiced}")
        if balance.pending_invoice.amount > 0:
            missing.append(f"pending invoice {balance.pending_invoice}")
        if balance.pending_credit.amount > 0:
            missing.append(f"pending credit note {balance.pending_credit}")
        if missing:
            raise InvalidTransition(
                f"order {self.id}: cannot complete: net amount {balance.net_amount}, received "
                f"{balance.received}, invoiced {balance.invoiced}; " + ", ".join(missing)
            )
        self._transition(OrderCompleted, actor, at, _S.COMPLETED, net_amount=balance.net_amount)

    # -- internals --------------------------------------------------------------------------
    def _check(self, name: str, actor: Actor, at: datetime) -> None:
        self._check_change(actor, at)
        order_lifecycle(self.policy).check(name, self.status, actor, self)

    def _last_change_at(self) -> datetime | None:
        return self._history[-1].occurred_at if self._history else None

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError(f"line index: expected an int, got {index!r}")
        if not 0 <= index < len(self.lines):
            raise NotFound(f"order {self.id}: no line {index} (has {len(self.lines)})")

    def _check_discount(self, discount: OrderDiscount | None) -> None:
        if discount is not None and not isinstance(discount, PercentOff | AmountOff | TargetTotal):
            raise ValidationError(
                f"order {self.id}: order discount: expected PercentOff, AmountOff or "
                f"TargetTotal, got {discount!r}"
            )
        money = getattr(discount, "amount", None) or getattr(discount, "total", None)
        if isinstance(money, Money) and money.currency != self.currency:
            raise CurrencyMismatch(
                f"order {self.id}: order discount {money} is not in {self.currency}"
            )

    def _check_credit(self, credit: CreditCheck, grand_total: Money) -> None:
        if credit.customer != self.customer_id:
            raise ValidationError(
                f"order {self.id}: credit check is for customer {credit.customer!r}, "
                f"not {self.customer_id!r}"
            )
        if credit.new_amount != grand_total:
            raise ValidationError(
                f"order {self.id}: credit check was for {credit.new_amount}, the order's grand "
                f"total is {grand_total}"
            )
        if credit.decision is CreditDecision.BLOCKED:
            raise InvalidTransition(
                f"order {self.id}: credit blocked for {credit.customer}: exposure "
                f"{credit.exposure} + this order {credit.new_amount} against the limit "
                f"{credit.limit} ({credit.utilisation or 'no'} used): " + "; ".join(credit.reasons)
            )

    def _snapshot(self) -> PricedOrder:
        if self.priced is None:
            raise InvalidTransition(f"order {self.id}: has no priced snapshot")
        return self.priced

    def _received_ids(self) -> set[str]:
        """The shipments received (before receipts were kept: all, once RECEIVED)."""
        if not self._receipts and self.status in _RECEIVED:
            return {s.id for s in self._shipments}
        return {r.shipment_id for r in self._receipts}

    def _keep_legacy_receipts(self) -> None:
        """Before the order leaves RECEIVED, write down the receipts of an order received
        before receipts were kept (from its last ``OrderReceived``), so they stay received."""
        if self._receipts or self.status not in _RECEIVED:
            return
        received = next(e for e in reversed(self._history) if isinstance(e, OrderReceived))
        self._receipts.extend(
            Receipt(s.id, received.actor_id, received.occurred_at) for s in self._shipments
        )

    def _shipment(self, shipment_id: str) -> Shipment:
        for shipment in self._shipments:
            if shipment.id == shipment_id:
                return shipment
        raise NotFound(f"order {self.id}: no shipment {shipment_id!r}")

    def _closing(
        self, quantities: Mapping[int, Decimal]
    ) -> tuple[list[ReturnLine], Money, Money | None]:
        """The lines, amount and rounding share of closing ``quantities`` more units.

        Cumulative, so the notes sum to what everything closed is worth: the lines as
        round(line total × closed / ordered), the order as round(Σ lines × grand total /
        Σ line totals), which carries the cash rounding to the last unit.
        """
        priced = self._snapshot()
        closed = {p.index: self.closed_quantity(p.index) for p in priced.lines}
        lines = []
        for line, quantity in sorted(quantities.items()):
            p = self._priced_line(line)
            amount = _cumulative(p, closed[line] + quantity) - _cumulative(p, closed[line])
            lines.append(ReturnLine(line, quantity, amount))
            closed[line] += quantity
        worth = _worth(priced, closed)
        total = worth - self.returned_amount - self.short_closed_amount
        share = total - sum((r.amount for r in lines), Money.zero(self.currency))
        return lines, total, (share if share.amount != 0 else None)

    def _priced_line(self, line: int) -> PricedLine:
        for priced in self.priced_lines:
            if priced.index == line:
                return priced
        raise NotFound(f"order {self.id}: no priced line {line!r}")

    def _quantities(self, quantities: Quantities, what: str) -> dict[int, Decimal]:
        pairs: list[tuple[int, object]]
        if isinstance(quantities, Mapping):
            pairs = list(quantities.items())
        elif isinstance(quantities, str) or not isinstance(quantities, Iterable):
            raise ValidationError(
                f"order {self.id}: {what} quantities: expected {{line: quantity}} or "
                f"LineQuantity items, got {quantities!r}"
            )
        else:
            pairs = []
            for item in quantities:
                if not isinstance(item, LineQuantity):
                    raise ValidationError(
                        f"order {self.id}: {what} quantities: expected LineQuantity items or "
                        f"{{line: quantity}}, got {item!r}"
                    )
                pairs.append((item.line, item.quantity))
        wanted: dict[int, Decimal] = {}
        for line, raw in pairs:
            self._priced_line(line)
            quantity = to_decimal(raw, f"{what} quantity of line {line}")
            if not quantity > 0:
                raise ValidationError(
                    f"order {self.id}: {what} quantity of line {line} must be > 0, got {raw}"
                )
            if line in wanted:
                raise ValidationError(f"order {self.id}: line {line} given twice to {what}")
            wanted[line] = quantity
        if not wanted:
            raise ValidationError(f"order {self.id}: nothing to {what}")
        return wanted

    def _edited(
        self, actor: Actor, at: datetime, lines: tuple[LineRequest, ...], change: str
    ) -> None:
        self.lines = lines
        self.revision += 1
        self._transition(OrderEdited, actor, at, _S.DRAFT, change=change, lines=len(lines))

    def _confirm(self, actor: Actor, at: datetime) -> None:
        priced = self._snapshot()
        self.confirmed_at = at
        self._transition(
            OrderConfirmed,
            actor,
            at,
            _S.CONFIRMED,
            net_total=priced.net_total,
            grand_total=priced.grand_total,
            customer_id=self.customer_id,
        )

    def _transition(
        self,
        event_type: Callable[..., OrderEvent],
        actor: Actor,
        at: datetime,
        to_status: OrderStatus,
        **fields: object,
    ) -> None:
        self._emit(
            event_type,
            actor,
            at,
            owner_id=self.owner_id,
            department=self.department,
            from_status=self.status,
            to_status=to_status,
            **fields,
        )
        self.status = to_status

    def _remember(self, event: DomainEvent) -> None:
        self._history.append(event)


def _worth(priced: PricedOrder, closed: Mapping[int, Decimal]) -> Money:
    """What ``closed`` units are worth, cash rounding carried: round(S × grand / Σ totals)."""
    currency = priced.grand_total.currency
    lines = sum(
        (_cumulative(p, closed.get(p.index, Decimal(0))) for p in priced.lines),
        Money.zero(currency),
    )
    totals = sum((p.total for p in priced.lines), Money.zero(currency))
    if totals == priced.grand_total or not totals.amount:
        return lines.round()
    share = CONTEXT.divide(
        CONTEXT.multiply(lines.amount, priced.grand_total.amount), totals.amount
    )
    return Money(share, currency).round()


def _cumulative(line: PricedLine, quantity: Decimal) -> Money:
    """The exact amount of ``quantity`` units of ``line``: round(total × quantity / ordered)."""
    if quantity == line.quantity:
        return line.total
    share = CONTEXT.divide(CONTEXT.multiply(line.total.amount, quantity), line.quantity)
    return Money(share, line.total.currency).round()
