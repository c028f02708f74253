"""The rule book: the rules in their configured order, with the index that finds a line's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from crmcore.errors import ValidationError
from crmcore.pricing._catalog import Customer
from crmcore.pricing._index import Candidate, RuleIndex
from crmcore.pricing._rules import PriceRule

__all__ = ["RuleBook"]


def _rules(value: Iterable[PriceRule]) -> tuple[PriceRule, ...]:
    return tuple(value)


@attrs.frozen
class RuleBook:
    """The rules, indexed by audience (customer, codes, customer group, region, tags),
    product (SKU, group, all products) and validity window.

    A line's candidates are only the rules that can apply to it on the order's date, so
    pricing does not slow down as the book grows (see ``crmcore.pricing._index``).
    """

    rules: tuple[PriceRule, ...] = attrs.field(default=(), converter=_rules)
    _by_id: dict[str, PriceRule] = attrs.field(init=False, repr=False, eq=False)
    _index: RuleIndex = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, PriceRule] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in by_id:
                raise ValidationError(f"rules[{i}].id: duplicate rule id {rule.id!r}")
            by_id[rule.id] = rule
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_index", RuleIndex(self.rules))

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, rule_id: str) -> PriceRule | None:
        """The rule with ``rule_id`` or None."""
        return self._by_id.get(rule_id)

    def finder(self, customer: Customer, codes: frozenset[str]) -> CandidateFinder:
        """What finds each line's candidates for one order of ``customer`` with ``codes``."""
        return CandidateFinder(self._index, customer, codes)


class CandidateFinder:
    """One order's view of the index: the audience is looked up once, then line by line."""

    __slots__ = ("_audience", "_codes", "_customer", "_index")

    def __init__(self, index: RuleIndex, customer: Customer, codes: frozenset[str]) -> None:
        self._index = index
        self._customer = customer
        self._codes = codes
        self._audience = index.audience(customer, codes)

    def candidates(
        self, sku: str, lineage: tuple[tuple[str, int], ...], on: date | None
    ) -> list[Candidate]:
        """Rules selecting the line, the customer and the codes, valid on ``on`` (any day when
        None), in book order: ``(position, rule, specificity)``."""
        return self._index.candidates(
            self._audience, sku, lineage, self._customer, self._codes, on
        )
