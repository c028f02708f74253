"""Who may do what: an access policy maps each use case (action) to the roles allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from crmcore._numbers import show
from crmcore.errors import ConfigError, PermissionDenied
from crmcore.ports import Actor
from crmcore.serialization import check_shape

__all__ = ["DEFAULT_ACCESS", "AccessPolicy"]

SALES, MANAGER, FINANCE, SHIPPING, ADMIN = "sales", "manager", "finance", "shipping", "admin"

#: The defaults of a typical B2B sales team; every entry can be replaced by configuration.
DEFAULT_ACCESS: Final[Mapping[str, frozenset[str]]] = {
    # leads
    "lead.create": frozenset({SALES, MANAGER, ADMIN}),
    "lead.route": frozenset({MANAGER, ADMIN}),
    "lead.assign": frozenset({MANAGER, ADMIN}),
    "lead.claim": frozenset({SALES}),
    "lead.return": frozenset({SALES, MANAGER, ADMIN}),
    "lead.recycle": frozenset({MANAGER, ADMIN}),
    "lead.follow_up": frozenset({SALES}),
    "lead.convert": frozenset({SALES, MANAGER}),
    "lead.view": frozenset({SALES, MANAGER, ADMIN}),
    "lead.hand_over": frozenset({MANAGER, ADMIN}),
    # opportunities
    "opportunity.create": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.advance": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.win": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.lose": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.reopen": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.revise": frozenset({SALES, MANAGER, ADMIN}),
    "opportunity.invalidate": frozenset({MANAGER, ADMIN}),
    "opportunity.view": frozenset({SALES, MANAGER, FINANCE, ADMIN}),
    # approvals of a stage change (the approvers themselves come from the approval process)
    "opportunity.approve": frozenset({MANAGER, FINANCE, ADMIN}),
    "opportunity.reject": frozenset({MANAGER, FINANCE, ADMIN}),
    "opportunity.delegate": frozenset({MANAGER, FINANCE, ADMIN}),
    "opportunity.withdraw": frozenset({SALES, MANAGER}),
    "approval.tick": frozenset({ADMIN}),
    "approval.view": frozenset({SALES, MANAGER, FINANCE, SHIPPING, ADMIN}),
    # orders
    # the owner's managers and admins act on a salesperson's orders too (record access)
    "order.draft": frozenset({SALES, MANAGER, ADMIN}),
    "order.price": frozenset({SALES, MANAGER, ADMIN}),
    # pricing as of a day before the draft date (with a reason; then an approval reason)
    "order.reprice": frozenset({MANAGER, ADMIN}),
    "order.submit": frozenset({SALES, MANAGER, ADMIN}),
    "order.approve": frozenset({MANAGER, FINANCE, SHIPPING, ADMIN}),
    "order.reject": frozenset({MANAGER, FINANCE, SHIPPING, ADMIN}),
    "order.delegate": frozenset({MANAGER, FINANCE, SHIPPING, ADMIN}),
    "order.withdraw": frozenset({SALES, MANAGER, ADMIN}),
    "order.ship": frozenset({SHIPPING}),
    "order.confirm_receipt": frozenset({SHIPPING}),
    "order.cancel": frozenset({SALES, MANAGER, ADMIN}),
    "order.return": frozenset({SALES, SHIPPING, MANAGER}),
    "order.short_close": frozenset({SALES, MANAGER}),
    "order.reorder": frozenset({SALES, MANAGER}),
    "order.complete": frozenset({SALES, MANAGER, FINANCE}),
    "order.view": frozenset({SALES, MANAGER, FINANCE, SHIPPING, ADMIN}),
    # receivables
    "receivable.open": frozenset({SALES, MANAGER, FINANCE, ADMIN}),
    "receivable.view": frozenset({SALES, FINANCE, MANAGER, ADMIN}),
    "receivable.remind": frozenset({FINANCE, ADMIN}),
    "payment.record": frozenset({SALES}),
    "payment.confirm": frozenset({FINANCE}),
    "payment.reject": frozenset({FINANCE}),
    # corrections: finance reverses a bounced payment and reads the exceptions list; a
    # write-off is checked against the per-role limits of its reason code (crm.config.write_offs)
    "payment.reverse": frozenset({FINANCE}),
    "payment.write_off": frozenset({FINANCE, MANAGER, ADMIN}),
    "payment.exceptions": frozenset({FINANCE}),
    "refund.record": frozenset({SALES, FINANCE}),
    "refund.confirm": frozenset({FINANCE}),
    "refund.reject": frozenset({FINANCE}),
    "invoice.request": frozenset({SALES}),
    "invoice.issue": frozenset({FINANCE}),
    "invoice.reject": frozenset({FINANCE}),
    "invoice.cancel": frozenset({FINANCE}),
    # credit notes are invoice documents: sales asks, finance issues or rejects
    "credit_note.request": frozenset({SALES}),
    "credit_note.issue": frozenset({FINANCE}),
    "credit_note.reject": frozenset({FINANCE}),
    # visits (the record's owner, their managers and admins; see VisitService)
    "visit.customer": frozenset({SALES, MANAGER, ADMIN}),
    "visit.plan": frozenset({SALES, MANAGER, ADMIN}),
    "visit.execute": frozenset({SALES, MANAGER}),
    "visit.cancel": frozenset({SALES, MANAGER, ADMIN}),
    "visit.co_visit": frozenset({SALES, MANAGER}),
    "visit.view": frozenset({SALES, MANAGER, ADMIN}),
    # customer accounts: money on account, credits, applications, refunds
    "account.receive": frozenset({SALES, FINANCE}),
    "account.credit": frozenset({FINANCE}),
    "account.apply": frozenset({SALES, FINANCE}),
    "account.refund": frozenset({SALES, FINANCE}),
    "account.confirm": frozenset({FINANCE}),
    "account.view": frozenset({SALES, MANAGER, FINANCE, ADMIN}),
    # the outbox: events committed but not yet delivered to the notifier
    "outbox.view": frozenset({ADMIN}),
}


def _table(value: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"access: expected an object of actions, got {show(value)}")
    check_shape(value, "access")
    for action, roles in value.items():
        if not isinstance(action, str):
            raise ConfigError(f"access: action names are strings, got {show(action)}")
        if isinstance(roles, str) or not isinstance(roles, list | tuple | set | frozenset):
            raise ConfigError(
                f"access.{action}: roles must be a list of role names, got {show(roles)}"
            )
        for i, role in enumerate(roles):
            if not isinstance(role, str) or not role.strip():
                raise ConfigError(
                    f"access.{action}[{i}]: a role name is a non-empty string, got {show(role)}"
                )
        table[action] = frozenset(roles)
    return table


@attrs.frozen
class AccessPolicy:
    """Action → roles allowed. ``check`` raises PermissionDenied naming both."""

    roles: dict[str, frozenset[str]] = attrs.field(
        factory=lambda: dict(DEFAULT_ACCESS), converter=_table
    )

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Iterable[str]]) -> AccessPolicy:
        """The defaults with some actions re-assigned (``{"order.ship": ["warehouse"]}``)."""
        table = _table(overrides)
        unknown = sorted(set(table) - set(DEFAULT_ACCESS))
        if unknown:
            raise ConfigError(f"access: unknown actions {unknown}")
        return cls({**DEFAULT_ACCESS, **table})

    def allows(self, actor: Actor, action: str) -> bool:
        """True when the actor holds a role the action allows."""
        return not self._roles_for(action).isdisjoint(actor.roles)

    def check(self, actor: Actor, action: str) -> None:
        """Raise PermissionDenied unless the actor may perform ``action``."""
        allowed = self._roles_for(action)
        if allowed.isdisjoint(actor.roles):
            held = ", ".join(sorted(actor.roles)) or "no roles"
            raise PermissionDenied(
                f"{actor.user_id} ({held}) may not {action}; allowed roles: "
                f"{', '.join(sorted(allowed)) or 'nobody'}"
            )

    def _roles_for(self, action: str) -> frozenset[str]:
        try:
            return self.roles[action]
        except KeyError:
            raise ConfigError(f"access: no rule for action {action!r}") from None
