"""The price waterfall: list price → rules → manual → order discount → tax → totals."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Final

import attrs

from crmcore._decimal import CONTEXT, context_class
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.ports import Actor
from crmcore.pricing._book import CandidateFinder, RuleBook
from crmcore.pricing._catalog import Catalog, Customer, Product
from crmcore.pricing._guardrails import approval_reasons
from crmcore.pricing._policy import PricingPolicy
from crmcore.pricing._price_lists import PriceList
from crmcore.pricing._request import (
    AmountOff,
    LineRequest,
    OrderRequest,
    PercentOff,
    TargetTotal,
    UnitAmountOff,
)
from crmcore.pricing._result import PricedLine, PricedOrder, RuleNotApplied, WaterfallStep
from crmcore.pricing._rules import (
    SKU_SPECIFICITY,
    DiscountPercent,
    DiscountPerUnit,
    Effect,
    FixedUnitPrice,
    FreeItems,
    PriceRule,
    TierMode,
    VolumeTiers,
)

__all__ = ["PricingEngine"]

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_HUNDRED: Final = Decimal(100)
_PERCENT_PLACES: Final = Decimal("0.01")
_MUL = CONTEXT.multiply
_DIV = CONTEXT.divide
_SUB = CONTEXT.subtract


def _rule_book(value: RuleBook | Iterable[PriceRule]) -> RuleBook:
    return value if isinstance(value, RuleBook) else RuleBook(value)


@attrs.define(slots=True)
class _Line:
    """The working state of one line while the waterfall runs."""

    index: int
    sku: str
    product: Product
    quantity: Decimal
    price_list: PriceList
    list_unit: Decimal
    list_amount: Decimal
    amount: Decimal
    steps: list[WaterfallStep]
    not_applied: list[RuleNotApplied] = attrs.Factory(list)
    not_applied_omitted: int = 0
    applied: list[str] = attrs.Factory(list)
    request: LineRequest | None = None
    free_units: Decimal = _ZERO
    rounded: Decimal = _ZERO
    share: Decimal = _ZERO
    rule_amount: Decimal = _ZERO

    @property
    def generated(self) -> bool:
        return self.request is None


def _price_lists(value: Iterable[PriceList]) -> tuple[PriceList, ...]:
    return tuple(value)


@context_class
@attrs.frozen
class PricingEngine:
    """Prices orders against a catalog, price lists, a rule book and a policy.

    Pricing is a pure function of the request: the same request always gives the same
    result, and changing a line and pricing again re-evaluates every rule.
    """

    catalog: Catalog
    price_lists: tuple[PriceList, ...] = attrs.field(converter=_price_lists)
    rules: RuleBook = attrs.field(factory=RuleBook, converter=_rule_book)
    policy: PricingPolicy = attrs.field(factory=PricingPolicy)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for i, plist in enumerate(self.price_lists):
            if plist.id in seen:
                raise ValidationError(f"price_lists[{i}].id: duplicate price list {plist.id!r}")
            seen.add(plist.id)
        for rule in self.rules.rules:
            effect = rule.effect
            if (
                isinstance(effect, FreeItems)
                and effect.sku is not None
                and self.catalog.product(effect.sku) is None
            ):
                raise ValidationError(
                    f"rule {rule.id!r}: free items of unknown SKU {effect.sku!r}"
                )

    # -- the waterfall ------------------------------------------------------------------------
    def price(
        self, request: OrderRequest, actor: Actor | None = None, *, explain: bool = False
    ) -> PricedOrder:
        """Price ``request``; ``actor`` (else ``request.roles``) sets the discount authority.

        Each line lists the rules that were candidates on the order's date but did not apply
        (lost, or failed a quantity, amount or currency condition), the first
        ``policy.not_applied_shown`` of them and the count of the rest. With ``explain`` every
        rule that selects the line and the customer is considered whatever its validity
        window, so rules out of their window are listed too, and nothing is left out: the
        prices are the same, only the explanation is longer (and slower to build).

        Raises ValidationError naming the line and value for bad input; never for a guardrail
        (those become ``approval_reasons``).
        """
        if not isinstance(request, OrderRequest):
            raise ValidationError(
                f"request: expected an OrderRequest, got {type(request).__name__} {request!r}"
            )
        currency = request.currency
        customer = self._customer(request)
        lists = self._lists_for(request, customer)
        lines = [self._start(i, line, lists, currency) for i, line in enumerate(request.lines)]
        inclusive = self._basis(lines)
        order_list = Money(sum((w.list_amount for w in lines), _ZERO), currency)
        grants: list[tuple[PriceRule, _Line, Decimal]] = []
        finder = self.rules.finder(customer, request.codes)
        for work in lines:
            self._apply_rules(work, finder, request, order_list, grants, explain)
        for rule, source, units in grants:
            self._grant(rule, source, units, lines, lists, currency)
        for work in lines:
            work.rule_amount = work.amount
            if work.request is not None:
                _manual(work, work.request, currency)
            _round(work, currency)
        discount = self._order_discount(request, lines, currency)
        priced = [self._finish(w, currency, inclusive) for w in lines]
        return self._totals(request, priced, lines, discount, actor, inclusive)

    def _customer(self, request: OrderRequest) -> Customer:
        if isinstance(request.customer, Customer):
            return request.customer
        customer = self.catalog.customer(request.customer)
        if customer is None:
            raise ValidationError(f"customer: unknown customer {request.customer!r}")
        return customer

    def _lists_for(self, request: OrderRequest, customer: Customer) -> list[PriceList]:
        applicable: list[tuple[int, int, str, PriceList]] = []
        for plist in self.price_lists:
            level = plist.level_for(customer)
            if level is not None and plist.is_valid_on(request.on):
                applicable.append((level, -plist.priority, plist.id, plist))
        applicable.sort(key=lambda entry: entry[:3])
        in_currency = [e[3] for e in applicable if e[3].currency == request.currency]
        if applicable and not in_currency and request.lines:
            others = ", ".join(f"{e[3].id} ({e[3].currency})" for e in applicable)
            raise ValidationError(
                f"currency: {request.currency} differs from every price list applicable to "
                f"customer {customer.id!r} on {request.on}: {others}"
            )
        return in_currency

    def _start(
        self, index: int, line: LineRequest, lists: list[PriceList], currency: Currency
    ) -> _Line:
        where = f"lines[{index}]"
        if line.quantity <= 0:
            raise ValidationError(
                f"{where}.quantity: must be > 0, got {line.quantity} (SKU {line.sku!r})"
            )
        product = self.catalog.product(line.sku)
        if product is None:
            raise ValidationError(f"{where}.sku: unknown SKU {line.sku!r}")
        if line.unit_price is not None and line.line_amount is not None:
            raise ValidationError(
                f"{where}: give unit_price {line.unit_price} or line_amount "
                f"{line.line_amount}, not both"
            )
        money_fields = (
            ("unit_price", line.unit_price),
            ("line_amount", line.line_amount),
            ("discount.amount", line.discount.amount)
            if isinstance(line.discount, UnitAmountOff)
            else ("discount", None),
        )
        for name, money in money_fields:
            if money is not None and money.currency != currency:
                raise ValidationError(f"{where}.{name}: {money} is not in {currency}")
        plist, unit = _resolve(line.sku, line.quantity, lists, where)
        return _new_line(index, line.sku, product, line.quantity, plist, unit, line)

    @staticmethod
    def _basis(lines: list[_Line]) -> bool:
        if not lines:
            return False
        first = lines[0]
        for work in lines[1:]:
            if work.price_list.tax_inclusive != first.price_list.tax_inclusive:
                raise ValidationError(
                    f"lines[{work.index}]: price list {work.price_list.id!r} and price list "
                    f"{first.price_list.id!r} of lines[0] differ in tax_inclusive; one order "
                    "must be priced on one basis"
                )
        return first.price_list.tax_inclusive

    # -- rules --------------------------------------------------------------------------------
    def _apply_rules(
        self,
        work: _Line,
        finder: CandidateFinder,
        request: OrderRequest,
        order_list: Money,
        grants: list[tuple[PriceRule, _Line, Decimal]],
        explain: bool,
    ) -> None:
        lineage = self.catalog.lineage(work.product.group)
        candidates = finder.candidates(work.sku, lineage, None if explain else request.on)
        if not candidates:
            return
        currency = request.currency
        line_list = Money(work.list_amount, currency)
        failed: list[RuleNotApplied] = []
        matched: list[tuple[int, int, str, PriceRule]] = []
        for _, rule, specificity in candidates:
            reason: str | None
            if rule.currency is not None and rule.currency != currency.code:
                reason = f"amounts in {rule.currency}, order in {currency}"
            else:
                reason = rule.conditions.failure(work.quantity, line_list, order_list, request.on)
            if reason is not None:
                failed.append(RuleNotApplied(rule.id, reason))
            else:
                matched.append((-rule.priority, -specificity, rule.id, rule))
        matched.sort(key=lambda entry: entry[:3])
        winner: tuple[int, int, str, PriceRule] | None = None
        stacked: list[PriceRule] = []
        lost: list[tuple[int, int, str, PriceRule]] = []
        for entry in matched:
            rule = entry[3]
            if rule.stackable:
                stacked.append(rule)
            elif winner is None:
                winner = entry
            else:
                lost.append(entry)
        self._not_applied(work, failed, lost, winner, explain)
        chosen = ([winner[3]] if winner is not None else []) + stacked
        for rule in chosen:
            self._apply_effect(work, rule, currency, grants)

    def _not_applied(
        self,
        work: _Line,
        failed: list[RuleNotApplied],
        lost: list[tuple[int, int, str, PriceRule]],
        winner: tuple[int, int, str, PriceRule] | None,
        explain: bool,
    ) -> None:
        """Record the failed rules, then the losers in rank order: the first
        ``policy.not_applied_shown`` (all with ``explain``), and how many more there were."""
        shown = len(failed) + len(lost) if explain else self.policy.not_applied_shown
        work.not_applied = failed[:shown]
        room = shown - len(work.not_applied)
        if winner is not None and room > 0:
            work.not_applied.extend(
                RuleNotApplied(entry[3].id, _lost(entry, winner)) for entry in lost[:room]
            )
        work.not_applied_omitted = len(failed) + len(lost) - len(work.not_applied)

    @staticmethod
    def _apply_effect(
        work: _Line,
        rule: PriceRule,
        currency: Currency,
        grants: list[tuple[PriceRule, _Line, Decimal]],
    ) -> None:
        effect = rule.effect
        before = work.amount
        description = rule.effect_text
        if isinstance(effect, FreeItems):
            units = effect.free_units(work.quantity)
            if effect.sku is not None:
                if units > 0:
                    grants.append((rule, work, units))
                    description += f": earns {units} free"
                else:
                    description += ": earns none yet"
            else:
                units = min(units, work.quantity - work.free_units)
                description += f": {units} free"
                after = _remove_units(before, work.quantity - work.free_units, units)
                work.free_units += units
                work.amount = after
        else:
            work.amount = _effect_amount(effect, before, work.quantity)
        work.applied.append(rule.id)
        work.steps.append(
            WaterfallStep(
                "rule",
                rule.id,
                rule.description or description,
                Money(before, currency),
                Money(work.amount, currency),
            )
        )

    def _grant(
        self,
        rule: PriceRule,
        source: _Line,
        units: Decimal,
        lines: list[_Line],
        lists: list[PriceList],
        currency: Currency,
    ) -> None:
        effect = rule.effect
        assert isinstance(effect, FreeItems)
        assert effect.sku is not None
        remaining = units
        for work in lines:
            if remaining <= 0:
                break
            if work.sku != effect.sku or work.generated:
                continue
            paid = work.quantity - work.free_units
            take = min(remaining, paid)
            if take <= 0:
                continue
            before = work.amount
            work.amount = _remove_units(before, paid, take)
            work.free_units += take
            remaining -= take
            work.applied.append(rule.id)
            work.steps.append(
                WaterfallStep(
                    "rule",
                    rule.id,
                    f"{take} free for buying {source.sku} (line {source.index})",
                    Money(before, currency),
                    Money(work.amount, currency),
                )
            )
        if remaining > 0:
            product = self.catalog.product(effect.sku)
            assert product is not None
            where = f"rule {rule.id!r} (free {effect.sku!r})"
            plist, unit = _resolve(effect.sku, remaining, lists, where)
            work = _new_line(len(lines), effect.sku, product, remaining, plist, unit, None)
            work.free_units = remaining
            work.amount = _ZERO
            work.applied.append(rule.id)
            work.steps.append(
                WaterfallStep(
                    "rule",
                    rule.id,
                    f"{remaining} free for buying {source.sku} (line {source.index})",
                    Money(work.list_amount, currency),
                    Money(_ZERO, currency),
                )
            )
            lines.append(work)

    # -- order discount -----------------------------------------------------------------------
    def _order_discount(
        self, request: OrderRequest, lines: list[_Line], currency: Currency
    ) -> Decimal:
        discount = request.order_discount
        if discount is None:
            return _ZERO
        targets = [w for w in lines if _discountable(w) and w.rounded > 0]
        pool = sum((w.rounded for w in targets), _ZERO)
        quantum = currency.quantum
        if isinstance(discount, PercentOff):
            amount = _MUL(pool, discount.percent.fraction).quantize(quantum, ROUND_HALF_UP)
        else:
            stated = discount.amount if isinstance(discount, AmountOff) else discount.total
            if stated.currency != currency:
                raise ValidationError(f"order_discount: {stated} is not in {currency}")
            amount = self._amount_of(discount, lines, pool, currency)
        if amount > 0:
            shares = Money(amount, currency).allocate([w.rounded for w in targets])
            for work, share in zip(targets, shares, strict=True):
                work.share = share.amount
        return amount

    @staticmethod
    def _amount_of(
        discount: AmountOff | TargetTotal, lines: list[_Line], pool: Decimal, currency: Currency
    ) -> Decimal:
        if isinstance(discount, AmountOff):
            amount = discount.amount.round().amount
            if amount > pool:
                raise ValidationError(
                    f"order_discount: {discount.amount} is more than the discountable amount "
                    f"{Money(pool, currency)}"
                )
            return amount
        target = discount.total
        if not target.is_rounded:
            raise ValidationError(
                f"order_discount: target total {target} has digits below the {currency} minor unit"
            )
        undiscounted = sum((w.rounded for w in lines), _ZERO)
        if target.amount > undiscounted:
            raise ValidationError(
                f"order_discount: target total {target} is above the undiscounted total "
                f"{Money(undiscounted, currency)}"
            )
        amount = undiscounted - target.amount
        if amount > pool:
            fixed = Money(undiscounted - pool, currency)
            raise ValidationError(
                f"order_discount: target total {target} is below {fixed}, what the lines that "
                "may not be discounted cost"
            )
        return amount

    # -- tax and totals -----------------------------------------------------------------------
    def _finish(self, work: _Line, currency: Currency, inclusive: bool) -> PricedLine:
        quantum = currency.quantum
        rate = work.product.tax_rate
        if rate is None:
            rate = self.policy.default_tax_rate
        payable = work.rounded - work.share
        steps = work.steps
        if work.share:
            steps.append(
                WaterfallStep(
                    "order_discount",
                    "",
                    f"share of the order discount {Money(work.share, currency)}",
                    Money(work.rounded, currency),
                    Money(payable, currency),
                )
            )
        if inclusive:
            tax = _DIV(_MUL(payable, rate.value), _HUNDRED + rate.value).quantize(
                quantum, ROUND_HALF_UP
            )
            net = payable - tax
            total = payable
            tax_text = f"{rate} tax {Money(tax, currency)} included; net {Money(net, currency)}"
        else:
            tax = _MUL(payable, rate.fraction).quantize(quantum, ROUND_HALF_UP)
            net = payable
            total = payable + tax
            tax_text = f"+ {rate} tax {Money(tax, currency)}"
        steps.append(
            WaterfallStep("tax", "", tax_text, Money(payable, currency), Money(total, currency))
        )
        return PricedLine(
            index=work.index,
            sku=work.sku,
            quantity=work.quantity,
            price_list=work.price_list.id,
            list_price=Money(work.list_unit, currency),
            list_amount=Money(work.list_amount, currency).round(),
            unit_price=Money(_DIV(work.amount, work.quantity), currency),
            amount=Money(work.rounded, currency),
            order_discount_share=Money(work.share, currency),
            net_amount=Money(net, currency),
            tax_rate=rate,
            tax=Money(tax, currency),
            total=Money(total, currency),
            tax_inclusive=inclusive,
            discountable=_discountable(work),
            effective_discount=_discount(payable, work.list_amount),
            rule_amount=Money(work.rule_amount, currency),
            discount_beyond_rules=_discount(payable, work.rule_amount),
            explanation=tuple(steps),
            not_applied=tuple(work.not_applied),
            not_applied_omitted=work.not_applied_omitted,
            rules_applied=tuple(work.applied),
            generated=work.generated,
        )

    def _totals(
        self,
        request: OrderRequest,
        priced: list[PricedLine],
        lines: list[_Line],
        discount: Decimal,
        actor: Actor | None,
        inclusive: bool,
    ) -> PricedOrder:
        currency = request.currency
        subtotal = sum((w.rounded for w in lines), _ZERO)
        net_total = sum((p.net_amount.amount for p in priced), _ZERO)
        tax_total = sum((p.tax.amount for p in priced), _ZERO)
        before = Money(net_total + tax_total, currency)
        rounding = self.policy.cash_rounding
        adjustment = (
            rounding.adjustment(before) if rounding is not None else Money.zero(currency).round()
        )
        sold = [w for w in lines if not w.generated]
        payable = sum((w.rounded - w.share for w in sold), _ZERO)
        listed = sum((w.list_amount for w in sold), _ZERO)
        after_rules = sum((w.rule_amount for w in sold), _ZERO)
        order_discount = _discount(payable, listed)
        beyond_rules = _discount(payable, after_rules)
        roles = actor.roles if actor is not None else request.roles
        checked = beyond_rules if self.policy.authority_excludes_rules else order_discount
        reasons = approval_reasons(priced, checked, self.policy, roles, self.catalog)
        return PricedOrder(
            request=request,
            lines=tuple(priced),
            subtotal=Money(subtotal, currency),
            order_discount=Money(discount, currency).round(),
            net_total=Money(net_total, currency),
            tax_total=Money(tax_total, currency),
            rounding_adjustment=adjustment,
            grand_total=before + adjustment,
            effective_discount=order_discount,
            approval_reasons=reasons,
            tax_inclusive=inclusive,
            discount_beyond_rules=beyond_rules,
        )


# -- helpers ----------------------------------------------------------------------------------
def _new_line(
    index: int,
    sku: str,
    product: Product,
    quantity: Decimal,
    plist: PriceList,
    unit: Decimal,
    request: LineRequest | None,
) -> _Line:
    list_amount = _MUL(unit, quantity)
    currency = plist.currency
    shown = Money(unit, currency)
    if shown.is_rounded:
        shown = shown.round()
    step = WaterfallStep(
        "price_list",
        plist.id,
        f"list price {shown} × {quantity}",
        Money(list_amount, currency),
        Money(list_amount, currency),
    )
    return _Line(
        index=index,
        sku=sku,
        product=product,
        quantity=quantity,
        price_list=plist,
        list_unit=unit,
        list_amount=list_amount,
        amount=list_amount,
        steps=[step],
        request=request,
    )


def _resolve(
    sku: str, quantity: Decimal, lists: list[PriceList], where: str
) -> tuple[PriceList, Decimal]:
    for plist in lists:
        item = plist.item(sku)
        if item is not None:
            return plist, item.unit_price_for(quantity)
    searched = ", ".join(p.id for p in lists) or "none applicable"
    raise ValidationError(
        f"{where}.sku: no price for {sku!r} in the price lists searched: {searched}"
    )


def _lost(entry: tuple[int, int, str, PriceRule], winner: tuple[int, int, str, PriceRule]) -> str:
    rule, best = entry[3], winner[3]
    if rule.priority != best.priority:
        why = f"priority {rule.priority} < {best.priority}"
    elif entry[1] != winner[1]:
        mine, theirs = _specificity(-entry[1]), _specificity(-winner[1])
        why = f"same priority, less specific selector ({mine} vs {theirs})"
    else:
        why = "same priority and specificity, id sorts after"
    return f"lost to rule {best.id} ({why})"


def _specificity(value: int) -> str:
    if value == SKU_SPECIFICITY:
        return "SKU"
    if value == 0:
        return "all products"
    return f"group at depth {value}"


def _effect_amount(effect: Effect, amount: Decimal, quantity: Decimal) -> Decimal:
    if isinstance(effect, DiscountPercent):
        return _MUL(amount, _ONE - effect.percent.fraction)
    if isinstance(effect, DiscountPerUnit):
        return max(_ZERO, _SUB(amount, _MUL(effect.amount.amount, quantity)))
    if isinstance(effect, FixedUnitPrice):
        return _MUL(effect.price.amount, quantity)
    assert isinstance(effect, VolumeTiers)
    return _tiers_amount(effect, amount, quantity)


def _tiers_amount(effect: VolumeTiers, amount: Decimal, quantity: Decimal) -> Decimal:
    tiers = effect.tiers
    if effect.mode is TierMode.RANGE:
        reached = [t for t in tiers if t.min_quantity <= quantity]
        if not reached:
            return amount
        tier = reached[-1]
        if tier.percent_off is not None:
            return _MUL(amount, _ONE - tier.percent_off.fraction)
        assert tier.unit_price is not None
        return _MUL(tier.unit_price.amount, quantity)
    # Slab: unit n is the slice (n-1, n], so a tier from m holds the slices from m - 1 up to
    # the next tier's start - 1, clipped to (0, quantity]: a tier from 1 or less starts at 0.
    # The units below the first tier keep the running price.
    bounds = [_clip(t.min_quantity - 1, quantity) for t in tiers] + [quantity]
    total = _DIV(_MUL(amount, bounds[0]), quantity)
    for tier, start, end in zip(tiers, bounds, bounds[1:], strict=False):
        units = end - start
        if units <= 0:
            break
        if tier.percent_off is not None:
            part = _DIV(_MUL(_MUL(amount, units), _ONE - tier.percent_off.fraction), quantity)
        else:
            assert tier.unit_price is not None
            part = _MUL(tier.unit_price.amount, units)
        total = CONTEXT.add(total, part)
    return total


def _clip(value: Decimal, quantity: Decimal) -> Decimal:
    """``value`` held within [0, quantity]."""
    return min(max(value, _ZERO), quantity)


def _remove_units(amount: Decimal, paid: Decimal, units: Decimal) -> Decimal:
    """The amount once ``units`` of the ``paid`` units become free."""
    if units >= paid:
        return _ZERO
    return _DIV(_MUL(amount, paid - units), paid)


def _manual(work: _Line, line: LineRequest, currency: Currency) -> None:
    where = f"lines[{work.index}]"
    before = work.amount
    if line.line_amount is not None:
        work.amount = line.line_amount.amount
        _manual_step(work, f"line amount set to {line.line_amount}", before, currency)
    elif line.unit_price is not None:
        work.amount = _MUL(line.unit_price.amount, work.quantity)
        _manual_step(work, f"unit price set to {line.unit_price}", before, currency)
    discount = line.discount
    if discount is None:
        return
    before = work.amount
    if isinstance(discount, PercentOff):
        work.amount = _MUL(before, _ONE - discount.percent.fraction)
    else:
        # Units a rule made free cost nothing already: the discount comes off the paid units,
        # unless an override replaced the rules' price (free units included).
        overridden = line.line_amount is not None or line.unit_price is not None
        paid = work.quantity if overridden else work.quantity - work.free_units
        off = _MUL(discount.amount.amount, paid)
        if off > before:
            unit = Money(_DIV(before, paid), currency)
            raise ValidationError(
                f"{where}.discount: {discount.amount} off per unit is more than the unit "
                f"price {unit} (SKU {work.sku!r})"
            )
        work.amount = before - off
    _manual_step(work, discount.describe(), before, currency)


def _manual_step(work: _Line, text: str, before: Decimal, currency: Currency) -> None:
    work.steps.append(
        WaterfallStep("manual", "", text, Money(before, currency), Money(work.amount, currency))
    )


def _round(work: _Line, currency: Currency) -> None:
    work.rounded = work.amount.quantize(currency.quantum, ROUND_HALF_UP, CONTEXT)
    if work.rounded != work.amount:
        work.steps.append(
            WaterfallStep(
                "rounding",
                "",
                f"line amount rounded once to {currency.quantum} (half up)",
                Money(work.amount, currency),
                Money(work.rounded, currency),
            )
        )


def _discountable(work: _Line) -> bool:
    return work.product.discountable and not work.generated


def _discount(payable: Decimal, listed: Decimal) -> Percent:
    """1 − payable / listed, as a Percent rounded up to 0.01 % (0 when nothing is listed)."""
    if listed <= 0:
        return Percent(_ZERO)
    value = _MUL(_HUNDRED, _ONE - _DIV(payable, listed))
    return Percent(value.quantize(_PERCENT_PLACES, ROUND_UP, CONTEXT))
