"""The distribution of the closed-won amount: exact dynamic programming or seeded Monte Carlo.

Each open opportunity is an independent win with its probability (the override, else its
stage's). **Exact**: amounts are bucketed to ``resolution`` (each rounded half up to a whole
number of buckets) and the distribution of the sum is built one deal at a time with integer
weights over a common integer denominator — so the probabilities are exact Fractions and sum
to exactly 1. The mean of that distribution equals the weighted forecast exactly when every
amount is a multiple of the resolution — which the default resolution, the greatest common
divisor of the amounts, guarantees; ``expected_value`` is always the exact weighted
forecast, computed from the unbucketed amounts. Cost: O(deals × buckets).
**Monte Carlo**: ``trials`` draws from ``random.Random(seed)`` (no global random state) of
the exact amounts; the empirical probabilities are Fractions count / trials (sum exactly 1).
Quantiles: P(q) is the smallest amount whose cumulative probability is at least q.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import accumulate
from typing import Any, Final, Literal

import attrs

from crmcore._decimal import CONTEXT, scale_to_integers, to_decimal
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast._process import SalesProcess
from crmcore.forecast._records import OpportunityRecord, OpportunityStatus, Period, period_label
from crmcore.forecast._tables import Record, ResultTable
from crmcore.forecast._weighted import EXACT
from crmcore.money import Currency, Money, get_currency

__all__ = ["OutcomeDistribution", "outcome_distribution"]

_HUNDRED: Final = Decimal(100)
_QUARTILES: Final = (Fraction(1, 10), Fraction(1, 2), Fraction(9, 10))


def _grouping(label: str) -> Period:
    return Period.QUARTER if "Q" in label else Period.MONTH


def _open_deals(
    records: Iterable[OpportunityRecord],
    process: SalesProcess,
    currency: Currency | None,
    rates: Mapping[str, Any] | None,
    period: str | None,
    missing: list[int],
) -> Iterator[tuple[Decimal, Decimal, Currency]]:
    """(amount, probability in percent, currency) of each open record in ``period``."""
    grouping = None if period is None else _grouping(period)
    converted = {
        get_currency(c).code: to_decimal(r, f"rates[{c}]: ") for c, r in (rates or {}).items()
    }
    for record in records:
        if record.status is not OpportunityStatus.OPEN:
            continue
        if not process.has_stage(record.stage):
            raise ValidationError(
                f"opportunity {record.id!r}: unknown stage {record.stage!r} (sales process "
                f"{process.id!r} has stages {', '.join(process.stage_names)})"
            )
        if grouping is not None:
            if record.expected_close is None:
                missing[0] += 1
                continue
            if period_label(record.expected_close, grouping) != period:
                continue
        money = record.amount
        if currency is None:
            currency = money.currency
        amount = money.amount
        if money.currency != currency:
            code = money.currency.code
            if code not in converted:
                raise CurrencyMismatch(
                    f"opportunity {record.id!r}: amount {money} is not in {currency.code} and "
                    f"no conversion rate for {code} was given"
                )
            amount = EXACT.multiply(amount, converted[code])
        probability = (
            record.probability_override or process.stage(record.stage).probability
        ).value
        yield amount, probability, currency


def outcome_distribution(
    records: Iterable[OpportunityRecord],
    process: SalesProcess,
    *,
    method: Literal["exact", "monte_carlo"] = "exact",
    resolution: Decimal | int | str | None = None,
    seed: int | None = None,
    trials: int = 10_000,
    target: Money | None = None,
    period: str | None = None,
    currency: str | Currency | None = None,
    rates: Mapping[str, Any] | None = None,
    max_buckets: int = 200_000,
) -> OutcomeDistribution:
    """The distribution of the amount the open deals (closing in ``period``) will bring.

    Args:
        method: ``"exact"`` (dynamic programming) or ``"monte_carlo"`` (needs ``seed``).
        resolution: bucket width of the exact method, in currency units (e.g. ``"1000"``);
            None (default): the greatest common divisor of the amounts, so that no amount is
            rounded and the mean is exactly the weighted forecast.
        period: a label like ``"2026-Q1"`` or ``"2026-03"``; deals without a close date are
            counted in ``missing_close_date``. None: every open deal.
        target: report the probability of reaching at least this amount.
        max_buckets: refuse an exact computation wider than this (raise the resolution).
    """
    if method not in ("exact", "monte_carlo"):
        raise ValidationError(f"method: {method!r} must be 'exact' or 'monte_carlo'")
    if resolution is not None:
        step = to_decimal(resolution, "resolution: ")
        if step <= 0:
            raise ValidationError(f"resolution: must be > 0, got {resolution}")
    if method == "monte_carlo":
        if type(seed) is not int:
            raise ValidationError(f"seed: Monte Carlo needs an explicit int seed, got {seed!r}")
        if type(trials) is not int or trials < 1:
            raise ValidationError(f"trials: must be a positive int, got {trials!r}")
    wanted = None if currency is None else get_currency(currency)
    missing = [0]
    deals = list(_open_deals(records, process, wanted, rates, period, missing))
    cur = deals[0][2] if deals else (wanted or (target.currency if target else None))
    if cur is None:
        raise ValidationError("no open opportunity and no currency: pass currency=")
    if target is not None:
        if not isinstance(target, Money):
            raise ValidationError(f"target: expected Money, got {target!r}")
        if target.currency != cur:
            raise CurrencyMismatch(f"target {target} is not in {cur.code}")
    expected = Decimal(0)
    for amount, probability, _ in deals:
        expected = EXACT.add(expected, EXACT.multiply(amount, probability))
    expected = EXACT.divide(expected, _HUNDRED)
    pairs = [(amount, probability) for amount, probability, _ in deals]
    if resolution is None:
        step = _common_divisor([amount for amount, _ in pairs])
    if method == "exact":
        amounts, probabilities = _exact(pairs, step, max_buckets)
    else:
        assert seed is not None
        amounts, probabilities = _monte_carlo(pairs, seed, trials)
    return OutcomeDistribution(
        method=method,
        currency=cur,
        amounts=amounts,
        probabilities=probabilities,
        expected_value=Money(expected, cur),
        target=target,
        opportunities=len(deals),
        resolution=step if method == "exact" else None,
        seed=seed if method == "monte_carlo" else None,
        trials=trials if method == "monte_carlo" else None,
        period=period,
        missing_close_date=missing[0],
    )


def _exact(
    deals: list[tuple[Decimal, Decimal]], step: Decimal, max_buckets: int
) -> tuple[tuple[Decimal, ...], tuple[Fraction, ...]]:
    units: list[int] = []
    for amount, _ in deals:
        units.append(int(CONTEXT.divide(amount, step).quantize(Decimal(1), ROUND_HALF_UP)))
    width = sum(u for u, (_, p) in zip(units, deals, strict=True) if p > 0) + 1
    if width > max_buckets:
        raise ValidationError(
            f"resolution {step}: {width:,} buckets exceed max_buckets {max_buckets:,}; "
            "use a coarser resolution or method='monte_carlo'"
        )
    weights = [1]
    denominator = 1
    for u, (_, percent) in zip(units, deals, strict=True):
        numerator, scale = _as_ratio(percent)
        if numerator == 0:
            continue
        if numerator == scale:
            weights = [0] * u + weights
            continue
        stay = scale - numerator
        if u == 0:
            weights = [w * scale for w in weights]
        else:
            shifted = [0] * u + weights
            weights = [w * stay for w in weights] + [0] * u
            weights = [a + b * numerator for a, b in zip(weights, shifted, strict=True)]
        denominator *= scale
    amounts = []
    probabilities = []
    for s, w in enumerate(weights):
        if w:
            amounts.append(CONTEXT.multiply(Decimal(s), step))
            probabilities.append(Fraction(w, denominator))
    return tuple(amounts), tuple(probabilities)


def _common_divisor(amounts: list[Decimal]) -> Decimal:
    """The largest amount every amount is a whole multiple of (1 when all are zero)."""
    scaled = scale_to_integers([*amounts, Decimal(1)])
    divisor = math.gcd(*scaled[:-1]) or scaled[-1]
    return CONTEXT.divide(Decimal(divisor), Decimal(scaled[-1]))


def _as_ratio(percent: Decimal) -> tuple[int, int]:
    """A percentage as numerator / denominator of a fraction of one (12.5 → 125 / 1000)."""
    sign, digits, exponent = percent.as_tuple()
    assert isinstance(exponent, int)
    assert not sign
    numerator = int("".join(map(str, digits)) or "0")
    scale = 100
    if exponent >= 0:
        numerator *= 10**exponent
    else:
        scale *= 10**-exponent
    return numerator, scale


def _monte_carlo(
    deals: list[tuple[Decimal, Decimal]], seed: int, trials: int
) -> tuple[tuple[Decimal, ...], tuple[Fraction, ...]]:
    rng = random.Random(seed)
    draw = rng.random
    scaled = scale_to_integers([a for a, _ in deals] + [Decimal(1)])
    factor = scaled[-1]
    # The win probability as a float threshold: this is sampling, not money arithmetic.
    chances = [
        (units, float(Fraction(numerator, scale)))
        for units, (_, percent) in zip(scaled, deals, strict=False)
        for numerator, scale in (_as_ratio(percent),)
    ]
    totals: Counter[int] = Counter()
    for _ in range(trials):
        totals[sum(units for units, chance in chances if draw() < chance)] += 1
    ordered = sorted(totals)
    amounts = tuple(CONTEXT.divide(Decimal(t), Decimal(factor)) for t in ordered)
    return amounts, tuple(Fraction(totals[t], trials) for t in ordered)


@attrs.frozen(kw_only=True, repr=False)
class OutcomeDistribution(ResultTable):
    """P(closed-won amount = x) over the outcome amounts ``amounts`` (ascending)."""

    method: str
    currency: Currency
    amounts: tuple[Decimal, ...]
    probabilities: tuple[Fraction, ...]
    #: The exact weighted forecast Σ amount × probability of the same deals.
    expected_value: Money
    target: Money | None = None
    opportunities: int = 0
    resolution: Decimal | None = None
    seed: int | None = None
    trials: int | None = None
    period: str | None = None
    missing_close_date: int = 0

    @property
    def total_probability(self) -> Fraction:
        """Σ probabilities: exactly 1."""
        return sum(self.probabilities, Fraction(0))

    @property
    def mean(self) -> Money:
        """The mean of this distribution (bucketed or sampled); see ``expected_value``."""
        total = sum(
            (Fraction(a) * p for a, p in zip(self.amounts, self.probabilities, strict=True)),
            Fraction(0),
        )
        return Money(
            CONTEXT.divide(Decimal(total.numerator), Decimal(total.denominator)), self.currency
        )

    def quantile(self, q: Fraction | Decimal | str) -> Money:
        """The smallest amount x with P(amount <= x) >= q."""
        level = Fraction(to_decimal(q, "q: ") if not isinstance(q, Fraction) else q)
        if not 0 <= level <= 1:
            raise ValidationError(f"q: must be between 0 and 1, got {q}")
        cumulative = list(accumulate(self.probabilities))
        index = min(bisect_left(cumulative, level), len(self.amounts) - 1)
        return Money(self.amounts[index], self.currency)

    @property
    def p10(self) -> Money:
        """10 % of outcomes are at or below this amount."""
        return self.quantile(_QUARTILES[0])

    @property
    def p50(self) -> Money:
        """The median outcome."""
        return self.quantile(_QUARTILES[1])

    @property
    def p90(self) -> Money:
        """90 % of outcomes are at or below this amount."""
        return self.quantile(_QUARTILES[2])

    def probability_at_least(self, amount: Money) -> Fraction:
        """P(closed-won amount >= ``amount``), exact."""
        if not isinstance(amount, Money) or amount.currency != self.currency:
            raise CurrencyMismatch(f"{amount!r} is not Money in {self.currency.code}")
        start = bisect_left(self.amounts, amount.amount)
        return sum(self.probabilities[start:], Fraction(0))

    @property
    def probability_of_target(self) -> Fraction | None:
        """P(reaching ``target``), or None without a target."""
        return None if self.target is None else self.probability_at_least(self.target)

    def to_records(self) -> list[Record]:
        """One dict per possible amount: probability and cumulative probability (Decimals)."""
        records: list[Record] = []
        cumulative = Fraction(0)
        for amount, probability in zip(self.amounts, self.probabilities, strict=True):
            cumulative += probability
            records.append(
                {
                    "amount": amount,
                    "probability": _decimal(probability),
                    "cumulative": _decimal(cumulative),
                    "currency": self.currency.code,
                }
            )
        return records

    def summary(self) -> Record:
        """The headline figures as one dict."""
        chance = self.probability_of_target
        return {
            "method": self.method,
            "opportunities": self.opportunities,
            "expected_value": self.expected_value.amount,
            "mean": self.mean.amount,
            "p10": self.p10.amount,
            "p50": self.p50.amount,
            "p90": self.p90.amount,
            "target": None if self.target is None else self.target.amount,
            "p_target": None if chance is None else _decimal(chance),
            "currency": self.currency.code,
        }

    def _caption(self) -> str:
        return f"Outcome distribution ({self.method})"


def _decimal(value: Fraction) -> Decimal:
    return CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
