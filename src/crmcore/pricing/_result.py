"""The priced order: lines with their explained waterfall, totals and approval reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from crmcore._decimal import context_class
from crmcore.money import Money, Percent
from crmcore.pricing._request import OrderRequest

__all__ = ["ApprovalReason", "PricedLine", "PricedOrder", "RuleNotApplied", "WaterfallStep"]


@attrs.frozen
class WaterfallStep:
    """One step of a line's price: where it came from and the line amount before and after.

    ``source`` is ``"price_list"``, ``"rule"``, ``"manual"``, ``"rounding"``,
    ``"order_discount"`` or ``"tax"``; ``reference`` names the list or rule (else "").
    Amounts are at full precision up to the ``rounding`` step.
    """

    source: str
    reference: str
    description: str
    before: Money
    after: Money

    def __str__(self) -> str:
        name = f"{self.source} {self.reference}".strip()
        return f"{name:<28} {_show(self.before):>14} → {_show(self.after):>14}  {self.description}"


@attrs.frozen
class RuleNotApplied:
    """A rule that selected the line but did not apply, and why (lost, or a condition)."""

    rule_id: str
    reason: str

    def __str__(self) -> str:
        return f"rule {self.rule_id}: {self.reason}"


@attrs.frozen
class ApprovalReason:
    """Why the priced order needs approval; ``line`` is the line index, None for the order.

    ``kind`` is one of ``"discount_above_authority"``, ``"below_margin_floor"``,
    ``"below_minimum_price"``, ``"backdated_price"``; ``limit`` and ``actual`` are Percents
    for discounts, unit prices (tax-exclusive Money) for the floors, and dates for a
    backdated price (the order's draft date and the date it was priced as of).
    """

    kind: str
    line: int | None
    limit: Money | Percent | date
    actual: Money | Percent | date
    message: str

    def __str__(self) -> str:
        return self.message


@context_class
@attrs.frozen
class PricedLine:
    """One priced line. Money fields are rounded to the currency except the unit prices.

    ``amount`` is the line after rules and manual discounts, in the price basis (tax-inclusive
    when ``tax_inclusive``); ``net_amount`` is tax-exclusive after the order-discount share;
    ``total = net_amount + tax``. ``unit_price`` is ``amount / quantity`` at full precision.
    """

    index: int
    sku: str
    quantity: Decimal
    price_list: str
    list_price: Money
    list_amount: Money
    unit_price: Money
    amount: Money
    order_discount_share: Money
    net_amount: Money
    tax_rate: Percent
    tax: Money
    total: Money
    tax_inclusive: bool
    discountable: bool
    effective_discount: Percent
    #: The line amount after the rules, before manual and order discounts (full precision).
    rule_amount: Money
    #: 1 − net / rule_amount: the discount beyond what the company's rules give.
    discount_beyond_rules: Percent
    explanation: tuple[WaterfallStep, ...]
    not_applied: tuple[RuleNotApplied, ...] = ()
    #: How many more rules did not apply than ``not_applied`` lists (see ``PricingPolicy``).
    not_applied_omitted: int = 0
    rules_applied: tuple[str, ...] = ()
    #: True for a free line added by a buy-X-get-Y rule (not part of the request).
    generated: bool = False

    def explain(self) -> str:
        """The waterfall as text: one step a line, then the rules that did not apply."""
        head = f"line {self.index}: {self.sku} × {self.quantity} — total {self.total}"
        lines = [head, *(f"  {step}" for step in self.explanation)]
        lines.extend(f"  not applied: {outcome}" for outcome in self.not_applied)
        if self.not_applied_omitted:
            lines.append(
                f"  not applied: {self.not_applied_omitted} more rules "
                "(price with explain=True to list them all)"
            )
        return "\n".join(lines)


@context_class
@attrs.frozen
class PricedOrder:
    """The result of pricing a request: lines, totals and the approval reasons.

    ``subtotal`` is Σ line amounts before the order discount (price basis); ``net_total`` is
    Σ tax-exclusive net amounts; ``grand_total = net_total + tax_total + rounding_adjustment``.
    """

    request: OrderRequest
    lines: tuple[PricedLine, ...]
    subtotal: Money
    order_discount: Money
    net_total: Money
    tax_total: Money
    rounding_adjustment: Money
    grand_total: Money
    effective_discount: Percent
    approval_reasons: tuple[ApprovalReason, ...]
    tax_inclusive: bool = False
    #: 1 − Σ payable / Σ amounts after rules, over the lines of the request.
    discount_beyond_rules: Percent = attrs.field(factory=lambda: Percent(0))

    @property
    def needs_approval(self) -> bool:
        """True when any guardrail was crossed."""
        return bool(self.approval_reasons)

    def explain(self) -> str:
        """Every line's waterfall, the totals and the approval reasons, as text."""
        parts = [line.explain() for line in self.lines]
        parts.append(
            "\n".join(
                [
                    f"subtotal {self.subtotal}; order discount {self.order_discount}",
                    f"net total {self.net_total}; tax {self.tax_total}; "
                    f"rounding {self.rounding_adjustment}; grand total {self.grand_total}",
                    *(f"needs approval: {reason}" for reason in self.approval_reasons),
                ]
            )
        )
        return "\n".join(parts)


def _show(money: Money) -> str:
    """A step amount for reading: rounded to the currency unless more digits matter."""
    rounded = money.round()
    if rounded == money:
        return str(rounded.amount)
    return f"{money.amount.quantize(Decimal('0.0001'))}…"
