"""Price rules: who and what they select, when they apply, what they do, and the indexed book."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ClassVar

import attrs

from crmcore._decimal import CONTEXT, context_class, to_decimal
from crmcore._numbers import check_result, show
from crmcore._validators import non_empty, positive
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.pricing._catalog import Customer
from crmcore.pricing._fields import (
    a_date,
    frozen_strs,
    instance_of,
    is_money,
    optional,
    percent_0_100,
    strings,
    to_optional_percent,
    to_percent,
)

__all__ = [
    "DiscountPerUnit",
    "DiscountPercent",
    "Effect",
    "FixedUnitPrice",
    "FreeItems",
    "PriceRule",
    "RuleConditions",
    "RuleSelector",
    "Tier",
    "TierMode",
    "VolumeTiers",
]


def _decimal(value: object) -> Decimal:
    return to_decimal(value, "")


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "")


# -- effects ----------------------------------------------------------------------------------
@attrs.frozen
class DiscountPercent:
    """Take ``percent`` off the running line amount."""

    kind: ClassVar[str] = "percent_off"
    percent: Percent = attrs.field(converter=to_percent, validator=percent_0_100)

    def describe(self) -> str:
        return f"{self.percent} off"


@attrs.frozen
class DiscountPerUnit:
    """Take ``amount`` off every unit (never below zero)."""

    kind: ClassVar[str] = "unit_amount_off"
    amount: Money = attrs.field(validator=is_money)

    def describe(self) -> str:
        return f"{self.amount} off per unit"


@attrs.frozen
class FixedUnitPrice:
    """Sell every unit at ``price``."""

    kind: ClassVar[str] = "fixed_price"
    price: Money = attrs.field(validator=is_money)

    def describe(self) -> str:
        return f"fixed unit price {self.price}"


class TierMode(enum.Enum):
    """Range: the whole quantity takes the tier reached. Slab: each unit takes its own tier."""

    RANGE = "range"
    SLAB = "slab"


@attrs.frozen
class Tier:
    """From unit number ``min_quantity`` on: ``percent_off`` the running price or ``unit_price``.

    Exactly one of the two is given. For slab tiers, unit *n* is the quantity slice (n−1, n],
    so a tier "10–19" holds ten units and decimal quantities split exactly; a tier from 1 or
    less starts at the first slice (0, ...].
    """

    min_quantity: Decimal = attrs.field(converter=_decimal, validator=positive)
    percent_off: Percent | None = attrs.field(
        default=None, converter=to_optional_percent, validator=optional(percent_0_100)
    )
    unit_price: Money | None = attrs.field(default=None, validator=optional(is_money))

    def __attrs_post_init__(self) -> None:
        if (self.percent_off is None) == (self.unit_price is None):
            raise ValidationError(
                f"tier from {self.min_quantity}: give exactly one of percent_off and unit_price"
            )

    def describe(self) -> str:
        what = f"{self.percent_off} off" if self.percent_off is not None else f"{self.unit_price}"
        return f"from {self.min_quantity}: {what}"


def _tiers(value: Iterable[Tier]) -> tuple[Tier, ...]:
    tiers = tuple(value)
    if not tiers:
        raise ValidationError("tiers: at least one tier is required")
    for i, tier in enumerate(tiers):
        if not isinstance(tier, Tier):
            raise ValidationError(f"tiers[{i}]: expected a Tier, got {show(tier, 200)}")
    for a, b in itertools.pairwise(tiers):
        if not a.min_quantity < b.min_quantity:
            raise ValidationError(
                f"tiers: min_quantity must increase, got {a.min_quantity} then {b.min_quantity}"
            )
    return tiers


@context_class
@attrs.frozen
class VolumeTiers:
    """Quantity tiers, in *range* or *slab* mode (see [`TierMode`][crmcore.pricing.TierMode])."""

    kind: ClassVar[str] = "tiers"
    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)
    mode: TierMode = attrs.field(default=TierMode.RANGE, validator=instance_of(TierMode))

    def __attrs_post_init__(self) -> None:
        # In slab mode every tier from 1 or less starts at the first slice: only the last of
        # them would ever price a unit, so more than one is a configuration mistake.
        at_first = [t.min_quantity for t in self.tiers if t.min_quantity <= 1]
        if self.mode is TierMode.SLAB and len(at_first) > 1:
            starts = ", ".join(str(q) for q in at_first[:-1]) + f" and {at_first[-1]}"
            every = "both" if len(at_first) == 2 else "all"
            raise ValidationError(
                f"tiers: in slab mode the tiers from {starts} {every} start at the first unit; "
                "keep one"
            )

    def describe(self) -> str:
        return f"{self.mode.value} tiers " + "; ".join(t.describe() for t in self.tiers)


@context_class
@attrs.frozen
class FreeItems:
    """Buy ``buy`` get ``get`` free, repeating unless ``repeat`` is false, at most ``max_free``.

    With ``sku`` None the free units are of the same product and *included* in the line's
    quantity (buy 2 get 1: order 3, pay 2). With another ``sku`` every ``buy`` units of this
    line give ``get`` units of that product: its line is discounted by up to that many units,
    or a free line is added to the order when it has none.
    """

    kind: ClassVar[str] = "free_items"
    buy: Decimal = attrs.field(converter=_decimal, validator=positive)
    get: Decimal = attrs.field(converter=_decimal, validator=positive)
    sku: str | None = None
    repeat: bool = True
    max_free: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=positive
    )

    def free_units(self, quantity: Decimal) -> Decimal:
        """How many units ``quantity`` bought units earn."""
        group = CONTEXT.add(self.buy, self.get) if self.sku is None else self.buy
        try:
            times = CONTEXT.divide_int(quantity, group)
        except InvalidOperation:
            raise ValidationError(
                f"free items: {quantity} units make more than 10**34 groups of {group}"
            ) from None
        if not self.repeat:
            times = min(times, Decimal(1))
        free = check_result(CONTEXT.multiply(times, self.get), "free items")
        if self.max_free is not None:
            free = min(free, self.max_free)
        return free

    def describe(self) -> str:
        target = "" if self.sku is None else f" of {self.sku}"
        cap = "" if self.max_free is None else f", at most {self.max_free}"
        once = "" if self.repeat else ", once"
        return f"buy {self.buy} get {self.get}{target} free{once}{cap}"


#: What a rule does to the line it applies to.
Effect = DiscountPercent | DiscountPerUnit | FixedUnitPrice | VolumeTiers | FreeItems
EFFECT_KINDS: dict[str, type[Effect]] = {
    cls.kind: cls
    for cls in (DiscountPercent, DiscountPerUnit, FixedUnitPrice, VolumeTiers, FreeItems)
}


# -- selection and conditions -----------------------------------------------------------------
@attrs.frozen
class RuleSelector:
    """Which lines a rule is about; every non-empty set must match (empty means any).

    Products: the rule applies to a line whose SKU is in ``skus`` or whose group is in (or
    below) one of ``groups``; with both empty, to every product. Customers: ``customers``,
    ``customer_groups``, ``regions``, ``customer_tags`` (any one). ``codes``: the order must
    carry one of these campaign or coupon codes.
    """

    skus: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strs, validator=strings)
    groups: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    customers: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    customer_groups: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    regions: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    customer_tags: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )
    codes: frozenset[str] = attrs.field(
        factory=frozenset, converter=frozen_strs, validator=strings
    )

    def matches_customer(self, customer: Customer, codes: frozenset[str]) -> bool:
        """True when the customer and the order's codes satisfy this selector."""
        return (
            (not self.customers or customer.id in self.customers)
            and (not self.customer_groups or customer.group in self.customer_groups)
            and (not self.regions or customer.region in self.regions)
            and (not self.customer_tags or not self.customer_tags.isdisjoint(customer.tags))
            and (not self.codes or not self.codes.isdisjoint(codes))
        )


@attrs.frozen
class RuleConditions:
    """When a selected rule applies: line quantity and list amount, order list total, dates.

    Amounts are compared with list prices (before any rule), so rules never chase each other.
    """

    min_quantity: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=positive
    )
    max_quantity: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=positive
    )
    min_line_amount: Money | None = attrs.field(default=None, validator=optional(is_money))
    max_line_amount: Money | None = attrs.field(default=None, validator=optional(is_money))
    min_order_amount: Money | None = attrs.field(default=None, validator=optional(is_money))
    valid_from: date | None = attrs.field(default=None, validator=optional(a_date))
    valid_to: date | None = attrs.field(default=None, validator=optional(a_date))

    def __attrs_post_init__(self) -> None:
        low_q, high_q = self.min_quantity, self.max_quantity
        if low_q is not None and high_q is not None and low_q > high_q:
            raise ValidationError(
                f"max_quantity: {self.max_quantity} is below min_quantity {self.min_quantity}"
            )
        low, high = self.min_line_amount, self.max_line_amount
        if low is not None and high is not None and low.currency == high.currency and low > high:
            raise ValidationError(f"max_line_amount: {high} is below min_line_amount {low}")
        start, end = self.valid_from, self.valid_to
        if start is not None and end is not None and end < start:
            raise ValidationError(
                f"valid_to: {self.valid_to} is before valid_from {self.valid_from}"
            )

    def failure(
        self, quantity: Decimal, line_amount: Money, order_amount: Money, on: date
    ) -> str | None:
        """Why the rule does not apply, or None when it does."""
        if self.valid_from is not None and on < self.valid_from:
            return f"not valid before {self.valid_from}"
        if self.valid_to is not None and on > self.valid_to:
            return f"not valid after {self.valid_to}"
        if self.min_quantity is not None and quantity < self.min_quantity:
            return f"quantity {quantity} below minimum {self.min_quantity}"
        if self.max_quantity is not None and quantity > self.max_quantity:
            return f"quantity {quantity} above maximum {self.max_quantity}"
        if self.min_line_amount is not None and line_amount < self.min_line_amount:
            return f"line amount {line_amount.round()} below minimum {self.min_line_amount}"
        if self.max_line_amount is not None and line_amount > self.max_line_amount:
            return f"line amount {line_amount.round()} above maximum {self.max_line_amount}"
        if self.min_order_amount is not None and order_amount < self.min_order_amount:
            return f"order amount {order_amount.round()} below minimum {self.min_order_amount}"
        return None

    def currencies(self) -> set[str]:
        """The currencies the amount conditions are stated in."""
        amounts = (self.min_line_amount, self.max_line_amount, self.min_order_amount)
        return {m.currency.code for m in amounts if m is not None}


def _effect_currencies(effect: Effect) -> set[str]:
    if isinstance(effect, DiscountPerUnit):
        return {effect.amount.currency.code}
    if isinstance(effect, FixedUnitPrice):
        return {effect.price.currency.code}
    if isinstance(effect, VolumeTiers):
        return {t.unit_price.currency.code for t in effect.tiers if t.unit_price is not None}
    return set()


@context_class
@attrs.frozen
class PriceRule:
    """A pricing rule: selector, conditions, effect, priority and whether it stacks.

    Exclusive rules compete: higher ``priority`` wins; on equal priority the more specific
    selector (SKU > deeper group > shallower group > all products), then the smaller ``id``.
    ``stackable`` rules apply on top of the winner, in the same order, each on the running
    price.
    """

    id: str = attrs.field(validator=non_empty)
    effect: Effect = attrs.field(
        validator=instance_of(
            DiscountPercent, DiscountPerUnit, FixedUnitPrice, VolumeTiers, FreeItems
        )
    )
    selector: RuleSelector = attrs.field(factory=RuleSelector, validator=instance_of(RuleSelector))
    conditions: RuleConditions = attrs.field(
        factory=RuleConditions, validator=instance_of(RuleConditions)
    )
    priority: int = 0
    stackable: bool = False
    description: str = ""
    #: The one currency the rule's amounts are in, or None when it has no amounts.
    currency: str | None = attrs.field(init=False, repr=False, eq=False)
    #: The effect described once (a rule is immutable; pricing shows it on every line).
    effect_text: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "effect_text", self.effect.describe())
        codes = _effect_currencies(self.effect) | self.conditions.currencies()
        if len(codes) > 1:
            raise ValidationError(
                f"rule {self.id!r}: amounts in several currencies {sorted(codes)}; "
                "write one rule per currency"
            )
        object.__setattr__(self, "currency", next(iter(codes)) if codes else None)


#: Specificity of a match: SKU beats any group, a deeper group beats a shallower, all is last.
SKU_SPECIFICITY = 1_000_000
