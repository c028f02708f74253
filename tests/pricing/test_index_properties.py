"""The rule index changes nothing: over random rule books, pricing through the index equals
pricing with a brute-force scan of the whole book, explanations included."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.money import Percent
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountPercent,
    OrderRequest,
    PriceRule,
    PricingEngine,
    PricingPolicy,
    RuleBook,
    RuleConditions,
    RuleSelector,
)
from crmcore.pricing._book import CandidateFinder
from crmcore.pricing._index import Candidate, RuleIndex
from crmcore.pricing._rules import SKU_SPECIFICITY
from tests.pricing.pricing_helpers import ON, catalog, default_list, order

SKUS = ["DRILL", "SAW", "HAMMER", "SCREW", "SETUP", "BIT"]
GROUPS = ["tools", "power", "hand", "fasteners", "nowhere"]
CUSTOMERS = ["acme", "bolt", "walkin"]
DAYS = [ON + timedelta(days=d) for d in range(-3, 4)]


def _scan(
    rules: tuple[PriceRule, ...],
    sku: str,
    lineage: tuple[tuple[str, int], ...],
    customer: Customer,
    codes: frozenset[str],
    on: date | None,
) -> list[Candidate]:
    """The reference: every rule of the book checked one by one, in book order."""
    depth = dict(lineage)
    found: list[Candidate] = []
    for position, rule in enumerate(rules):
        selector, window = rule.selector, rule.conditions
        if sku in selector.skus:
            specificity = SKU_SPECIFICITY
        elif any(g in depth for g in selector.groups):
            specificity = max(depth[g] for g in selector.groups if g in depth)
        elif not selector.skus and not selector.groups:
            specificity = 0
        else:
            continue
        if not selector.matches_customer(customer, codes):
            continue
        if on is not None and (
            (window.valid_from is not None and on < window.valid_from)
            or (window.valid_to is not None and on > window.valid_to)
        ):
            continue
        found.append((position, rule, specificity))
    return found


class _ScanFinder(CandidateFinder):
    def __init__(self, rules: tuple[PriceRule, ...], customer: Customer, codes: frozenset[str]):
        super().__init__(RuleIndex(()), customer, codes)
        self._rules = rules

    def candidates(
        self, sku: str, lineage: tuple[tuple[str, int], ...], on: date | None
    ) -> list[Candidate]:
        return _scan(self._rules, sku, lineage, self._customer, self._codes, on)


class _ScannedBook(RuleBook):
    """A book that finds candidates by scanning every rule: the unindexed path."""

    def finder(self, customer: Customer, codes: frozenset[str]) -> CandidateFinder:
        return _ScanFinder(self.rules, customer, codes)


def _subset(values: list[str]) -> st.SearchStrategy[set[str]]:
    return st.sets(st.sampled_from(values), max_size=2)


def _rarely(values: list[str]) -> st.SearchStrategy[set[str]]:
    """Mostly empty (any customer), else one or two values: most rules reach some orders."""
    return st.one_of(st.just(set()), st.just(set()), st.just(set()), _subset(values))


@st.composite
def _rule(draw: st.DrawFn, n: int) -> PriceRule:
    start = draw(st.none() | st.sampled_from(DAYS))
    length = draw(st.integers(0, 4))
    end = draw(st.none() | st.just((start or DAYS[0]) + timedelta(days=length)) | st.just(DAYS[1]))
    return PriceRule(
        f"r{n:03d}",
        DiscountPercent(Percent(draw(st.integers(1, 30)))),
        RuleSelector(
            skus=draw(_rarely(SKUS)),
            groups=draw(_rarely(GROUPS)),
            customers=draw(_rarely(CUSTOMERS)),
            customer_groups=draw(_rarely(["gold", "silver", "bronze"])),
            regions=draw(_rarely(["east", "west", "north"])),
            customer_tags=draw(_rarely(["key-account", "new"])),
            codes=draw(_rarely(["SPRING", "VIP"])),
        ),
        RuleConditions(
            min_quantity=draw(st.none() | st.integers(1, 4)),
            # an empty window (to before from) is refused when a rule loads (issue 15)
            valid_from=start if start is None or end is None else min(start, end),
            valid_to=end if start is None or end is None else max(start, end),
        ),
        priority=draw(st.integers(0, 2)),
        stackable=draw(st.booleans()),
    )


@st.composite
def _book(draw: st.DrawFn) -> list[PriceRule]:
    size = draw(st.integers(0, 16))
    return [draw(_rule(n)) for n in range(size)]


@st.composite
def _request(draw: st.DrawFn) -> OrderRequest:
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=4))
    return order(
        *((sku, draw(st.integers(1, 5))) for sku in skus),
        customer=draw(st.sampled_from(CUSTOMERS)),
        on=draw(st.sampled_from(DAYS)),
        codes=draw(_subset(["SPRING", "VIP", "OTHER"])),
    )


def _engines(rules: list[PriceRule], shown: int) -> tuple[PricingEngine, PricingEngine]:
    policy = PricingPolicy(not_applied_shown=shown)
    things: Catalog = catalog()
    indexed = PricingEngine(things, [default_list()], RuleBook(rules), policy)
    scanned = PricingEngine(things, [default_list()], _ScannedBook(rules), policy)
    return indexed, scanned


@settings(max_examples=150)
@given(rules=_book(), request=_request(), shown=st.integers(0, 4), explain=st.booleans())
def test_indexed_pricing_equals_a_scan_of_the_whole_book(
    rules: list[PriceRule], request: OrderRequest, shown: int, explain: bool
) -> None:
    indexed, scanned = _engines(rules, shown)
    assert indexed.price(request, explain=explain) == scanned.price(request, explain=explain)


@given(rules=_book(), request=_request())
def test_an_explanation_changes_no_figure_and_omits_nothing(
    rules: list[PriceRule], request: OrderRequest
) -> None:
    indexed, _ = _engines(rules, 2)
    priced, explained = indexed.price(request), indexed.price(request, explain=True)
    for line, full in zip(priced.lines, explained.lines, strict=True):
        assert line.explanation == full.explanation
        assert line.rules_applied == full.rules_applied
        assert full.not_applied_omitted == 0
        assert len(line.not_applied) + line.not_applied_omitted <= len(full.not_applied)
    assert priced.grand_total == explained.grand_total
    assert priced.approval_reasons == explained.approval_reasons


def test_the_scan_reference_sees_a_window_rule_on_its_days_only() -> None:
    rule = PriceRule(
        "week",
        DiscountPercent(Percent(10)),
        RuleSelector(groups={"tools"}),
        RuleConditions(valid_from=DAYS[2], valid_to=DAYS[4]),
    )
    acme = catalog().customer("acme")
    assert acme is not None
    lineage = catalog().lineage("power")
    found = [bool(_scan((rule,), "DRILL", lineage, acme, frozenset(), day)) for day in DAYS]
    assert found == [False, False, True, True, True, False, False]
    assert _scan((rule,), "DRILL", lineage, acme, frozenset(), None)[0][2] == 1
