"""The rule index: product × audience buckets, each searched by date through an interval tree.

A line's candidates are then only the rules that can apply to it: its SKU, a group up its
tree or all products; its customer, customer group, region, tags or the order's codes; valid
on the order's date. Finding them costs a fixed number of dictionary lookups plus, per
bucket, O(log n + k) for the k rules valid on the day, whatever the size of the book.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Final

from crmcore.pricing._catalog import Customer
from crmcore.pricing._rules import SKU_SPECIFICITY, PriceRule, RuleSelector

__all__ = ["Candidate", "RuleIndex"]

#: A rule that can apply to a line: (its position in the book, the rule, its specificity).
Candidate = tuple[int, PriceRule, int]
_Entry = tuple[int, int, int, PriceRule]  # (first day, last day, position, rule)
_Key = tuple[str, str]
_ALL_PRODUCTS: Final[_Key] = ("a", "")
_ANYONE: Final[_Key] = ("*", "")
_FIRST: Final = date.min.toordinal()
_LAST: Final = date.max.toordinal()


def _audience_key(selector: RuleSelector) -> list[_Key]:
    """Where a rule goes on the audience axis: the first non-empty of its customers, codes,
    customer groups, regions and tags (the rarer first), else anyone. The whole selector is
    still checked on every candidate."""
    for tag, values in (
        ("c", selector.customers),
        ("k", selector.codes),
        ("g", selector.customer_groups),
        ("r", selector.regions),
        ("t", selector.customer_tags),
    ):
        if values:
            return [(tag, value) for value in values]
    return [_ANYONE]


def _product_keys(selector: RuleSelector) -> list[_Key]:
    """Where a rule goes on the product axis: its SKUs and groups, else all products."""
    keys = [("s", sku) for sku in selector.skus] + [("p", g) for g in selector.groups]
    return keys or [_ALL_PRODUCTS]


def audience_of(customer: Customer, codes: Iterable[str]) -> list[_Key]:
    """The audience keys an order of ``customer`` carrying ``codes`` looks up."""
    keys: list[_Key] = [("c", customer.id), _ANYONE]
    keys.extend(("k", code) for code in codes)
    if customer.group is not None:
        keys.append(("g", customer.group))
    if customer.region is not None:
        keys.append(("r", customer.region))
    keys.extend(("t", tag) for tag in customer.tags)
    return keys


class _Windows:
    """Rules with a validity window, found by day: a centered interval tree (static)."""

    __slots__ = ("by_end", "by_start", "center", "left", "right")

    def __init__(self, entries: Sequence[_Entry]) -> None:
        points = sorted(p for e in entries for p in (e[0], e[1]))
        self.center = points[len(points) // 2]
        here = [e for e in entries if e[0] <= self.center <= e[1]]
        left = [e for e in entries if e[1] < self.center]
        right = [e for e in entries if e[0] > self.center]
        self.by_start = sorted(here, key=lambda e: e[0])
        self.by_end = sorted(here, key=lambda e: -e[1])
        self.left = _Windows(left) if left else None
        self.right = _Windows(right) if right else None

    def on(self, day: int, out: list[_Entry]) -> None:
        """Append every entry whose window holds ``day`` to ``out``."""
        node: _Windows | None = self
        while node is not None:
            if day < node.center:
                for entry in node.by_start:
                    if entry[0] > day:
                        break
                    out.append(entry)
                node = node.left
            elif day > node.center:
                for entry in node.by_end:
                    if entry[1] < day:
                        break
                    out.append(entry)
                node = node.right
            else:
                out.extend(node.by_start)
                return


class _Bucket:
    """The rules of one (product, audience) key: those valid always and those with a window."""

    __slots__ = ("always", "windowed", "windows")

    def __init__(self, entries: list[_Entry]) -> None:
        self.always = [e for e in entries if e[0] == _FIRST and e[1] == _LAST]
        self.windowed = [e for e in entries if e[0] != _FIRST or e[1] != _LAST]
        possible = [e for e in self.windowed if e[0] <= e[1]]  # an empty window never holds
        self.windows = _Windows(possible) if possible else None

    def on(self, day: int | None, out: list[_Entry]) -> None:
        """Append the entries valid on ``day`` (every entry when ``day`` is None)."""
        out.extend(self.always)
        if day is None:
            out.extend(self.windowed)
        elif self.windows is not None:
            self.windows.on(day, out)


def _entry(position: int, rule: PriceRule) -> _Entry:
    conditions = rule.conditions
    first = _FIRST if conditions.valid_from is None else conditions.valid_from.toordinal()
    last = _LAST if conditions.valid_to is None else conditions.valid_to.toordinal()
    return (first, last, position, rule)


class RuleIndex:
    """Rules by audience, then product, then day; see the module docstring."""

    def __init__(self, rules: Sequence[PriceRule]) -> None:
        grouped: dict[_Key, dict[_Key, list[_Entry]]] = {}
        for position, rule in enumerate(rules):
            entry = _entry(position, rule)
            for audience in _audience_key(rule.selector):
                products = grouped.setdefault(audience, {})
                for product in _product_keys(rule.selector):
                    products.setdefault(product, []).append(entry)
        self._buckets: dict[_Key, dict[_Key, _Bucket]] = {
            audience: {product: _Bucket(entries) for product, entries in products.items()}
            for audience, products in grouped.items()
        }

    def audience(self, customer: Customer, codes: Iterable[str]) -> list[dict[_Key, _Bucket]]:
        """The product maps an order of ``customer`` with ``codes`` searches (once per order)."""
        buckets = self._buckets
        return [buckets[key] for key in audience_of(customer, codes) if key in buckets]

    def candidates(
        self,
        audience: list[dict[_Key, _Bucket]],
        sku: str,
        lineage: tuple[tuple[str, int], ...],
        customer: Customer,
        codes: frozenset[str],
        on: date | None,
    ) -> list[Candidate]:
        """The rules that select the line (SKU, its groups or all products), the customer and
        the codes, valid on ``on`` (any day when None), in book order with their specificity."""
        if not audience:
            return []
        day = None if on is None else on.toordinal()
        product_keys: list[tuple[_Key, int]] = [(_ALL_PRODUCTS, 0)]
        product_keys.extend((("p", group), depth) for group, depth in lineage)
        product_keys.append((("s", sku), SKU_SPECIFICITY))
        best: dict[int, Candidate] = {}
        found: list[_Entry] = []
        for products in audience:
            for key, specificity in product_keys:
                bucket = products.get(key)
                if bucket is None:
                    continue
                found.clear()
                bucket.on(day, found)
                for _, _, position, rule in found:
                    seen = best.get(position)
                    if seen is None or seen[2] < specificity:
                        best[position] = (position, rule, specificity)
        return [
            best[position]
            for position in sorted(best)
            if best[position][1].selector.matches_customer(customer, codes)
        ]
