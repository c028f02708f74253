"""Routing: which pool a new lead goes to, by rules in order of precedence.

Each rule names a pool and a condition in the workflow package's condition language (a
[`Condition`][crmcore.workflow.Condition], its data form, or a callable). The first rule that
matches, by ``priority`` then by position, wins; a lead that matches none goes to the
default pool. The result names the pool and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from crmcore._validators import non_empty
from crmcore.errors import ConfigError
from crmcore.leads._lead import Lead
from crmcore.workflow import Condition, as_condition

__all__ = ["Router", "RoutingResult", "RoutingRule"]


def _condition(value: Condition | Callable[[Any], bool] | Mapping[str, Any]) -> Condition:
    return as_condition(value)


@attrs.frozen
class RoutingRule:
    """Leads matching ``condition`` go to ``pool_id``; lower ``priority`` is tried first."""

    name: str = attrs.field(validator=non_empty)
    pool_id: str = attrs.field(validator=non_empty)
    condition: Condition = attrs.field(converter=_condition)
    priority: int = 100


@attrs.frozen
class RoutingResult:
    """Where a lead goes: the pool, and the rule that matched (None: the default pool)."""

    lead_id: str
    pool_id: str
    rule: str | None

    @property
    def matched(self) -> bool:
        """False when no rule matched and the lead went to the default pool."""
        return self.rule is not None


def _rules(rules: Iterable[RoutingRule]) -> tuple[RoutingRule, ...]:
    return tuple(rules)


@attrs.frozen
class Router:
    """Rules in order of precedence and the default pool for leads no rule matches."""

    default_pool_id: str = attrs.field(validator=non_empty)
    rules: tuple[RoutingRule, ...] = attrs.field(default=(), converter=_rules)
    _ordered: tuple[RoutingRule, ...] = attrs.field(init=False, eq=False, repr=False)

    @_ordered.default
    def _order(self) -> tuple[RoutingRule, ...]:
        names: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in names:
                raise ConfigError(f"rules[{i}].name: duplicate rule name {rule.name!r}")
            names.add(rule.name)
        return tuple(sorted(self.rules, key=lambda r: r.priority))

    def route(self, lead: Lead) -> RoutingResult:
        """The pool for ``lead`` and the rule that sent it there."""
        for rule in self._ordered:
            if rule.condition.evaluate(lead):
                return RoutingResult(lead.id, rule.pool_id, rule.name)
        return RoutingResult(lead.id, self.default_pool_id, None)
