"""Guardrails: discount authority, margin floor and minimum price become approval reasons."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_UP

from crmcore._decimal import CONTEXT, in_context
from crmcore.money import Money, Percent
from crmcore.pricing._catalog import Catalog
from crmcore.pricing._policy import PricingPolicy
from crmcore.pricing._result import ApprovalReason, PricedLine

__all__ = ["approval_reasons"]


@in_context
def approval_reasons(
    lines: Sequence[PricedLine],
    order_discount: Percent,
    policy: PricingPolicy,
    roles: frozenset[str],
    catalog: Catalog,
) -> tuple[ApprovalReason, ...]:
    """Every guardrail the priced lines and the order cross, lines first, in line order.

    Free lines added by buy-X-get-Y rules are the company's own offer and are not checked.
    """
    line_limit, order_limit = policy.authority(roles)
    who = ", ".join(sorted(roles)) or "no role"
    reasons: list[ApprovalReason] = []
    for line in lines:
        if line.generated:
            continue
        given = (
            line.discount_beyond_rules
            if policy.authority_excludes_rules
            else line.effective_discount
        )
        if given > line_limit:
            reasons.append(
                ApprovalReason(
                    "discount_above_authority",
                    line.index,
                    line_limit,
                    given,
                    f"line {line.index} ({line.sku}): discount {given} is "
                    f"above the {line_limit} that {who} may grant",
                )
            )
        reasons.extend(_floors(line, policy, catalog))
    if order_discount > order_limit:
        reasons.append(
            ApprovalReason(
                "discount_above_authority",
                None,
                order_limit,
                order_discount,
                f"order: discount {order_discount} is above the {order_limit} that {who} "
                "may grant",
            )
        )
    return tuple(reasons)


def _floors(line: PricedLine, policy: PricingPolicy, catalog: Catalog) -> list[ApprovalReason]:
    product = catalog.product(line.sku)
    assert product is not None
    currency = line.net_amount.currency
    found: list[ApprovalReason] = []
    floors = []
    if product.cost is not None and product.cost.currency == currency:
        floor = product.cost * (Percent(100) + policy.minimum_margin)
        floors.append(("below_margin_floor", "margin floor", Money(floor.amount, currency)))
    if product.minimum_price is not None and product.minimum_price.currency == currency:
        floors.append(("below_minimum_price", "minimum price", product.minimum_price))
    for kind, name, unit_floor in floors:
        if line.net_amount.amount < CONTEXT.multiply(unit_floor.amount, line.quantity):
            unit = CONTEXT.divide(line.net_amount.amount, line.quantity)
            actual = Money(unit.quantize(currency.quantum, ROUND_DOWN, CONTEXT), currency)
            found.append(
                ApprovalReason(
                    kind,
                    line.index,
                    unit_floor,
                    actual,
                    f"line {line.index} ({line.sku}): net unit price {actual} is below the "
                    f"{name} {unit_floor.round(ROUND_UP)}",
                )
            )
    return found
