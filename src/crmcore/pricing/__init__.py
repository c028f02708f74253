"""Prices and discounts: catalog, price lists, price rules and the explained price waterfall.

``PricingEngine(catalog, price_lists, rules, policy).price(request)`` runs list price → rules
→ manual line discount → order discount → tax → totals and returns a
[`PricedOrder`][crmcore.pricing.PricedOrder]
whose lines explain every step and whose ``approval_reasons`` list the guardrails crossed.
"""

from crmcore.pricing._book import RuleBook
from crmcore.pricing._catalog import Catalog, Customer, Product, ProductGroup
from crmcore.pricing._engine import PricingEngine
from crmcore.pricing._policy import CashRounding, DiscountAuthority, PricingPolicy, RoundingMode
from crmcore.pricing._price_lists import PriceBreak, PriceList, PriceListItem
from crmcore.pricing._reorder import reorder
from crmcore.pricing._request import (
    AmountOff,
    LineDiscount,
    LineRequest,
    OrderDiscount,
    OrderRequest,
    PercentOff,
    TargetTotal,
    UnitAmountOff,
)
from crmcore.pricing._result import (
    ApprovalReason,
    PricedLine,
    PricedOrder,
    RuleNotApplied,
    WaterfallStep,
)
from crmcore.pricing._rules import (
    DiscountPercent,
    DiscountPerUnit,
    Effect,
    FixedUnitPrice,
    FreeItems,
    PriceRule,
    RuleConditions,
    RuleSelector,
    Tier,
    TierMode,
    VolumeTiers,
)
from crmcore.pricing._serialization import configure_converter

__all__ = [
    "AmountOff",
    "ApprovalReason",
    "CashRounding",
    "Catalog",
    "Customer",
    "DiscountAuthority",
    "DiscountPerUnit",
    "DiscountPercent",
    "Effect",
    "FixedUnitPrice",
    "FreeItems",
    "LineDiscount",
    "LineRequest",
    "OrderDiscount",
    "OrderRequest",
    "PercentOff",
    "PriceBreak",
    "PriceList",
    "PriceListItem",
    "PriceRule",
    "PricedLine",
    "PricedOrder",
    "PricingEngine",
    "PricingPolicy",
    "Product",
    "ProductGroup",
    "RoundingMode",
    "RuleBook",
    "RuleConditions",
    "RuleNotApplied",
    "RuleSelector",
    "TargetTotal",
    "Tier",
    "TierMode",
    "UnitAmountOff",
    "VolumeTiers",
    "WaterfallStep",
    "configure_converter",
    "reorder",
]
