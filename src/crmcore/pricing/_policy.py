"""The company's pricing policy: tax default, margin floor, discount authority, cash rounding."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import attrs

from crmcore._decimal import to_decimal
from crmcore._validators import non_empty, non_negative, positive
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.pricing._fields import percent_0_100, percent_non_negative, to_percent

__all__ = ["CashRounding", "DiscountAuthority", "PricingPolicy", "RoundingMode"]


class RoundingMode(enum.Enum):
    """How cash rounding goes: always down (in the customer's favour) or half up."""

    DOWN = "down"
    HALF_UP = "half_up"

    @property
    def decimal_rounding(self) -> str:
        return ROUND_DOWN if self is RoundingMode.DOWN else ROUND_HALF_UP


def _decimal(value: object) -> Decimal:
    return to_decimal(value, "")


#: The finest cash-rounding step: no currency has more than eight minor digits.
_FINEST_STEP = Decimal("1E-8")


def _coarse(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < _FINEST_STEP:
        raise ValidationError(
            f"{attribute.name}: {value} is finer than any currency's minor unit (1E-8)"
        )


@attrs.frozen
class CashRounding:
    """Round the grand total to a multiple of ``step`` (0.05, 0.1, 1...), shown separately."""

    step: Decimal = attrs.field(converter=_decimal, validator=[positive, _coarse])
    mode: RoundingMode = RoundingMode.HALF_UP

    def adjustment(self, total: Money) -> Money:
        """What to add to ``total`` to reach the rounded total."""
        return total.round_to(self.step, self.mode.decimal_rounding) - total


@attrs.frozen
class DiscountAuthority:
    """How far a role may discount without approval, per line and per order."""

    role: str = attrs.field(validator=non_empty)
    max_line_discount: Percent = attrs.field(converter=to_percent, validator=percent_0_100)
    max_order_discount: Percent = attrs.field(converter=to_percent, validator=percent_0_100)


def _authorities(value: Iterable[DiscountAuthority]) -> tuple[DiscountAuthority, ...]:
    table = tuple(value)
    seen: set[str] = set()
    for i, entry in enumerate(table):
        if entry.role in seen:
            raise ValidationError(f"authorities[{i}].role: duplicate role {entry.role!r}")
        seen.add(entry.role)
    return table


@attrs.frozen
class PricingPolicy:
    """Company-wide settings the waterfall and the guardrails use.

    ``minimum_margin`` sets the margin floor cost × (1 + margin) for products with a cost. An
    actor's authority is the highest entry among their roles; roles not in the table get
    ``default_authority`` (none by default: every discount needs approval). The discount
    checked against it is 1 − net / list price; with ``authority_excludes_rules`` it is
    1 − net / the price after the company's rules, so promotions need no approval and only
    what the salesperson adds counts. Each priced line lists at most ``not_applied_shown``
    rules that did not apply and counts the rest (``PricingEngine.price(explain=True)`` lists
    them all).
    """

    default_tax_rate: Percent = attrs.field(
        default=Percent(0), converter=to_percent, validator=percent_non_negative
    )
    minimum_margin: Percent = attrs.field(
        default=Percent(0), converter=to_percent, validator=percent_non_negative
    )
    authorities: tuple[DiscountAuthority, ...] = attrs.field(default=(), converter=_authorities)
    default_authority: Percent = attrs.field(
        default=Percent(0), converter=to_percent, validator=percent_0_100
    )
    cash_rounding: CashRounding | None = None
    authority_excludes_rules: bool = False
    not_applied_shown: int = attrs.field(default=10, validator=non_negative)

    def authority(self, roles: frozenset[str]) -> tuple[Percent, Percent]:
        """The largest (line, order) discounts ``roles`` may grant without approval."""
        line = order = self.default_authority
        for entry in self.authorities:
            if entry.role in roles:
                line = max(line, entry.max_line_discount)
                order = max(order, entry.max_order_discount)
        return line, order
