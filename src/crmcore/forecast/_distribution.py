"""The distribution of the closed-won amount: exact DP, FFT convolution, normal approximation
or seeded Monte Carlo — each with its error stated on the result.

Each open opportunity is an independent win with its probability (the override, else its
stage's). **Exact**: amounts are bucketed to ``resolution`` (each rounded half up to a whole
number of buckets) and the distribution of the sum is built one deal at a time with integer
weights over a common integer denominator — so the probabilities are exact Fractions and sum
to exactly 1. The mean of that distribution equals the weighted forecast exactly when every
amount is a multiple of the resolution — which the default resolution, the greatest common
divisor of the amounts, guarantees; ``expected_value`` is always the exact weighted
forecast, computed from the unbucketed amounts. Cost: O(deals × buckets).
**Monte Carlo**: ``trials`` seeded draws (no global random state) of the exact amounts,
vectorised with numpy (PCG64) or drawn by ``random.Random`` (``sampler``); the totals are
exact integers of minor units and the empirical probabilities Fractions count / trials (sum
exactly 1).
**FFT** (``method="fft"``, numpy from the ``arrow`` extra): the same bucketed model,
computed by blockwise DP and FFT convolution in float64 — 10,000 deals in well under a second
at up to 2¹⁸ buckets — then shifted by the exact mean of the rounding so that it is centred
on the real distribution. The resolution adapts: the common divisor of the amounts when that
fits ``max_buckets``, else the smallest round step that does.
**Normal** (``method="normal"``): the central limit theorem with the exact mean and variance;
100,000 deals in milliseconds.
Quantiles: P(q) is the smallest amount whose cumulative probability is at least q.

Error bounds, stated on every result and tested against the exact DP:
``error_bound`` (money): every outcome of the bucketed model is within Σ|amount − bucketed
amount| of the real one (0 when no amount is rounded), so each quantile is too; for FFT the
tightest of that, the centred hard bound and the centred Hoeffding bound (√n·bucket, except
with probability 10⁻⁹ — see ``_bucketing``); 0 for Monte Carlo, whose amounts are exact.
``cdf_error`` (probability): |computed − exact cumulative probability| ≤ this — 0 for the
exact DP, 1e-9 for FFT's float arithmetic (plus 10⁻⁹ when the Hoeffding bound is the one
stated), the Berry–Esseen bound 0.56·Σρᵢ/σ³ for the normal
approximation, and the Dvoretzky–Kiefer–Wolfowitz ε = √(ln(2/0.001)/2n) for Monte Carlo
(which holds with probability 99.9 %). So the reported P(q) lies between the exact
quantiles at q − cdf_error and q + cdf_error, widened by ``error_bound``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from itertools import accumulate
from statistics import NormalDist
from typing import Any, Final, Literal

import attrs

from crmcore._decimal import CONTEXT, scale_to_integers, to_decimal
from crmcore._plots import cdf
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast._bucketing import Centring, centring
from crmcore.forecast._convolution import CDF_ERROR, convolve_deals
from crmcore.forecast._process import ForecastCategory, HasProbabilities, SalesProcess
from crmcore.forecast._records import OpportunityRecord, OpportunityStatus, Period, period_label
from crmcore.forecast._sampling import SAMPLERS, Sampler, default_sampler, sample_totals
from crmcore.forecast._tables import Record, ResultTable, html_table
from crmcore.forecast._weighted import EXACT
from crmcore.money import Currency, Money, Percent, get_currency

__all__ = ["OutcomeDistribution", "outcome_distribution"]

_HUNDRED: Final = Decimal(100)
_QUARTILES: Final = (Fraction(1, 10), Fraction(1, 2), Fraction(9, 10))
#: Approximate probabilities are integer weights over this denominator (2⁶²).
_SCALE: Final = 1 << 62
#: Tail probability left out of the FFT and normal supports on each side.
_TAIL: Final = 1e-15
#: Shevtsova's constant of the Berry–Esseen inequality for independent summands.
_BERRY_ESSEEN: Final = 0.56
#: Points of the normal approximation's grid (records, plots); quantiles are analytic.
_GRID: Final = 401
Method = Literal["exact", "fft", "normal", "monte_carlo"]


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
    """(amount, probability in percent, currency) of each open record in ``period``, in the
    currency asked for, else the one the deals' currencies settle on (``_settled``)."""
    grouping = None if period is None else _grouping(period)
    converted = {
        get_currency(c).code: to_decimal(r, f"rates[{c}]: ") for c, r in (rates or {}).items()
    }
    chances = {stage.name: stage.probability.value for stage in process.stages}
    categories = {stage.name: stage.category for stage in process.stages}
    counted: list[tuple[OpportunityRecord, Decimal]] = []
    for record in records:
        if record.status is not OpportunityStatus.OPEN:
            continue
        if record.stage not in chances:
            raise ValidationError(
                f"opportunity {record.id!r}: unknown stage {record.stage!r} (sales process "
                f"{process.id!r} has stages {', '.join(process.stage_names)})"
            )
        if (record.category or categories[record.stage]) is ForecastCategory.OMITTED:
            continue  # the one definition: an open deal the owner omitted is no win
        if grouping is not None:
            if record.expected_close is None:
                missing[0] += 1
                continue
            if period_label(record.expected_close, grouping) != period:
                continue
        override = record.probability_override
        counted.append((record, chances[record.stage] if override is None else override.value))
    if currency is None and counted:
        currency = _settled({r.amount.currency for r, _ in counted}, converted)
    for record, probability in counted:
        money = record.amount
        assert currency is not None
        amount = money.amount
        if money.currency != currency:
            code = money.currency.code
            if code not in converted:
                raise CurrencyMismatch(
                    f"opportunity {record.id!r}: amount {money} is not in {currency.code} and "
                    f"no conversion rate for {code} was given"
                )
            amount = EXACT.multiply(amount, converted[code])
        yield amount, probability, currency


def _settled(currencies: set[Currency], converted: Mapping[str, Decimal]) -> Currency:
    """The distribution's currency when the caller names none, whatever the records' order:
    the deals' one currency, else the one of theirs the rates do not convert (the currency
    the rates convert into); several candidates: name it."""
    if len(currencies) == 1:
        return next(iter(currencies))
    bases = sorted((c for c in currencies if c.code not in converted), key=lambda c: c.code)
    if len(bases) == 1:
        return bases[0]
    codes = ", ".join(sorted(c.code for c in currencies))
    raise CurrencyMismatch(
        f"the open deals are in {codes}: give conversion rates for all but one of them (the "
        f"currency they convert into) or name the distribution's currency (currency=...)"
    )


def _checked_arguments(
    method: object, resolution: object, seed: object, trials: object
) -> Decimal | None:
    """The bucket width asked for (None: chosen later), after checking every argument."""
    if method not in ("exact", "fft", "normal", "monte_carlo"):
        raise ValidationError(
            f"method: {method!r} must be 'exact', 'fft', 'normal' or 'monte_carlo'"
        )
    step: Decimal | None = None
    if resolution is not None:
        step = to_decimal(resolution, "resolution: ")
        if step <= 0:
            raise ValidationError(f"resolution: must be > 0, got {resolution}")
    if method == "monte_carlo":
        if type(seed) is not int:
            raise ValidationError(f"seed: Monte Carlo needs an explicit int seed, got {seed!r}")
        if type(trials) is not int or trials < 1:
            raise ValidationError(f"trials: must be a positive int, got {trials!r}")
    return step


def _currency_of(
    deals: list[tuple[Decimal, Decimal, Currency]],
    wanted: Currency | None,
    target: Money | None,
) -> Currency:
    """The distribution's currency: the deals', else the one asked for, else the target's."""
    cur = deals[0][2] if deals else (wanted or (target.currency if target else None))
    if cur is None:
        raise ValidationError("no open opportunity and no currency: pass currency=")
    if target is not None:
        if not isinstance(target, Money):
            raise ValidationError(f"target: expected Money, got {target!r}")
        if target.currency != cur:
            raise CurrencyMismatch(f"target {target} is not in {cur.code}")
    return cur


def outcome_distribution(
    records: Iterable[OpportunityRecord],
    process: SalesProcess,
    *,
    method: Method = "exact",
    resolution: Decimal | int | str | None = None,
    seed: int | None = None,
    trials: int = 10_000,
    target: Money | None = None,
    period: str | None = None,
    currency: str | Currency | None = None,
    rates: Mapping[str, Any] | None = None,
    max_buckets: int | None = None,
    probabilities: Mapping[str, Percent] | HasProbabilities | None = None,
    sampler: Sampler | None = None,
) -> OutcomeDistribution:
    """The distribution of the amount the open deals (closing in ``period``) will bring.

    Args:
        method: ``"exact"`` (DP over exact fractions), ``"fft"`` (the same model in float64
            by FFT convolution, fast), ``"normal"`` (CLT approximation, for very many deals)
            or ``"monte_carlo"`` (needs ``seed``).
        resolution: bucket width of the exact and FFT methods, in currency units (e.g.
            ``"1000"``); None: the greatest common divisor of the amounts (nothing rounded),
            or for FFT when that is too fine, the smallest 1/2/5 × 10ⁿ step that fits.
        period: a label like ``"2026-Q1"`` or ``"2026-03"``; deals without a close date are
            counted in ``missing_close_date``. None: every open deal.
        target: report the probability of reaching at least this amount.
        currency: the distribution's currency. None: the open deals' one currency, else the
            one of theirs the ``rates`` do not convert (the currency they convert into),
            whatever the records' order; CurrencyMismatch when that is not one currency.
        rates: conversion rates into the currency (``{"USD": "7"}``: 1 USD = 7 of it).
        max_buckets: refuse an exact computation wider than this (default 200,000); the
            FFT method's width limit (default 2¹⁸).
        probabilities: the stages' win probabilities to use instead of the configured ones
            (the team's calibrated ones, or a mapping stage → Percent).
        sampler: Monte Carlo's random stream: ``"numpy"`` (vectorised, PCG64; the default
            when numpy is installed) or ``"python"`` (``random.Random``). Each is
            reproducible from ``seed``; they draw different streams.
    """
    if probabilities is not None:
        process = process.with_probabilities(probabilities)
    step = _checked_arguments(method, resolution, seed, trials)
    limit = max_buckets if max_buckets is not None else (1 << 18 if method == "fft" else 200_000)
    wanted = None if currency is None else get_currency(currency)
    missing = [0]
    deals = list(_open_deals(records, process, wanted, rates, period, missing))
    cur = _currency_of(deals, wanted, target)
    expected = Decimal(0)
    for amount, probability, _ in deals:
        expected = EXACT.add(expected, EXACT.multiply(amount, probability))
    expected = EXACT.divide(expected, _HUNDRED)
    pairs = [(amount, probability) for amount, probability, _ in deals]
    common: dict[str, Any] = {
        "method": method,
        "currency": cur,
        "expected_value": Money(expected, cur),
        "target": target,
        "opportunities": len(deals),
        "period": period,
        "missing_close_date": missing[0],
    }
    if method == "monte_carlo":
        assert seed is not None
        if sampler is None:
            sampler = default_sampler()
        elif sampler not in SAMPLERS:
            raise ValidationError(f"sampler: {sampler!r} must be 'numpy' or 'python'")
        amounts, weights = _monte_carlo(pairs, seed, trials, sampler)
        epsilon = math.sqrt(math.log(2 / 0.001) / (2 * trials))
        return OutcomeDistribution(
            **common,
            amounts=amounts,
            weights=weights,
            denominator=trials,
            seed=seed,
            trials=trials,
            sampler=sampler,
            error_bound=Money(0, cur),
            cdf_error=Decimal(repr(epsilon)),
        )
    if method == "normal":
        return _normal(pairs, expected, cur, common)
    if step is None:
        step = _common_divisor([amount for amount, _ in pairs])
        if method == "fft":
            step = _fitting_step(pairs, step, limit)
    common["resolution"] = step
    if method == "exact":
        amounts, weights, denominator = _exact(pairs, step, limit)
        return OutcomeDistribution(
            **common,
            amounts=amounts,
            weights=weights,
            denominator=denominator,
            error_bound=Money(_bucketing_error(pairs, step), cur),
        )
    amounts, weights, centred = _fft(pairs, step, limit, cur.quantum)
    return OutcomeDistribution(
        **common,
        amounts=amounts,
        weights=weights,
        denominator=_SCALE,
        error_bound=Money(centred.bound, cur),
        cdf_error=CONTEXT.add(Decimal(repr(CDF_ERROR)), centred.delta),
    )


def _scaled(deals: list[tuple[Decimal, Decimal]], step: Decimal) -> tuple[list[int], int]:
    """The amounts and the step as integers of one common unit (amount = A / F)."""
    scaled = scale_to_integers([*(a for a, _ in deals), step])
    return scaled[:-1], scaled[-1]


class _Buckets:
    """The amounts as integers once (amount = A·10^e), for trying several resolutions fast."""

    def __init__(self, deals: list[tuple[Decimal, Decimal]]) -> None:
        self.deals = deals
        exponents = {a.as_tuple().exponent for a, _ in deals}
        self.exponent = min((e for e in exponents if isinstance(e, int)), default=0)
        self.amounts = [int(a.scaleb(-self.exponent, CONTEXT)) for a, _ in deals]

    def units(self, step: Decimal) -> list[int]:
        """Each amount in whole buckets of ``step``, rounded half up."""
        size = step.scaleb(-self.exponent, CONTEXT)
        if size != size.to_integral_value():
            return _all_units(self.deals, step)
        whole = int(size)
        return [(2 * a + whole) // (2 * whole) for a in self.amounts]

    def width(self, step: Decimal) -> int:
        """Buckets the distribution spans at ``step`` (deals that can win only)."""
        units = self.units(step)
        return sum(u for u, (_, p) in zip(units, self.deals, strict=True) if p > 0) + 1


def _all_units(deals: list[tuple[Decimal, Decimal]], step: Decimal) -> list[int]:
    """Each amount in whole buckets, rounded half up (integer arithmetic)."""
    amounts, size = _scaled(deals, step)
    return [(2 * a + size) // (2 * size) for a in amounts]


def _bucketing_error(deals: list[tuple[Decimal, Decimal]], step: Decimal) -> Decimal:
    """max(Σ rounded down, Σ rounded up) over the deals that can win: a hard bound on how far
    any outcome of the bucketed model is from the real one."""
    amounts, size = _scaled(deals, step)
    up = down = 0
    for a, (_, p) in zip(amounts, deals, strict=True):
        if p > 0:
            error = a - (2 * a + size) // (2 * size) * size
            if error > 0:
                down += error
            else:
                up -= error
    return CONTEXT.multiply(CONTEXT.divide(Decimal(max(up, down)), Decimal(size)), step)


def _fitting_step(deals: list[tuple[Decimal, Decimal]], step: Decimal, limit: int) -> Decimal:
    """``step`` if the width fits ``limit``, else the smallest 1/2/5 × 10ⁿ step that does."""
    buckets = _Buckets(deals)
    if buckets.width(step) <= limit:
        return step
    total = sum((a for a, p in deals if p > 0), Decimal(0))
    exponent = CONTEXT.divide(total, Decimal(limit)).adjusted()
    while True:
        for mantissa in (1, 2, 5):
            candidate = Decimal(mantissa).scaleb(exponent)
            if buckets.width(candidate) <= limit:
                return candidate
        exponent += 1


def _check_width(width: int, step: Decimal, limit: int) -> None:
    if width > limit:
        raise ValidationError(
            f"resolution {step}: {width:,} buckets exceed max_buckets {limit:,}; "
            "use a coarser resolution or method='fft' / 'normal' / 'monte_carlo'"
        )


def _exact(
    deals: list[tuple[Decimal, Decimal]], step: Decimal, max_buckets: int
) -> tuple[tuple[Decimal, ...], tuple[int, ...], int]:
    units = _all_units(deals, step)
    _check_width(
        sum(u for u, (_, p) in zip(units, deals, strict=True) if p > 0) + 1, step, max_buckets
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
    kept = []
    for s, w in enumerate(weights):
        if w:
            amounts.append(CONTEXT.multiply(Decimal(s), step))
            kept.append(w)
    return tuple(amounts), tuple(kept), denominator


def _fft(
    deals: list[tuple[Decimal, Decimal]], step: Decimal, limit: int, quantum: Decimal
) -> tuple[tuple[Decimal, ...], tuple[int, ...], Centring]:
    """The bucketed distribution by FFT, centred on the exact mean (see ``_bucketing``)."""
    live = [(a, p) for a, p in deals if p > 0]
    units = _all_units(live, step)
    _check_width(sum(units) + 1, step, limit)
    ratios: dict[Decimal, tuple[int, int]] = {}
    chances = [ratios.get(p) or ratios.setdefault(p, _as_ratio(p)) for _, p in live]
    centred = centring([a for a, _ in live], chances, step, quantum)
    dist = convolve_deals(units, [n / d for n, d in chances])
    cumulative = dist.cumsum()
    low = int((cumulative < _TAIL).sum())
    high = min(len(dist) - int((cumulative > 1.0 - _TAIL).sum()) + 1, len(dist))
    scaled = (dist[low:high] * _SCALE).round()
    kept = scaled.nonzero()[0]
    shift, multiply, subtract = centred.shift, CONTEXT.multiply, CONTEXT.subtract
    amounts = tuple(subtract(multiply(Decimal(low + int(i)), step), shift) for i in kept)
    weights = tuple(int(w) for w in scaled[kept].tolist())
    return amounts, weights, centred


def _normal(
    deals: list[tuple[Decimal, Decimal]],
    expected: Decimal,
    currency: Currency,
    common: dict[str, Any],
) -> OutcomeDistribution:
    """Mean and variance exact; Berry–Esseen bound; a grid of ``_GRID`` points for display."""
    # Σ A² and Σ A³ per distinct probability, in integers (amount = A / F): exact and fast.
    integers, factor = _scaled(deals, Decimal(1))
    squares: dict[Decimal, int] = {}
    cubes: dict[Decimal, int] = {}
    for a, (_, percent) in zip(integers, deals, strict=True):
        squares[percent] = squares.get(percent, 0) + a * a
        cubes[percent] = cubes.get(percent, 0) + a * a * a
    variance_f = Fraction(0)
    third = 0.0
    for percent, total in squares.items():
        p = Fraction(*_as_ratio(percent))
        variance_f += p * (1 - p) * total
        pf = float(p)
        third += pf * (1 - pf) * (pf * pf + (1 - pf) ** 2) * float(cubes[percent]) / factor**3
    variance = CONTEXT.divide(
        Decimal(variance_f.numerator), Decimal(variance_f.denominator * factor * factor)
    )
    sd = CONTEXT.sqrt(variance)
    bound = 1.0 if not sd else min(1.0, _BERRY_ESSEEN * third / float(sd) ** 3)
    quantum = currency.quantum
    amounts: list[Decimal] = []
    weights: list[int] = []
    if sd:
        law = NormalDist(0.0, 1.0)
        zs = [-8 + 16 * i / (_GRID - 1) for i in range(_GRID)]
        previous = 0.0
        for i, z in enumerate(zs):
            upper = 1.0 if i == _GRID - 1 else law.cdf((z + zs[i + 1]) / 2)
            weight = round((upper - previous) * _SCALE)
            previous = upper
            if weight:
                x = CONTEXT.add(expected, CONTEXT.multiply(sd, Decimal(repr(z))))
                amounts.append(x.quantize(quantum, ROUND_HALF_EVEN, context=CONTEXT))
                weights.append(weight)
    else:
        amounts, weights = [expected], [_SCALE]
    return OutcomeDistribution(
        **common,
        amounts=tuple(amounts),
        weights=tuple(weights),
        denominator=sum(weights),
        normal=(expected, sd),
        cdf_error=Decimal(repr(bound)),
        error_bound=Money(quantum / 2, currency),
    )


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
    deals: list[tuple[Decimal, Decimal]], seed: int, trials: int, sampler: Sampler
) -> tuple[tuple[Decimal, ...], tuple[int, ...]]:
    scaled = scale_to_integers([a for a, _ in deals] + [Decimal(1)])
    factor = scaled[-1]
    # The win probability as a float threshold: this is sampling, not money arithmetic.
    floats: dict[Decimal, float] = {}
    chances = [
        floats.get(p) or floats.setdefault(p, float(Fraction(*_as_ratio(p)))) for _, p in deals
    ]
    totals = sample_totals(scaled[:-1], chances, seed, trials, sampler)
    ordered = sorted(totals)
    amounts = tuple(CONTEXT.divide(Decimal(t), Decimal(factor)) for t in ordered)
    return amounts, tuple(totals[t] for t in ordered)


@attrs.frozen(kw_only=True, repr=False)
class OutcomeDistribution(ResultTable):
    """P(closed-won amount = x) over the outcome amounts ``amounts`` (ascending).

    The probabilities are integer ``weights`` over one ``denominator`` (exact fractions for
    the exact DP and Monte Carlo; float results scaled by 2⁶² for FFT and normal).
    """

    method: str
    currency: Currency
    amounts: tuple[Decimal, ...]
    weights: tuple[int, ...]
    denominator: int
    #: The exact weighted forecast Σ amount × probability of the same deals.
    expected_value: Money
    target: Money | None = None
    opportunities: int = 0
    resolution: Decimal | None = None
    seed: int | None = None
    trials: int | None = None
    #: Monte Carlo's random stream (``"numpy"`` or ``"python"``).
    sampler: str | None = None
    period: str | None = None
    missing_close_date: int = 0
    #: Every quantile is within this amount of the model's (bucketing; rounding to cents).
    error_bound: Money | None = None
    #: |computed − exact cumulative probability| ≤ this (see the module docstring).
    cdf_error: Decimal = Decimal(0)
    #: (mean, standard deviation) of the normal approximation, whose quantiles are analytic.
    normal: tuple[Decimal, Decimal] | None = None

    @property
    def probabilities(self) -> tuple[Fraction, ...]:
        """P(amount) for each of ``amounts``."""
        return tuple(Fraction(w, self.denominator) for w in self.weights)

    @property
    def total_probability(self) -> Fraction:
        """Σ probabilities: exactly 1 for the exact DP and Monte Carlo."""
        return Fraction(sum(self.weights), self.denominator)

    @property
    def mean(self) -> Money:
        """The mean of this distribution (bucketed or sampled); see ``expected_value``."""
        if self.normal is not None:
            return Money(self.normal[0], self.currency)
        scaled = scale_to_integers([*self.amounts, Decimal(1)])
        total = sum(a * w for a, w in zip(scaled, self.weights, strict=False))
        return Money(
            CONTEXT.divide(Decimal(total), Decimal(scaled[-1] * self.denominator)),
            self.currency,
        )

    def quantile(self, q: Fraction | Decimal | str) -> Money:
        """The smallest amount x with P(amount <= x) >= q."""
        level = Fraction(to_decimal(q, "q: ") if not isinstance(q, Fraction) else q)
        if not 0 <= level <= 1:
            raise ValidationError(f"q: must be between 0 and 1, got {q}")
        if self.normal is not None and self.normal[1] and 0 < level < 1:
            mean, sd = self.normal
            z = Decimal(repr(NormalDist().inv_cdf(float(level))))
            x = CONTEXT.add(mean, CONTEXT.multiply(sd, z))
            return Money(
                x.quantize(self.currency.quantum, ROUND_HALF_EVEN, CONTEXT), self.currency
            )
        cumulative = list(accumulate(self.weights))
        needed = -(-level.numerator * self.denominator // level.denominator)
        index = min(bisect_left(cumulative, needed), len(self.amounts) - 1)
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
        """P(closed-won amount >= ``amount``) (exact for the exact DP)."""
        if not isinstance(amount, Money) or amount.currency != self.currency:
            raise CurrencyMismatch(f"{amount!r} is not Money in {self.currency.code}")
        if self.normal is not None and self.normal[1]:
            mean, sd = self.normal
            z = float(CONTEXT.divide(CONTEXT.subtract(amount.amount, mean), sd))
            return Fraction(1.0 - NormalDist().cdf(z))
        start = bisect_left(self.amounts, amount.amount)
        return Fraction(sum(self.weights[start:]), self.denominator)

    @property
    def probability_of_target(self) -> Fraction | None:
        """P(reaching ``target``), or None without a target."""
        return None if self.target is None else self.probability_at_least(self.target)

    def to_records(self) -> list[Record]:
        """One dict per possible amount: probability and cumulative probability (Decimals)."""
        records: list[Record] = []
        cumulative = 0
        code = self.currency.code
        for amount, weight in zip(self.amounts, self.weights, strict=True):
            cumulative += weight
            records.append(
                {
                    "amount": amount,
                    "probability": _decimal(weight, self.denominator),
                    "cumulative": _decimal(cumulative, self.denominator),
                    "currency": code,
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
            "p_target": None if chance is None else _decimal(chance.numerator, chance.denominator),
            "error_bound": None if self.error_bound is None else self.error_bound.amount,
            "cdf_error": self.cdf_error,
            "currency": self.currency.code,
        }

    def _caption(self) -> str:
        return f"Outcome distribution ({self.method})"

    def plot(self, ax: Any = None) -> Any:
        """The cumulative distribution with P10, P50, P90 and the target marked."""
        marks = {"P10": self.p10.amount, "P50": self.p50.amount, "P90": self.p90.amount}
        if self.target is not None:
            marks["target"] = self.target.amount
        # the visible range: from just below P0.1 % to just above P99.9 %
        low, high = self.quantile("0.001").amount, self.quantile("0.999").amount
        points = [
            (a, _decimal(c, self.denominator))
            for a, c in zip(self.amounts, accumulate(self.weights), strict=True)
            if low <= a <= high
        ]
        return cdf(
            [a for a, _ in points],
            [c for _, c in points],
            marks,
            title=f"{self._caption()}: {self.opportunities:,} deals",
            unit=self.currency.code,
            ax=ax,
        )

    def _repr_html_(self) -> str:
        return html_table(self._caption(), [self.summary()])

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<OutcomeDistribution {self.method}: {self.opportunities:,} deals, "
            f"{len(self.amounts):,} amounts, mean {s['mean']}, P10 {s['p10']}, "
            f"P50 {s['p50']}, P90 {s['p90']} {s['currency']}>"
        )


def _decimal(numerator: int, denominator: int) -> Decimal:
    return CONTEXT.divide(Decimal(numerator), Decimal(denominator))
