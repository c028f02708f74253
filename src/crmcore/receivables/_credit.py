"""Customer credit: limits with a group fallback, exposure, credit check, alerts, risk grade."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT
from crmcore._validators import non_negative
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money, Percent
from crmcore.receivables._behaviour import settlements
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import from_dict

__all__ = [
    "CreditAlert",
    "CreditCheck",
    "CreditDecision",
    "CreditPolicy",
    "RiskAssessment",
    "check_credit",
    "credit_alerts",
    "exposure",
    "risk_grade",
]


class CreditDecision(enum.Enum):
    """What a credit check says about a new order."""

    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    BLOCKED = "blocked"


def _limits(value: Mapping[str, Money]) -> dict[str, Money]:
    return dict(value)


def _check_limits(_: object, attribute: attrs.Attribute[Any], value: dict[str, Money]) -> None:
    for key, limit in value.items():
        if not isinstance(limit, Money) or limit.amount < 0:
            raise ValidationError(
                f"{attribute.name}[{key}]: a credit limit must be Money >= 0, got {limit}"
            )


@attrs.frozen
class CreditPolicy:
    """Credit limits and what to do beyond them; loads from plain data.

    A customer's limit is its own, else its group's (``customer_groups`` maps customer →
    group). Above 100 % utilisation the decision is ``over_limit``; above ``block_above``
    (when set) it is always BLOCKED. Any installment overdue more than ``overdue_days``
    raises an alert and, when ``overdue_decision`` is set, at least that decision.
    """

    limits: dict[str, Money] = attrs.field(
        factory=dict, converter=_limits, validator=_check_limits
    )
    group_limits: dict[str, Money] = attrs.field(
        factory=dict, converter=_limits, validator=_check_limits
    )
    customer_groups: dict[str, str] = attrs.field(factory=dict)
    over_limit: CreditDecision = attrs.field(
        default=CreditDecision.NEEDS_APPROVAL, converter=CreditDecision
    )
    block_above: Percent | None = None
    no_limit: CreditDecision = attrs.field(
        default=CreditDecision.NEEDS_APPROVAL, converter=CreditDecision
    )
    alert_at: Percent = attrs.field(default=Percent(80), converter=Percent)
    overdue_days: int = attrs.field(default=30, validator=non_negative)
    overdue_decision: CreditDecision | None = CreditDecision.NEEDS_APPROVAL

    @classmethod
    def from_dict(cls, data: object) -> CreditPolicy:
        """Load from plain data; bad values are reported with their path."""
        return from_dict(cls, data, what="CreditPolicy")

    def limit_for(self, customer: str) -> Money | None:
        """The customer's own limit, else its group's, else None (no limit configured)."""
        if customer in self.limits:
            return self.limits[customer]
        group = self.customer_groups.get(customer)
        if group is not None:
            return self.group_limits.get(group)
        return None


def exposure(
    customer: str,
    receivables: Iterable[Receivable],
    as_of: date,
    open_orders: Iterable[Money] = (),
) -> Money | None:
    """Outstanding receivables of ``customer`` on ``as_of`` plus its open, not yet invoiced
    order amounts; None when there is nothing at all (no currency to express it in)."""
    total: Money | None = None
    for r in receivables:
        if r.customer == customer:
            part = r.balance(as_of).outstanding
            total = part if total is None else total + part
    for order in open_orders:
        total = order if total is None else total + order
    return total


@attrs.frozen
class CreditCheck:
    """The answer for a new order: the decision, the figures, and every reason."""

    customer: str
    decision: CreditDecision
    exposure: Money
    new_amount: Money
    limit: Money | None
    utilisation: Percent | None
    reasons: tuple[str, ...]

    @property
    def available(self) -> Money | None:
        """Limit − exposure (negative when already over), or None without a limit."""
        return None if self.limit is None else self.limit - self.exposure


def _utilisation(amount: Money, limit: Money) -> Percent | None:
    if limit.amount == 0:
        return None
    ratio = CONTEXT.multiply(CONTEXT.divide(amount.amount, limit.amount), Decimal(100))
    return Percent(ratio.quantize(Decimal("0.01"), "ROUND_HALF_UP", CONTEXT))


def _worst_overdue(customer: str, receivables: Iterable[Receivable], as_of: date) -> int:
    worst = 0
    for r in receivables:
        if r.customer == customer:
            worst = max(worst, r.balance(as_of).days_overdue)
    return worst


_RANK = {CreditDecision.ALLOWED: 0, CreditDecision.NEEDS_APPROVAL: 1, CreditDecision.BLOCKED: 2}


def check_credit(
    customer: str,
    new_amount: Money,
    *,
    receivables: Iterable[Receivable],
    as_of: date,
    policy: CreditPolicy,
    open_orders: Iterable[Money] = (),
) -> CreditCheck:
    """Allowed, needs approval or blocked: exposure + ``new_amount`` against the limit."""
    if not new_amount.amount > 0:
        raise ValidationError(f"new_amount: must be > 0, got {new_amount}")
    items = list(receivables)
    current = exposure(customer, items, as_of, open_orders)
    if current is None:
        current = Money.zero(new_amount.currency)
    if current.currency != new_amount.currency:
        raise CurrencyMismatch(
            f"new_amount {new_amount} is not in the exposure's currency {current.currency}"
        )
    limit = policy.limit_for(customer)
    after = current + new_amount
    reasons: list[str] = []
    decision = CreditDecision.ALLOWED
    utilisation = None
    if limit is None:
        decision = policy.no_limit
        reasons.append(f"no credit limit configured for {customer}")
    else:
        if limit.currency != new_amount.currency:
            raise CurrencyMismatch(
                f"credit limit {limit} of {customer} is not in {new_amount.currency}"
            )
        utilisation = _utilisation(after, limit)
        if after > limit:
            decision = policy.over_limit
            reasons.append(
                f"exposure {after} would exceed the limit {limit} ({utilisation or 'no'} used)"
            )
        if policy.block_above is not None and (
            utilisation is None or utilisation > policy.block_above
        ):
            decision = CreditDecision.BLOCKED
            reasons.append(f"utilisation above {policy.block_above} blocks new orders")
    worst = _worst_overdue(customer, items, as_of)
    if worst > policy.overdue_days and policy.overdue_decision is not None:
        if _RANK[policy.overdue_decision] > _RANK[decision]:
            decision = policy.overdue_decision
        reasons.append(f"an installment is {worst} days overdue (more than {policy.overdue_days})")
    return CreditCheck(
        customer=customer,
        decision=decision,
        exposure=current,
        new_amount=new_amount,
        limit=limit,
        utilisation=utilisation,
        reasons=tuple(reasons),
    )


@attrs.frozen
class CreditAlert:
    """Something about a customer's credit a manager should look at."""

    customer: str
    kind: str
    message: str


def credit_alerts(
    customer: str,
    *,
    receivables: Iterable[Receivable],
    as_of: date,
    policy: CreditPolicy,
    open_orders: Iterable[Money] = (),
) -> list[CreditAlert]:
    """Alerts for utilisation at or above ``policy.alert_at`` and installments overdue
    more than ``policy.overdue_days``."""
    items = list(receivables)
    alerts = []
    current = exposure(customer, items, as_of, open_orders)
    limit = policy.limit_for(customer)
    if current is not None and limit is not None:
        utilisation = _utilisation(current, limit)
        if utilisation is None or utilisation >= policy.alert_at:
            alerts.append(
                CreditAlert(
                    customer,
                    "utilisation",
                    f"{customer} uses {utilisation or 'all'} of the limit {limit} "
                    f"(exposure {current}; alert at {policy.alert_at})",
                )
            )
    for r in items:
        if r.customer != customer:
            continue
        for row in r.installment_view(as_of):
            if row.overdue and row.days_overdue > policy.overdue_days:
                alerts.append(
                    CreditAlert(
                        customer,
                        "overdue",
                        f"{r.id} installment {row.number}: {row.outstanding} is "
                        f"{row.days_overdue} days overdue (due {row.due_date.isoformat()})",
                    )
                )
    return alerts


@attrs.frozen
class RiskAssessment:
    """A customer's payment record and the grade it earns.

    Over every installment that fell due by ``as_of``: ``on_time_share`` = share fully paid
    (by confirmed payments' value dates) on or before the due date; ``average_days_late`` =
    mean of days late (paid late: paid date − due date; still open: ``as_of`` − due date;
    on time: 0); ``worst_days_late`` = the maximum. Grade A: on time >= 90 %, average <= 5,
    worst <= 30; B: >= 75 %, <= 15, <= 60; C: >= 50 %, <= 30, <= 90; otherwise D. With no
    installment due yet the grade is B: no history is not the best history.
    """

    grade: str
    installments: int
    on_time_share: Percent
    average_days_late: Decimal
    worst_days_late: int


_GRADES = (("A", 90, 5, 30), ("B", 75, 15, 60), ("C", 50, 30, 90))


def risk_grade(customer: str, receivables: Iterable[Receivable], as_of: date) -> RiskAssessment:
    """Grade a customer A–D from its payment history on ``as_of`` (see RiskAssessment)."""
    lateness: list[int] = []
    on_time = 0
    for r in receivables:
        if r.customer != customer:
            continue
        for row, paid_on in settlements(r, as_of):
            if row.due_date > as_of:
                continue
            if paid_on is None:
                lateness.append((as_of - row.due_date).days)
            elif paid_on <= row.due_date:
                on_time += 1
                lateness.append(0)
            else:
                lateness.append((paid_on - row.due_date).days)
    if not lateness:
        return RiskAssessment("B", 0, Percent(0), Decimal(0), 0)
    count = len(lateness)
    share = Percent(
        (Decimal(on_time * 100) / count).quantize(Decimal("0.01"), "ROUND_HALF_UP", CONTEXT)
    )
    average = (Decimal(sum(lateness)) / count).quantize(Decimal("0.1"), "ROUND_HALF_UP", CONTEXT)
    worst = max(lateness)
    grade = "D"
    for name, min_share, max_average, max_worst in _GRADES:
        if share.value >= min_share and average <= max_average and worst <= max_worst:
            grade = name
            break
    return RiskAssessment(grade, count, share, average, worst)
