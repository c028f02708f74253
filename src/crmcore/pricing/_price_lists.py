"""Price lists: per currency, per customer / customer group / default, with quantity breaks."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from crmcore._decimal import context_class, to_decimal
from crmcore._validators import non_empty, non_negative, positive
from crmcore.errors import ValidationError
from crmcore.money import Currency, get_currency
from crmcore.pricing._catalog import Customer
from crmcore.pricing._fields import a_date, frozen_strs, optional

__all__ = ["PriceBreak", "PriceList", "PriceListItem"]


def _decimal(value: object) -> Decimal:
    return to_decimal(value, "")


@attrs.frozen
class PriceBreak:
    """From ``min_quantity`` on, every unit of the line costs ``unit_price``."""

    min_quantity: Decimal = attrs.field(converter=_decimal, validator=positive)
    unit_price: Decimal = attrs.field(converter=_decimal, validator=non_negative)


def _sorted_breaks(value: Iterable[PriceBreak]) -> tuple[PriceBreak, ...]:
    breaks = tuple(sorted(value, key=lambda b: b.min_quantity))
    for a, b in itertools.pairwise(breaks):
        if a.min_quantity == b.min_quantity:
            raise ValidationError(f"breaks: two breaks start at quantity {a.min_quantity}")
    return breaks


@attrs.frozen
class PriceListItem:
    """One SKU's unit price in a list, with optional quantity breaks."""

    sku: str = attrs.field(validator=non_empty)
    unit_price: Decimal = attrs.field(converter=_decimal, validator=non_negative)
    breaks: tuple[PriceBreak, ...] = attrs.field(default=(), converter=_sorted_breaks)

    def unit_price_for(self, quantity: Decimal) -> Decimal:
        """The unit price of the highest break reached by ``quantity`` (else the base price)."""
        price = self.unit_price
        for brk in self.breaks:
            if quantity < brk.min_quantity:
                break
            price = brk.unit_price
        return price


def _items(value: Iterable[PriceListItem]) -> tuple[PriceListItem, ...]:
    return tuple(value)


@context_class
@attrs.frozen
class PriceList:
    """Unit prices in one currency for some customers, customer groups, or everybody.

    A list naming neither ``customers`` nor ``customer_groups`` is a default list. The list is
    valid from ``valid_from`` to ``valid_to`` inclusive (open ends when None). Prices are
    tax-exclusive unless ``tax_inclusive``. Among lists of the same level, higher ``priority``
    is searched first, then by id.
    """

    id: str = attrs.field(validator=non_empty)
    currency: Currency = attrs.field(converter=get_currency)
    items: tuple[PriceListItem, ...] = attrs.field(converter=_items)
    customers: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strs)
    customer_groups: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strs)
    valid_from: date | None = attrs.field(default=None, validator=optional(a_date))
    valid_to: date | None = attrs.field(default=None, validator=optional(a_date))
    tax_inclusive: bool = False
    priority: int = 0
    _by_sku: dict[str, PriceListItem] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_to < self.valid_from
        ):
            raise ValidationError(
                f"valid_to: {self.valid_to} is before valid_from {self.valid_from} "
                f"(price list {self.id!r})"
            )
        by_sku: dict[str, PriceListItem] = {}
        for i, item in enumerate(self.items):
            if item.sku in by_sku:
                raise ValidationError(
                    f"items[{i}].sku: duplicate SKU {item.sku!r} in price list {self.id!r}"
                )
            by_sku[item.sku] = item
        object.__setattr__(self, "_by_sku", by_sku)

    def item(self, sku: str) -> PriceListItem | None:
        """The entry for ``sku`` or None."""
        return self._by_sku.get(sku)

    def is_valid_on(self, on: date) -> bool:
        """True when ``on`` falls inside the validity window."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    def level_for(self, customer: Customer) -> int | None:
        """0 for a list naming the customer, 1 for its group, 2 for a default list, else None."""
        if customer.id in self.customers:
            return 0
        if customer.group is not None and customer.group in self.customer_groups:
            return 1
        if not self.customers and not self.customer_groups:
            return 2
        return None
