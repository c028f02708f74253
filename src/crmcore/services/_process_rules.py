"""Which sales process a new deal follows: configured rules on its department, record type
or product line (Salesforce's record types, Odoo's per-team stages); an explicit
``process_id`` still wins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from crmcore.errors import ConfigError, ValidationError

__all__ = ["ProcessRule", "check_rules", "chosen_process_id"]

#: What a rule may match on, as the use cases name it.
_CRITERIA = ("department", "record_type", "product_line")


def _optional_name(value: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"a process rule matches on a non-empty name, got {value!r}")
    return value


@attrs.frozen
class ProcessRule:
    """Deals whose department, record type and product line match every criterion given
    here (None: any) follow the sales process ``process_id``."""

    process_id: str
    department: str | None = attrs.field(default=None, converter=_optional_name)
    record_type: str | None = attrs.field(default=None, converter=_optional_name)
    product_line: str | None = attrs.field(default=None, converter=_optional_name)

    def matches(self, deal: dict[str, str | None]) -> bool:
        """True when every criterion of this rule is the deal's."""
        return all(
            getattr(self, name) is None or getattr(self, name) == deal[name] for name in _CRITERIA
        )


def check_rules(rules: Iterable[object], process_ids: Sequence[str]) -> tuple[ProcessRule, ...]:
    """The rules, after refusing one that is not a ProcessRule, matches on nothing or names
    a process nobody configured (the ConfigError names the rule)."""
    checked = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, ProcessRule):
            raise ConfigError(f"process_rules[{i}]: expected a ProcessRule, got {rule!r}")
        if all(getattr(rule, name) is None for name in _CRITERIA):
            raise ConfigError(
                f"process_rules[{i}]: matches every deal; name a department, record_type or "
                f"product_line (the default process takes what no rule matches)"
            )
        if rule.process_id not in process_ids:
            raise ConfigError(
                f"process_rules[{i}].process_id: no sales process {rule.process_id!r} is "
                f"configured (configured: {', '.join(process_ids) or 'none'})"
            )
        checked.append(rule)
    return tuple(checked)


def chosen_process_id(
    rules: Sequence[ProcessRule],
    *,
    department: str | None,
    record_type: str | None,
    product_line: str | None,
) -> str | None:
    """The process of the first rule the deal matches (None: the default process).

    A record type or product line that no rule names is refused (a ValidationError naming
    the known ones): a typo never silently falls back to the default process."""
    deal = {"department": department, "record_type": record_type, "product_line": product_line}
    for name in ("record_type", "product_line"):
        value = deal[name]
        known = sorted({v for r in rules if (v := getattr(r, name)) is not None})
        if value is not None and value not in known:
            raise ValidationError(
                f"{name}: {value!r} is not configured (configured: {', '.join(known) or 'none'})"
            )
    for rule in rules:
        if rule.matches(deal):
            return rule.process_id
    return None
