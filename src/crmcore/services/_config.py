"""The configuration an application is built with: process, pools, terms, policies, routes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

import attrs

from crmcore.errors import ConfigError
from crmcore.forecast import SalesProcess
from crmcore.leads import ClaimLimits, PoolConfig, Router
from crmcore.pricing import PricingEngine
from crmcore.receivables import (
    CreditPolicy,
    DunningPolicy,
    ExchangeRates,
    PaymentTerms,
    ReceivablePolicy,
)
from crmcore.services._access import AccessPolicy
from crmcore.services._notifications import DEFAULT_ROUTES, NotificationRoutes
from crmcore.services._visits import VisitSettings
from crmcore.workflow import ProcessRegistry

__all__ = ["CrmConfig", "TermsBook"]


def _terms(value: Mapping[str, PaymentTerms]) -> dict[str, PaymentTerms]:
    return dict(value)


@attrs.frozen
class TermsBook:
    """The payment terms of each customer, and the terms of everyone else."""

    default: PaymentTerms = attrs.field(factory=lambda: PaymentTerms.net(30))
    by_customer: dict[str, PaymentTerms] = attrs.field(factory=dict, converter=_terms)

    def for_customer(self, customer: str) -> PaymentTerms:
        """The terms agreed with ``customer`` (the default when none were)."""
        return self.by_customer.get(customer, self.default)


def _pools(value: Iterable[PoolConfig]) -> tuple[PoolConfig, ...]:
    pools = tuple(value)
    ids = [p.id for p in pools]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigError(f"pools: ids {duplicated} are configured twice")
    return pools


def _roles(value: Iterable[str]) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


@attrs.frozen
class CrmConfig:
    """Everything an application decides as data, with the defaults of a typical team.

    ``pools`` are created in storage the first time a use case needs them; ``router`` sends
    new leads to a pool (without one every lead goes to the first pool); ``oversight_roles``
    see everyone's reminders and money to-do lists, others see their own; ``order_process``
    names the approval process of orders. Only what a host uses must be configured: a host
    that takes orders and no opportunities leaves ``sales_process`` out.
    """

    #: The stages opportunities go through (None: the host opens no opportunities).
    sales_process: SalesProcess | None = None
    approvals: ProcessRegistry = attrs.field(factory=ProcessRegistry)
    pools: tuple[PoolConfig, ...] = attrs.field(default=(), converter=_pools)
    router: Router | None = None
    terms: TermsBook = attrs.field(factory=TermsBook)
    receivable_policy: ReceivablePolicy = attrs.field(factory=ReceivablePolicy)
    credit_policy: CreditPolicy | None = None
    #: The host's exchange rates for a day (a callable), or one table: the credit check of a
    #: customer with receivables in several currencies converts with them.
    exchange_rates: ExchangeRates | Callable[[date], ExchangeRates | None] | None = None
    dunning: DunningPolicy = attrs.field(factory=DunningPolicy.standard)
    pricing: PricingEngine | None = None
    access: AccessPolicy = attrs.field(factory=AccessPolicy)
    routes: NotificationRoutes = attrs.field(factory=lambda: DEFAULT_ROUTES)
    claim_limits: ClaimLimits | None = None
    oversight_roles: frozenset[str] = attrs.field(
        default=frozenset({"finance", "manager", "admin"}), converter=_roles
    )
    #: The approval process orders go through (None: the first published for "order").
    order_process: str | None = None
    #: Roles that may change any record whoever owns it (see ``UseCase.require_owner``).
    admin_roles: frozenset[str] = attrs.field(default=frozenset({"admin"}), converter=_roles)
    #: Check-in rules, visit actions, frequency by tier (see ``crm.visits``).
    visits: VisitSettings = attrs.field(factory=VisitSettings)

    def rates_on(self, day: date) -> ExchangeRates | None:
        """The exchange rates to use on ``day`` (None when the host gives none)."""
        if self.exchange_rates is None or isinstance(self.exchange_rates, ExchangeRates):
            return self.exchange_rates
        found = self.exchange_rates(day)
        if found is not None and not isinstance(found, ExchangeRates):
            raise ConfigError(
                f"exchange_rates({day.isoformat()}): expected ExchangeRates, got {found!r}"
            )
        return found

    def require_sales_process(self) -> SalesProcess:
        """The sales process; ConfigError when opportunities are used without one."""
        if self.sales_process is None:
            raise ConfigError(
                "sales_process: required to open opportunities; "
                "pass CrmConfig(sales_process=SalesProcess.from_dict(...))"
            )
        return self.sales_process

    def pool(self, pool_id: str) -> PoolConfig:
        """The configuration of one pool; ConfigError when there is none."""
        for pool in self.pools:
            if pool.id == pool_id:
                return pool
        raise ConfigError(f"pools: no pool {pool_id!r} is configured")
