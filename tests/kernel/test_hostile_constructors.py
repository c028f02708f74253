"""Values built directly in Python (not through a loader) refuse bad choices with a crmcore
error: an enum field never leaks the enum's own ValueError (found by probing every public
attrs constructor with hostile values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmcore.errors import ValidationError
from crmcore.orders import OrderPolicy
from crmcore.receivables import CreditPolicy, DueRule, Portion, ReceivablePolicy

HUGE = 10**5000


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda v: ReceivablePolicy(overpayment=v), "overpayment: .* is not one of 'advance'"),
        (lambda v: ReceivablePolicy(invoicing=v), "invoicing: .* is not one of"),
        (lambda v: ReceivablePolicy(return_credit=v), "return_credit: .* is not one of"),
        (lambda v: OrderPolicy(invoice_basis=v), "invoice_basis: .* is not one of 'ordered'"),
        (lambda v: CreditPolicy(over_limit=v), "over_limit: .* is not one of"),
        (lambda v: CreditPolicy(no_limit=v), "no_limit: .* is not one of"),
        (lambda v: Portion(v), "kind: .* is not one of"),
        (lambda v: DueRule(v), "kind: .* is not one of"),
    ],
)
@pytest.mark.parametrize("value", ["bogus", pytest.param(HUGE, id="huge"), ["x"], None])
def test_an_enum_field_refuses_anything_but_its_choices(
    build: Callable[[Any], object], message: str, value: object
) -> None:
    with pytest.raises(ValidationError, match=message):
        build(value)


def test_an_enum_field_takes_a_member_or_its_value() -> None:
    assert ReceivablePolicy(overpayment="refuse").overpayment.value == "refuse"
    policy = ReceivablePolicy()
    assert ReceivablePolicy(overpayment=policy.overpayment).overpayment is policy.overpayment
