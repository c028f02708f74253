"""What the salesperson asks for: an order of lines with manual and order-level discounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from crmcore._decimal import to_decimal
from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent, get_currency
from crmcore.pricing._catalog import Customer
from crmcore.pricing._fields import (
    a_date,
    frozen_strs,
    instance_of,
    is_money,
    optional,
    percent_0_100,
    strings,
    to_percent,
)

__all__ = [
    "AmountOff",
    "LineDiscount",
    "LineRequest",
    "OrderDiscount",
    "OrderRequest",
    "PercentOff",
    "TargetTotal",
    "UnitAmountOff",
]


def _quantity(value: object) -> Decimal:
    return to_decimal(value, "quantity")


@attrs.frozen
class PercentOff:
    """A percentage off a line (manual discount) or off the order's discountable lines."""

    kind: ClassVar[str] = "percent_off"
    percent: Percent = attrs.field(converter=to_percent, validator=percent_0_100)

    def describe(self) -> str:
        return f"{self.percent} off"


@attrs.frozen
class UnitAmountOff:
    """A manual discount of ``amount`` on every unit of a line."""

    kind: ClassVar[str] = "unit_amount_off"
    amount: Money = attrs.field(validator=is_money)

    def describe(self) -> str:
        return f"{self.amount} off per unit"


@attrs.frozen
class AmountOff:
    """An amount off the whole order, spread over its discountable lines."""

    kind: ClassVar[str] = "order_amount_off"
    amount: Money = attrs.field(validator=is_money)

    def describe(self) -> str:
        return f"{self.amount} off the order"


@attrs.frozen
class TargetTotal:
    """Make the order total exactly ``total``, in the order's price basis.

    For tax-exclusive price lists that is the net total before tax; for tax-inclusive lists
    the grand total before cash rounding.
    """

    kind: ClassVar[str] = "target_total"
    total: Money = attrs.field(validator=is_money)

    def describe(self) -> str:
        return f"target total {self.total}"


#: A manual discount on one line.
LineDiscount = PercentOff | UnitAmountOff
#: A discount on the whole order.
OrderDiscount = PercentOff | AmountOff | TargetTotal


@attrs.frozen
class LineRequest:
    """One line as entered: SKU, quantity (may be fractional: 2.5 kg) and manual adjustments.

    ``unit_price`` or ``line_amount`` override the price found by the lists and rules (at most
    one of them); ``discount`` then applies on top. Overrides are part of the request, so they
    survive every repricing.
    """

    sku: str = attrs.field(validator=non_empty)
    quantity: Decimal = attrs.field(converter=_quantity)
    unit_price: Money | None = attrs.field(default=None, validator=optional(is_money))
    discount: LineDiscount | None = attrs.field(
        default=None, validator=instance_of(PercentOff, UnitAmountOff, or_none=True)
    )
    line_amount: Money | None = attrs.field(default=None, validator=optional(is_money))


def _lines(value: Iterable[LineRequest]) -> tuple[LineRequest, ...]:
    try:
        lines = tuple(value)
    except TypeError:
        raise ValidationError(f"lines: expected LineRequests, got {value!r}") from None
    for i, line in enumerate(lines):
        if not isinstance(line, LineRequest):
            raise ValidationError(f"lines[{i}]: expected a LineRequest, got {line!r}")
    return lines


def _customer(_: object, attribute: attrs.Attribute[Any], value: str | Customer) -> None:
    if isinstance(value, Customer):
        return
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{attribute.name}: expected a customer id or a Customer, got {value!r}"
        )


@attrs.frozen
class OrderRequest:
    """An order to price: customer (id known to the catalog, or a Customer), currency, date.

    ``codes`` are the campaign or coupon codes entered; ``roles`` are the roles of the person
    pricing, for the discount-authority guardrail (an [`Actor`][crmcore.ports.Actor] passed to
    ``PricingEngine.price`` takes precedence).
    """

    customer: str | Customer = attrs.field(validator=_customer)
    currency: Currency = attrs.field(converter=get_currency)
    on: date = attrs.field(validator=a_date)
    lines: tuple[LineRequest, ...] = attrs.field(converter=_lines)
    order_discount: OrderDiscount | None = attrs.field(
        default=None, validator=instance_of(PercentOff, AmountOff, TargetTotal, or_none=True)
    )
    codes: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    roles: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )

    @property
    def customer_id(self) -> str:
        """The customer's id."""
        return self.customer if isinstance(self.customer, str) else self.customer.id
