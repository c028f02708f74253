"""Reorder: a new request from a priced order, repriced as of a date or at its old prices."""

from __future__ import annotations

from datetime import date

import attrs

from crmcore._decimal import in_context
from crmcore.pricing._request import LineRequest, OrderRequest
from crmcore.pricing._result import PricedOrder

__all__ = ["reorder"]


@in_context
def reorder(previous: PricedOrder, on: date, *, keep_prices: bool = False) -> OrderRequest:
    """The request that orders ``previous``'s lines again on ``on``.

    By default the lines keep their manual adjustments and everything else is priced afresh
    (price lists and rules as of ``on``). With ``keep_prices`` each line's old unit price
    (after rules and manual discounts, before the order discount) becomes a manual override;
    the order discount is kept either way. Free lines added by rules are not copied: the rules
    add them again when they still apply.
    """
    priced = {line.index: line for line in previous.lines}
    lines: list[LineRequest] = []
    for index, line in enumerate(previous.request.lines):
        if keep_prices:
            old = priced[index]
            line = attrs.evolve(line, unit_price=old.unit_price, line_amount=None, discount=None)
        lines.append(line)
    return attrs.evolve(previous.request, on=on, lines=tuple(lines))
