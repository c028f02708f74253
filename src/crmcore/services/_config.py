"""The configuration an application is built with: process, pools, terms, policies, routes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

import attrs

from crmcore._numbers import show
from crmcore.errors import ConfigError, ValidationError
from crmcore.forecast import SalesProcess
from crmcore.leads import ClaimLimits, PoolConfig, Router
from crmcore.orders import InvoiceBasis, OrderPolicy
from crmcore.pricing import PricingEngine
from crmcore.receivables import (
    CreditPolicy,
    DunningPolicy,
    ExchangeRates,
    PaymentTerms,
    ReceivablePolicy,
    WriteOffRules,
)
from crmcore.services._access import AccessPolicy
from crmcore.services._notifications import DEFAULT_ROUTES, NotificationRoutes
from crmcore.services._process_rules import ProcessRule, check_rules, chosen_process_id
from crmcore.services._record_access import Grant, RecordAccess
from crmcore.services._visits import VisitSettings
from crmcore.services._vocabulary import check_roles
from crmcore.workflow import ProcessRegistry

__all__ = ["GOODS_STATUSES", "CrmConfig", "TermsBook"]

#: The actions whose roles work opportunities (the sales process's ``sales_roles``).
_SELLING = (
    "opportunity.create",
    "opportunity.advance",
    "opportunity.win",
    "opportunity.lose",
    "opportunity.reopen",
    "lead.convert",
)

#: The order statuses in the warehouse's hands: shipping reaches these orders.
GOODS_STATUSES = frozenset({"confirmed", "partially_shipped", "shipped", "received"})


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
    new leads to a pool (without one every lead goes to the first pool); ``order_process``
    names the approval process of orders. Only what a host uses must be configured: a host
    that takes orders and no opportunities leaves ``sales_process`` out.

    This is the one place roles are configured: ``access`` (action → roles), ``admin_roles``
    and ``department_head_roles``. The domain policies' role names are derived from them —
    ``order_policy`` (who ships), ``receivable_policy`` (who records, confirms, returns),
    ``sales_process.sales_roles``, the pools' ``admin_roles`` — and so is
    ``record_access``, the one record-access rule, so an override means the same everywhere.
    """

    #: The stages opportunities go through (None: the host opens no opportunities).
    sales_process: SalesProcess | None = None
    #: More sales processes (per product line or team), chosen by id when a deal opens;
    #: ``sales_process`` (else the first of these) is the default.
    sales_processes: tuple[SalesProcess, ...] = attrs.field(default=(), converter=tuple)
    #: Which process a new deal follows by its department, record type or product line:
    #: the first rule it matches (an explicit ``process_id`` wins; no match: the default).
    process_rules: tuple[ProcessRule, ...] = attrs.field(default=(), converter=tuple)
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
    #: The write-off reason codes and each role's limit per write-off.
    write_offs: WriteOffRules = attrs.field(factory=WriteOffRules.standard)
    pricing: PricingEngine | None = None
    access: AccessPolicy = attrs.field(factory=AccessPolicy)
    routes: NotificationRoutes = attrs.field(factory=lambda: DEFAULT_ROUTES)
    claim_limits: ClaimLimits | None = None
    #: The approval process orders go through (None: the first published for "order").
    order_process: str | None = None
    #: What orders are to be invoiced for: ordered or delivered quantities (their progress).
    invoice_basis: InvoiceBasis = attrs.field(default=InvoiceBasis.ORDERED, converter=InvoiceBasis)
    #: Roles that read and write every record whoever owns it.
    admin_roles: frozenset[str] = attrs.field(default=frozenset({"admin"}), converter=_roles)
    #: Roles whose holders reach the records of their own department (off when empty).
    department_head_roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    #: Whether the owner's managers may change (not only read) their team's records.
    team_write: bool = True
    #: More record grants beside the derived ones (``Grant({"audit"}, write=False)``).
    grants: tuple[Grant, ...] = attrs.field(default=(), converter=tuple)
    #: Check-in rules, visit actions, frequency by tier (see ``crm.visits``).
    visits: VisitSettings = attrs.field(factory=VisitSettings)
    #: The role vocabulary (None: not checked). When given, every role the configuration
    #: names — access, admin and department-head roles, grants, notification routes,
    #: write-off limits, approval steps — must be one of these (a ConfigError names each).
    roles: frozenset[str] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_roles)
    )
    #: Derived: the record-access rule every use case and query applies.
    record_access: RecordAccess = attrs.field(init=False, eq=False, repr=False)
    #: Derived: the order's own role names (who ships and confirms receipt).
    order_policy: OrderPolicy = attrs.field(init=False, eq=False, repr=False)
    #: Derived: who works opportunities (the sales process's ``sales_roles``).
    sales_roles: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    #: Derived: who declares a deal invalid (the sales process's ``invalidate_roles``).
    invalidate_roles: frozenset[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_roles(self)
        access = self.access

        def roles(*actions: str) -> frozenset[str]:
            return frozenset().union(*(access.roles.get(a, frozenset()) for a in actions))

        finance = roles("payment.confirm", "refund.confirm", "invoice.issue")
        shipping = roles("order.ship", "order.confirm_receipt")
        setattr_ = object.__setattr__
        setattr_(
            self,
            "order_policy",
            OrderPolicy(
                shipping_roles=shipping,
                invoice_basis=self.invoice_basis,
                reprice_roles=roles("order.reprice") or OrderPolicy().reprice_roles,
            ),
        )
        setattr_(
            self,
            "receivable_policy",
            attrs.evolve(
                self.receivable_policy,
                record_roles=roles(
                    "payment.record", "refund.record", "invoice.request", "receivable.open"
                ),
                finance_roles=finance or self.receivable_policy.finance_roles,
                return_roles=roles("order.return", "order.cancel"),
            ),
        )
        setattr_(self, "sales_roles", roles(*_SELLING))
        setattr_(self, "invalidate_roles", roles("opportunity.invalidate"))

        def with_roles(process: SalesProcess) -> SalesProcess:
            return attrs.evolve(
                process,
                sales_roles=self.sales_roles,
                invalidate_roles=self.invalidate_roles or process.invalidate_roles,
            )

        if self.sales_process is not None:
            setattr_(self, "sales_process", with_roles(self.sales_process))
        for i, process in enumerate(self.sales_processes):
            if not isinstance(process, SalesProcess):
                raise ConfigError(
                    f"sales_processes[{i}]: expected a SalesProcess, got {show(process)}"
                )
        setattr_(self, "sales_processes", tuple(with_roles(p) for p in self.sales_processes))
        ids = [p.id for p in self.processes]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ConfigError(f"sales_processes: ids {duplicated} are configured twice")
        setattr_(self, "process_rules", check_rules(self.process_rules, ids))
        setattr_(
            self,
            "pools",
            tuple(attrs.evolve(p, admin_roles=self.admin_roles) for p in self.pools),
        )
        grants = (
            Grant(self.admin_roles),
            Grant(finance, kinds={"order", "receivable", "customer_account"}),
            Grant(shipping, kinds={"order"}, statuses=GOODS_STATUSES),
            *self.grants,
        )
        setattr_(
            self,
            "record_access",
            RecordAccess(
                tuple(g for g in grants if g.roles),
                team_write=self.team_write,
                department_head_roles=self.department_head_roles,
            ),
        )

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

    @property
    def processes(self) -> tuple[SalesProcess, ...]:
        """Every configured sales process, the default first."""
        first = () if self.sales_process is None else (self.sales_process,)
        return (*first, *self.sales_processes)

    def require_sales_process(self, process_id: str | None = None) -> SalesProcess:
        """The sales process called ``process_id`` (None: the default one); ConfigError when
        opportunities are used without any, ValidationError for an id nobody configured."""
        processes = self.processes
        if not processes:
            raise ConfigError(
                "sales_process: required to open opportunities; "
                "pass CrmConfig(sales_process=from_dict(SalesProcess, ...))"
            )
        if process_id is None:
            return processes[0]
        for process in processes:
            if process.id == process_id:
                return process
        raise ValidationError(
            f"process_id: no sales process {process_id!r} is configured (configured: "
            f"{', '.join(p.id for p in processes)})"
        )

    def select_sales_process(
        self,
        process_id: str | None = None,
        *,
        department: str | None = None,
        record_type: str | None = None,
        product_line: str | None = None,
    ) -> SalesProcess:
        """The process a new deal follows: ``process_id`` when given, else the first of
        ``process_rules`` the deal's department, record type and product line match, else
        the default process."""
        if process_id is None:
            process_id = chosen_process_id(
                self.process_rules,
                department=department,
                record_type=record_type,
                product_line=product_line,
            )
        return self.require_sales_process(process_id)

    def pool(self, pool_id: str) -> PoolConfig:
        """The configuration of one pool; ConfigError when there is none."""
        for pool in self.pools:
            if pool.id == pool_id:
                return pool
        raise ConfigError(f"pools: no pool {pool_id!r} is configured")
