"""Every refused call raises a specific error, names the figures, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs
import pytest

from crmcore.errors import (
    CurrencyMismatch,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money, Percent
from crmcore.orders import (
    LineQuantity,
    Order,
    OrderCreditWarning,
    OrderPolicy,
    OrderStatus,
    open_receivable,
    reorder_order,
)
from crmcore.ports import Actor
from crmcore.pricing import AmountOff, LineRequest
from crmcore.receivables import CreditCheck, CreditDecision, CreditPolicy, check_credit
from crmcore.serialization import to_dict
from tests.orders.order_support import (
    ENGINE,
    FINANCE,
    MANAGER,
    SALES,
    SALES2,
    SHIPPING,
    TERMS,
    at,
    cny,
    confirmed_order,
    new_order,
    priced_order,
    received_order,
)


@contextmanager
def unchanged(order: Order) -> Iterator[None]:
    before = to_dict(order)
    events = len(order.history)
    yield
    assert to_dict(order) == before
    assert len(order.history) == events


def refused(order: Order, error: type[Exception], match: str, call: Callable[[], Any]) -> None:
    with unchanged(order), pytest.raises(error, match=match):
        call()


def test_editing_after_submit_is_refused() -> None:
    order = confirmed_order()
    refused(
        order,
        InvalidTransition,
        "cannot edit in state CONFIRMED",
        lambda: order.add_line(SALES, LineRequest("BIT", 1), at=at(3)),
    )
    refused(
        order,
        InvalidTransition,
        "cannot price",
        lambda: order.price(ENGINE, SALES, at=at(3)),
    )


def test_bad_edits_are_refused() -> None:
    order = new_order()
    refused(order, NotFound, "no line 5", lambda: order.remove_line(SALES, 5, at=at(3)))
    refused(
        order,
        ValidationError,
        "expected an int",
        lambda: order.replace_line(SALES, True, LineRequest("BIT", 1), at=at(3)),  # type: ignore[arg-type]
    )
    refused(
        order,
        ValidationError,
        "quantity: must be > 0",
        lambda: order.add_line(SALES, LineRequest("BIT", 0), at=at(3)),
    )
    refused(
        order,
        ValidationError,
        "expected a LineRequest",
        lambda: order.add_line(SALES, "BIT", at=at(3)),  # type: ignore[arg-type]
    )
    refused(
        order,
        CurrencyMismatch,
        "not in CNY",
        lambda: order.set_order_discount(SALES, AmountOff(Money(5, "USD")), at=at(3)),
    )
    refused(order, ValidationError, "codes", lambda: order.set_codes(SALES, [" "], at=at(3)))
    refused(
        order,
        ValidationError,
        "before order SO-1's last change",
        lambda: order.set_codes(SALES, ["SPRING"], at=at(1)),
    )
    refused(
        order,
        ValidationError,
        "expected a datetime",
        lambda: order.set_codes(SALES, ["SPRING"], at="2026-03-03"),  # type: ignore[arg-type]
    )
    refused(
        order,
        ValidationError,
        "mix naive",
        lambda: order.set_codes(SALES, ["X"], at=datetime.fromisoformat("2026-03-03T09:00+08:00")),
    )
    refused(
        order,
        ValidationError,
        "expected an Actor",
        lambda: order.set_codes("sally", ["X"], at=at(3)),  # type: ignore[arg-type]
    )


def test_draft_edits_mark_the_price_stale() -> None:
    order = priced_order()
    order.replace_line(SALES, 1, LineRequest("SAW", 3), at=at(3))
    order.remove_line(SALES, 0, at=at(3))
    order.set_codes(SALES, "SPRING", at=at(3))
    order.set_order_discount(SALES, None, at=at(3))
    assert order.revision == 4
    assert [(line.sku, line.quantity) for line in order.lines] == [("SAW", 3)]
    assert order.codes == frozenset({"SPRING"})
    refused(
        order,
        InvalidTransition,
        "edited since it was priced",
        lambda: order.submit(SALES, at=at(3), approval_required=False),
    )


def test_submitting_an_unpriced_or_empty_draft_is_refused() -> None:
    order = new_order()
    refused(
        order,
        InvalidTransition,
        "never been priced",
        lambda: order.submit(SALES, at=at(3), approval_required=True),
    )
    empty = new_order(lines=[])
    refused(empty, ValidationError, "without lines", lambda: empty.price(ENGINE, SALES, at=at(3)))
    bad = new_order(lines=[LineRequest("NOPE", 1)])
    refused(bad, ValidationError, "NOPE", lambda: bad.price(ENGINE, SALES, at=at(3)))


def test_shipping_more_than_ordered_is_refused() -> None:
    order = confirmed_order()
    order.ship(SHIPPING, [LineQuantity(0, 2)], at=at(3))
    refused(
        order,
        ValidationError,
        r"cannot ship 2; ordered 3, shipped 2, left 1",
        lambda: order.ship(SHIPPING, {0: 2}, at=at(4)),
    )
    refused(order, NotFound, "no priced line 7", lambda: order.ship(SHIPPING, {7: 1}, at=at(4)))
    refused(order, ValidationError, "must be > 0", lambda: order.ship(SHIPPING, {1: 0}, at=at(4)))
    refused(order, ValidationError, "nothing to ship", lambda: order.ship(SHIPPING, {}, at=at(4)))
    refused(
        order,
        ValidationError,
        "given twice",
        lambda: order.ship(SHIPPING, [LineQuantity(1, 1), LineQuantity(1, 1)], at=at(4)),
    )
    refused(
        order,
        ValidationError,
        "float",
        lambda: order.ship(SHIPPING, {1: 1.5}, at=at(4)),  # type: ignore[dict-item]
    )


def test_only_the_shipping_role_ships_and_confirms_receipt() -> None:
    order = confirmed_order()
    refused(
        order,
        PermissionDenied,
        "requires one of: shipping",
        lambda: order.ship(SALES, {0: 1}, at=at(3)),
    )
    order.ship_remaining(SHIPPING, at=at(3))
    refused(
        order,
        PermissionDenied,
        "may not confirm_receipt",
        lambda: order.confirm_receipt(FINANCE, at=at(4)),
    )


def test_the_shipping_roles_are_configurable() -> None:
    order = Order.draft(
        "SO-9",
        customer="acme",
        owner_id="sally",
        currency="CNY",
        actor=SALES,
        at=at(2),
        lines=[LineRequest("BIT", 1)],
        policy=OrderPolicy(shipping_roles="warehouse"),
    )
    order.price(ENGINE, SALES, at=at(2))
    order.submit(SALES, at=at(2), approval_required=False)
    refused(order, PermissionDenied, "warehouse", lambda: order.ship_remaining(SHIPPING, at=at(3)))
    order.ship_remaining(Actor("wu", "warehouse"), at=at(3))
    assert order.status is OrderStatus.SHIPPED


def test_cancelling_after_shipment_is_refused() -> None:
    order = confirmed_order()
    order.ship(SHIPPING, {0: 1}, at=at(3))
    refused(
        order,
        InvalidTransition,
        "cannot cancel in state PARTIALLY_SHIPPED",
        lambda: order.cancel(SALES, at=at(4), reason="too late"),
    )
    fresh = confirmed_order()
    refused(fresh, ValidationError, "reason", lambda: fresh.cancel(SALES, at=at(4), reason=" "))


def test_withdraw_by_someone_else_is_refused() -> None:
    order = priced_order()
    order.submit(SALES, at=at(2, 11), approval_required=True)
    refused(
        order,
        PermissionDenied,
        "only the submitter sally may withdraw it, not tom",
        lambda: order.withdraw(SALES2, at=at(2, 12)),
    )
    assert order.available_transitions(SALES2) == ["approve", "reject", "cancel"]
    assert "withdraw" in order.available_transitions(SALES)
    refused(order, ValidationError, "reason", lambda: order.reject(MANAGER, at=at(3), reason=""))


def test_completing_when_not_fully_paid_is_refused_with_the_figures() -> None:
    order = received_order()
    receivable = open_receivable(order, TERMS, "AR-1", actor=SALES, at=at(5))
    payment = receivable.record_payment(SALES, cny("400"), received_on=at(6).date(), at=at(6))
    balance = receivable.balance(at(6).date())
    refused(
        order,
        InvalidTransition,
        r"received 0.00 CNY, invoiced 0.00 CNY; outstanding 791.00 CNY, pending confirmation "
        r"400.00 CNY, not yet invoiced 791.00 CNY",
        lambda: order.complete(FINANCE, at=at(7), balance=balance),
    )
    receivable.confirm_payment(FINANCE, payment.id, at=at(6, 12))
    invoice = receivable.request_invoice(
        SALES, cny("791"), title="ACME", tax_id="1", address="SH", at=at(6, 13)
    )
    balance = receivable.balance(at(6).date())
    refused(
        order,
        InvalidTransition,
        r"outstanding 391.00 CNY, pending invoice 791.00 CNY",
        lambda: order.complete(FINANCE, at=at(7), balance=balance),
    )
    assert invoice.amount == cny("791")
    other = received_order(lines=[LineRequest("BIT", 1)])
    refused(
        other,
        ValidationError,
        "not this order's grand total 11.30 CNY",
        lambda: other.complete(FINANCE, at=at(7), balance=balance),
    )


def test_completing_before_receipt_or_with_another_currency_is_refused() -> None:
    order = confirmed_order()
    receivable = open_receivable(order, TERMS, "AR-1", actor=SALES, at=at(3))
    balance = receivable.balance(at(3).date())
    refused(
        order,
        InvalidTransition,
        "cannot complete in state CONFIRMED",
        lambda: order.complete(FINANCE, at=at(7), balance=balance),
    )
    done = received_order()
    foreign = attrs.evolve(balance, amount=Money(balance.amount.amount, "USD"))
    refused(
        done,
        CurrencyMismatch,
        "balance in USD",
        lambda: done.complete(FINANCE, at=at(7), balance=foreign),
    )


def test_returns_beyond_what_was_shipped_are_refused() -> None:
    order = confirmed_order()
    refused(
        order,
        InvalidTransition,
        "cannot record_return in state CONFIRMED",
        lambda: order.record_return(SALES, {0: 1}, at=at(4), reason="x"),
    )
    done = received_order()
    done.record_return(SALES, {0: 2}, at=at(6), reason="broken")
    refused(
        done,
        ValidationError,
        r"cannot return 2; shipped 3, returned 2, left 1",
        lambda: done.record_return(SALES, {0: 2}, at=at(7), reason="broken"),
    )
    refused(
        done,
        ValidationError,
        "reason",
        lambda: done.record_return(SALES, {0: 1}, at=at(7), reason=""),
    )


def test_receivable_needs_a_confirmed_order_with_something_to_collect() -> None:
    draft = priced_order()
    with pytest.raises(InvalidTransition, match="must be confirmed"):
        open_receivable(draft, TERMS, "AR-1", actor=SALES, at=at(3))
    free = confirmed_order(lines=[LineRequest("BIT", 1, unit_price=cny(0))])
    with pytest.raises(ValidationError, match="nothing to collect"):
        open_receivable(free, TERMS, "AR-1", actor=SALES, at=at(3))


def test_reorder_needs_a_priced_order() -> None:
    with pytest.raises(ValidationError, match="never priced"):
        reorder_order(new_order(), "SO-2", actor=SALES, at=at(3))


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValidationError, match="owner_id"):
        Order.draft("SO-1", customer="acme", owner_id=" ", currency="CNY", actor=SALES, at=at(2))
    with pytest.raises(ValidationError, match="expected a datetime"):
        Order.draft("SO-1", customer="acme", owner_id="s", currency="CNY", actor=SALES, at=None)  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Order.draft(
            "SO-1",
            customer="acme",
            owner_id="s",
            currency="CNY",
            actor=SALES,
            at=at(2),
            order_discount=AmountOff(Money(1, "EUR")),
        )


# -- credit at submission --------------------------------------------------------------------


def _credit(order: Order, decision: CreditDecision, reasons: tuple[str, ...] = ()) -> CreditCheck:
    assert order.grand_total is not None
    return CreditCheck(
        customer="acme",
        decision=decision,
        exposure=cny("9000.00"),
        new_amount=order.grand_total,
        limit=cny("10000"),
        utilisation=Percent("97.91"),
        reasons=reasons,
    )


def test_credit_blocked_refuses_submission_with_the_figures() -> None:
    order = priced_order()
    check = _credit(order, CreditDecision.BLOCKED, ("utilisation above 95 % blocks new orders",))
    refused(
        order,
        InvalidTransition,
        r"credit blocked for acme: exposure 9000.00 CNY \+ this order 791.00 CNY against the "
        r"limit 10000.00 CNY \(97.91 % used\): utilisation above 95 % blocks",
        lambda: order.submit(SALES, at=at(3), approval_required=False, credit=check),
    )


def test_credit_needing_approval_forces_pending_approval() -> None:
    order = priced_order()
    policy = CreditPolicy(limits={"acme": cny("500")})
    check = check_credit("acme", cny("791.00"), receivables=[], as_of=at(3).date(), policy=policy)
    assert check.decision is CreditDecision.NEEDS_APPROVAL
    status = order.submit(SALES, at=at(3), approval_required=False, credit=check)
    assert status is OrderStatus.PENDING_APPROVAL
    assert order.approval_required


def test_credit_warning_lets_the_order_through_with_a_warning_event() -> None:
    order = priced_order()
    check = _credit(order, CreditDecision.ALLOWED, ("an installment is 40 days overdue",))
    assert order.submit(SALES, at=at(3), approval_required=False, credit=check) is (
        OrderStatus.CONFIRMED
    )
    warning = next(e for e in order.history if isinstance(e, OrderCreditWarning))
    assert warning.reasons == ("an installment is 40 days overdue",)
    assert warning.exposure == cny("9000.00")
    clean = priced_order()
    clean.submit(
        SALES, at=at(3), approval_required=False, credit=_credit(clean, CreditDecision.ALLOWED)
    )
    assert not any(isinstance(e, OrderCreditWarning) for e in clean.history)


def test_credit_check_for_another_customer_or_amount_is_refused() -> None:
    order = priced_order()
    check = _credit(order, CreditDecision.ALLOWED)
    refused(
        order,
        ValidationError,
        "for customer 'globex'",
        lambda: order.submit(
            SALES, at=at(3), approval_required=False, credit=attrs.evolve(check, customer="globex")
        ),
    )
    refused(
        order,
        ValidationError,
        "was for 1.00 CNY",
        lambda: order.submit(
            SALES,
            at=at(3),
            approval_required=False,
            credit=attrs.evolve(check, new_amount=cny("1.00")),
        ),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"customer": None}, "customer: expected a customer id or a Customer, got None"),
        ({"customer": 5}, "customer: expected a customer id or a Customer, got 5"),
        ({"lines": None}, "lines: expected a list of LineRequest, got None"),
        ({"codes": None}, "codes: expected a list of campaign or coupon codes, got None"),
        ({"codes": [1]}, "codes: must be a non-empty string, got 1"),
        ({"department": 5}, "department: must be a non-empty string, got 5"),
    ],
)
def test_a_draft_of_the_wrong_shape_is_refused_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    kwargs: dict[str, Any] = {
        "customer": "acme",
        "owner_id": "sun",
        "currency": "CNY",
        "actor": SALES,
        "at": at(1),
    }
    kwargs.update(changes)
    with pytest.raises(ValidationError, match=message):
        Order.draft("SO-bad", **kwargs)


def test_discounts_and_quantities_of_the_wrong_shape_are_refused() -> None:
    order = new_order()
    refused(
        order,
        ValidationError,
        "order discount: expected PercentOff, AmountOff or TargetTotal, got '10%'",
        lambda: order.set_order_discount(SALES, "10%", at=at(2)),  # type: ignore[arg-type]
    )
    shipped = confirmed_order()
    refused(
        shipped,
        ValidationError,
        r"ship quantities: expected LineQuantity items or \{line: quantity\}, got 0",
        lambda: shipped.ship(SHIPPING, [0], at=at(5)),  # type: ignore[list-item]
    )
    refused(
        shipped,
        ValidationError,
        "ship quantities: expected",
        lambda: shipped.ship(SHIPPING, 3, at=at(5)),  # type: ignore[arg-type]
    )
