"""Customer credit: limits with a group fallback, exposure, credit check, alerts, risk grade."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore._validators import member, non_negative
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Currency, Money, Percent, get_currency
from crmcore.receivables._account import CustomerAccount
from crmcore.receivables._behaviour import settlements
from crmcore.receivables._rates import ExchangeRates
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import from_dict

__all__ = [
    "CreditAlert",
    "CreditBypass",
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
                f"{attribute.name}[{key}]: a credit limit must be Money >= 0, got {show(limit)}"
            )


def _reason(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name}: a reason is required, got {value!r}")


def _day(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not date:
        raise ValidationError(f"{attribute.name}: expected a date, got {value!r}")


@attrs.frozen
class CreditBypass:
    """A customer exempted from the credit check until ``until`` (inclusive), and why."""

    reason: str = attrs.field(validator=_reason)
    until: date = attrs.field(validator=_day)


def _grade_decisions(value: Mapping[str, Any]) -> dict[str, CreditDecision]:
    return {
        grade: member(CreditDecision, decision, f"grade_decisions[{show(grade)}]")
        for grade, decision in dict(value).items()
    }


def _credit_decision_over_limit(value: object) -> CreditDecision:
    return member(CreditDecision, value, "over_limit")


def _credit_decision_no_limit(value: object) -> CreditDecision:
    return member(CreditDecision, value, "no_limit")


@attrs.frozen
class CreditPolicy:
    """Credit limits and what to do beyond them; loads from plain data.

    A customer's limit is its own, else its group's (``customer_groups`` maps customer →
    group), else the one of its risk grade (``grade_limits``), else the company's
    ``default_limit``. Above 100 % utilisation the decision is ``over_limit``; above
    ``block_above`` (when set) it is always BLOCKED. Any installment overdue more than
    ``overdue_days`` raises an alert and, when ``overdue_decision`` is set, at least that
    decision; ``grade_decisions`` sets at least a decision per risk grade (``{"D":
    "needs_approval"}``). A customer in ``bypass`` is allowed until the bypass expires,
    with its reason in the check.
    """

    limits: dict[str, Money] = attrs.field(
        factory=dict, converter=_limits, validator=_check_limits
    )
    group_limits: dict[str, Money] = attrs.field(
        factory=dict, converter=_limits, validator=_check_limits
    )
    customer_groups: dict[str, str] = attrs.field(factory=dict)
    over_limit: CreditDecision = attrs.field(
        default=CreditDecision.NEEDS_APPROVAL,
        converter=_credit_decision_over_limit,
    )
    block_above: Percent | None = None
    no_limit: CreditDecision = attrs.field(
        default=CreditDecision.NEEDS_APPROVAL,
        converter=_credit_decision_no_limit,
    )
    alert_at: Percent = attrs.field(default=Percent(80), converter=Percent)
    overdue_days: int = attrs.field(default=30, validator=non_negative)
    overdue_decision: CreditDecision | None = CreditDecision.NEEDS_APPROVAL
    default_limit: Money | None = None
    grade_limits: dict[str, Money] = attrs.field(
        factory=dict, converter=_limits, validator=_check_limits
    )
    grade_decisions: dict[str, CreditDecision] = attrs.field(
        factory=dict, converter=_grade_decisions
    )
    bypass: dict[str, CreditBypass] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.default_limit is not None and (
            not isinstance(self.default_limit, Money) or self.default_limit.amount < 0
        ):
            raise ValidationError(
                f"default_limit: a credit limit must be Money >= 0, got {self.default_limit}"
            )
        for grade in (*self.grade_limits, *self.grade_decisions):
            if grade not in ("A", "B", "C", "D"):
                raise ValidationError(f"grade {grade!r}: risk grades are A, B, C and D")

    @property
    def uses_grades(self) -> bool:
        """True when a risk grade can change a limit or a decision."""
        return bool(self.grade_limits or self.grade_decisions)

    def bypassed(self, customer: str, as_of: date) -> CreditBypass | None:
        """The customer's bypass when it is still valid on ``as_of``."""
        found = self.bypass.get(customer)
        return found if found is not None and as_of <= found.until else None

    @classmethod
    def from_dict(cls, data: object) -> CreditPolicy:
        """Deprecated: use ``crmcore.serialization.from_dict(CreditPolicy, data)``."""
        deprecated("CreditPolicy.from_dict", "crmcore.serialization.from_dict(CreditPolicy, data)")
        return from_dict(cls, data)

    def limit_for(self, customer: str, grade: str | None = None) -> Money | None:
        """The customer's own limit, else its group's, else its grade's, else the company
        default; None when none is configured."""
        if customer in self.limits:
            return self.limits[customer]
        group = self.customer_groups.get(customer)
        if group is not None and group in self.group_limits:
            return self.group_limits[group]
        if grade is not None and grade in self.grade_limits:
            return self.grade_limits[grade]
        return self.default_limit


@in_context
def exposure(
    customer: str,
    receivables: Iterable[Receivable],
    as_of: date,
    open_orders: Iterable[Money] = (),
    *,
    currency: Currency | str | None = None,
    rates: ExchangeRates | None = None,
    accounts: Iterable[CustomerAccount] = (),
) -> Money | None:
    """The customer's net position on ``as_of``: outstanding receivables plus open, not yet
    invoiced orders, less the advances it has paid (money confirmed beyond its installments)
    and the money it holds on its ``accounts`` (unapplied cash and credits, and applications
    finance has not confirmed yet), as ERPNext and Odoo count it.

    Amounts in another currency than ``currency`` (default: the first amount's) are
    converted with ``rates``; a zero amount needs no rate, a missing one raises
    CurrencyMismatch naming it. None when there is nothing at all.
    """
    target = None if currency is None else get_currency(currency)
    total: Decimal | None = None

    def add(part: Money, what: str) -> None:
        nonlocal target, total
        if target is None:
            target = part.currency
        if part.amount == 0 and part.currency != target:
            part = Money.zero(target)
        elif part.currency != target:
            if rates is None:
                raise CurrencyMismatch(
                    f"{what}: {part} is not in {target.code}; give exchange rates to add it"
                )
            part = rates.convert(part, target, what=what)
        total = part.amount if total is None else CONTEXT.add(total, part.amount)

    for r in receivables:
        if r.customer == customer:
            figures = r.balance(as_of)
            add(figures.outstanding, f"receivable {r.id}")
            add(-figures.advance, f"receivable {r.id} advance")
    for i, order in enumerate(open_orders):
        add(order, f"open_orders[{i}]")
    for account in accounts:
        if account.customer == customer:
            add(-account.balance().on_account, f"account {account.id}")
    if total is None or target is None:
        return None
    return Money(total, target)


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
    #: The day of the exchange rates the figures were converted with (None: one currency).
    rates_on: date | None = None
    #: The customer's risk grade when the policy maps grades (None otherwise).
    grade: str | None = None

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


@in_context
def check_credit(
    customer: str,
    new_amount: Money,
    *,
    receivables: Iterable[Receivable],
    as_of: date,
    policy: CreditPolicy,
    open_orders: Iterable[Money] = (),
    rates: ExchangeRates | None = None,
    accounts: Iterable[CustomerAccount] = (),
) -> CreditCheck:
    """Allowed, needs approval or blocked: the customer's net position + ``new_amount``
    against its limit, in the limit's currency (other currencies through ``rates``)."""
    if not new_amount.amount > 0:
        raise ValidationError(f"new_amount: must be > 0, got {new_amount}")
    items = list(receivables)
    grade = risk_grade(customer, items, as_of).grade if policy.uses_grades else None
    limit = policy.limit_for(customer, grade)
    currency = new_amount.currency if limit is None else limit.currency
    current = exposure(
        customer, items, as_of, open_orders, currency=currency, rates=rates, accounts=accounts
    )
    if current is None:
        current = Money.zero(currency)
    converted = _in_currency(new_amount, currency, rates)
    after = current + converted
    reasons: list[str] = []
    utilisation = None if limit is None else _utilisation(after, limit)
    decision = _limit_decision(customer, after, limit, utilisation, policy, reasons)
    worst = _worst_overdue(customer, items, as_of)
    if worst > policy.overdue_days and policy.overdue_decision is not None:
        if _RANK[policy.overdue_decision] > _RANK[decision]:
            decision = policy.overdue_decision
        reasons.append(f"an installment is {worst} days overdue (more than {policy.overdue_days})")
    if grade is not None and grade in policy.grade_decisions:
        floor = policy.grade_decisions[grade]
        if _RANK[floor] > _RANK[decision]:
            decision = floor
        reasons.append(f"risk grade {grade} asks for {floor.value}")
    bypass = policy.bypassed(customer, as_of)
    if bypass is not None:
        decision = CreditDecision.ALLOWED
        reasons.append(f"credit check bypassed until {bypass.until.isoformat()}: {bypass.reason}")
    used_rates = rates is not None and any(
        r.customer == customer and r.currency != currency for r in items
    )
    return CreditCheck(
        customer=customer,
        decision=decision,
        exposure=current,
        new_amount=converted,
        limit=limit,
        utilisation=utilisation,
        reasons=tuple(reasons),
        rates_on=rates.on
        if rates is not None and (used_rates or new_amount.currency != currency)
        else None,
        grade=grade,
    )


def _in_currency(amount: Money, currency: Currency, rates: ExchangeRates | None) -> Money:
    """``amount`` in the limit's currency (through ``rates`` when it is in another)."""
    if amount.currency == currency:
        return amount
    if rates is None:
        raise CurrencyMismatch(
            f"new_amount {amount} is not in the credit limit's currency "
            f"{currency.code}; give exchange rates"
        )
    return rates.convert(amount, currency, what="new_amount")


def _limit_decision(
    customer: str,
    after: Money,
    limit: Money | None,
    utilisation: Percent | None,
    policy: CreditPolicy,
    reasons: list[str],
) -> CreditDecision:
    """What the limit alone says about the position ``after`` the order (reasons appended)."""
    if limit is None:
        if (
            policy.no_limit is not CreditDecision.ALLOWED
        ):  # allowed without a limit: nothing to see
            reasons.append(f"no credit limit configured for {customer}")
        return policy.no_limit
    decision = CreditDecision.ALLOWED
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
    if not reasons and utilisation is not None and utilisation >= policy.alert_at:
        reasons.append(f"utilisation {utilisation} reaches the alert level {policy.alert_at}")
    return decision


@attrs.frozen
class CreditAlert:
    """Something about a customer's credit a manager should look at."""

    customer: str
    kind: str
    message: str


@in_context
def credit_alerts(
    customer: str,
    *,
    receivables: Iterable[Receivable],
    as_of: date,
    policy: CreditPolicy,
    open_orders: Iterable[Money] = (),
    rates: ExchangeRates | None = None,
) -> list[CreditAlert]:
    """Alerts for utilisation at or above ``policy.alert_at`` and installments overdue
    more than ``policy.overdue_days``."""
    items = list(receivables)
    alerts = []
    grade = risk_grade(customer, items, as_of).grade if policy.uses_grades else None
    limit = policy.limit_for(customer, grade)
    current = exposure(
        customer,
        items,
        as_of,
        open_orders,
        currency=None if limit is None else limit.currency,
        rates=rates,
    )
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


@in_context
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
