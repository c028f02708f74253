"""FFT, normal and Monte Carlo distributions stay within their stated bounds of the exact DP."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ValidationError
from crmcore.forecast import OpportunityRecord, SalesProcess, outcome_distribution
from crmcore.forecast import _sampling as sampling
from crmcore.forecast._bucketing import centring
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "p",
        "stages": [
            {"name": "a", "probability": "10"},
            {"name": "b", "probability": "40"},
            {"name": "c", "probability": "62.5"},
            {"name": "d", "probability": "90"},
        ],
    },
)
LEVELS = [Fraction(k, 20) for k in range(1, 20)]

deals_strategy = st.lists(
    st.tuples(
        st.integers(1, 5000),
        st.sampled_from("abcd"),
        st.none() | st.sampled_from([Percent(0), Percent(100), Percent("33.3")]),
    ),
    min_size=1,
    max_size=25,
)


def records(deals: list[tuple[int, str, Percent | None]]) -> list[OpportunityRecord]:
    return [
        OpportunityRecord(
            f"o{i}", "x", stage, Money(Decimal(cents).scaleb(-2), "CNY"), probability_override=p
        )
        for i, (cents, stage, p) in enumerate(deals)
    ]


def within(dist: object, exact: object, q: Fraction, delta: Fraction, slack: Decimal) -> None:
    """Q_exact(q − δ) − slack ≤ Q(q) ≤ Q_exact(q + δ) + slack, where those levels exist
    (at or below 0 every amount qualifies; above 1 none does: no bound on that side)."""
    got = dist.quantile(q).amount  # type: ignore[attr-defined]
    if q - delta > 0:
        assert exact.quantile(q - delta).amount - slack <= got  # type: ignore[attr-defined]
    if q + delta <= 1:
        assert got <= exact.quantile(q + delta).amount + slack  # type: ignore[attr-defined]


@given(deals_strategy, st.sampled_from([64, 500, 10**6]))
def test_fft_quantiles_are_within_the_stated_bound(
    deals: list[tuple[int, str, Percent | None]], buckets: int
) -> None:
    items = records(deals)
    exact = outcome_distribution(items, PROCESS)  # the common divisor: nothing rounded
    assert exact.error_bound == Money(0, "CNY")
    assert exact.cdf_error == 0
    fft = outcome_distribution(items, PROCESS, method="fft", max_buckets=buckets)
    bound, delta = fft.error_bound.amount, Fraction(fft.cdf_error)  # type: ignore[union-attr]
    assert fft.expected_value == exact.expected_value
    for q in LEVELS:
        within(fft, exact, q, delta, bound)
    assert abs(fft.total_probability - 1) < Fraction(1, 10**9)


@given(deals_strategy)
def test_normal_quantiles_are_within_the_berry_esseen_bound(
    deals: list[tuple[int, str, Percent | None]],
) -> None:
    items = records(deals)
    exact = outcome_distribution(items, PROCESS)
    normal = outcome_distribution(items, PROCESS, method="normal")
    beta, cent = Fraction(normal.cdf_error), normal.error_bound.amount  # type: ignore[union-attr]
    assert normal.mean == exact.expected_value
    for q in LEVELS:
        within(normal, exact, q, beta, cent)


def test_the_fft_resolution_adapts_and_states_its_error() -> None:
    deals = [OpportunityRecord(f"o{i}", "x", "b", Money(f"{10 + i}.37", "CNY")) for i in range(12)]
    exact = outcome_distribution(deals, PROCESS)
    assert exact.resolution == Decimal("0.01")
    fft = outcome_distribution(deals, PROCESS, method="fft", max_buckets=500)
    assert fft.resolution == Decimal("0.5")  # 1/2/5 × 10ⁿ: the smallest that fits 500 buckets
    # every amount rounds by at most 0.25; the bound is the larger one-sided sum
    assert fft.error_bound is not None
    assert 0 < fft.error_bound.amount <= 12 * Decimal("0.25")
    assert fft.cdf_error == Decimal("1E-9")
    fine = outcome_distribution(deals, PROCESS, method="fft")
    assert fine.resolution == Decimal("0.01")
    assert fine.error_bound == Money(0, "CNY")
    assert (fine.p10, fine.p50, fine.p90) == (exact.p10, exact.p50, exact.p90)
    assert "fft" in repr(fine)
    assert len(repr(fine)) < 300
    assert "cdf_error" in fine._repr_html_()


def test_normal_edge_cases_and_records() -> None:
    certain = [
        OpportunityRecord("a", "x", "d", Money(5, "CNY"), probability_override=Percent(100))
    ]
    dist = outcome_distribution(certain, PROCESS, method="normal", target=Money(5, "CNY"))
    assert dist.p10 == dist.p90 == Money(5, "CNY")
    assert dist.cdf_error == 1
    many = [OpportunityRecord(f"o{i}", "x", "b", Money(100, "CNY")) for i in range(400)]
    normal = outcome_distribution(many, PROCESS, method="normal", target=Money(16_000, "CNY"))
    assert normal.p50 == Money(16_000, "CNY")
    assert normal.probability_of_target == Fraction(1, 2)
    assert abs(normal.total_probability - 1) < Fraction(1, 10**9)
    assert len(normal.to_records()) <= 401
    assert Decimal(0) < normal.cdf_error < Decimal("0.05")


def test_monte_carlo_states_the_dkw_bound_and_bad_methods_are_refused() -> None:
    deals = [OpportunityRecord("a", "x", "b", Money(5, "CNY"))]
    mc = outcome_distribution(deals, PROCESS, method="monte_carlo", seed=1, trials=10_000)
    assert Decimal("0.019") < mc.cdf_error < Decimal("0.02")
    with pytest.raises(ValidationError, match="'exact', 'fft', 'normal' or 'monte_carlo'"):
        outcome_distribution(deals, PROCESS, method="guess")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="exceed max_buckets 10"):
        outcome_distribution(deals, PROCESS, method="fft", resolution="0.01", max_buckets=10)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("buckets", [64, 200, 1000])
def test_many_coarse_deals_take_the_centred_hoeffding_bound(seed: int, buckets: int) -> None:
    """120 deals on coarse buckets: the rounding errors partly cancel, so the centred
    Hoeffding bound (√n·bucket, failing with probability 10⁻⁹, added to cdf_error) is far
    tighter than the hard one (n·bucket), and every quantile still lies within it."""
    rng = random.Random(seed)
    items = [
        OpportunityRecord(f"o{i}", "x", rng.choice("abcd"), Money(rng.randrange(1, 200), "CNY"))
        for i in range(120)
    ]
    exact = outcome_distribution(items, PROCESS)
    fft = outcome_distribution(items, PROCESS, method="fft", max_buckets=buckets)
    assert fft.cdf_error == Decimal("2E-9")  # FFT arithmetic 10⁻⁹ + Hoeffding's δ 10⁻⁹
    assert fft.error_bound is not None
    assert fft.resolution is not None
    hard = sum(
        (
            abs(
                (r.amount.amount / fft.resolution).to_integral_value("ROUND_HALF_UP")
                * fft.resolution
                - r.amount.amount
            )
            for r in items
        ),
        Decimal(0),
    )
    assert fft.error_bound.amount < hard / 2
    for q in LEVELS:
        within(fft, exact, q, Fraction(fft.cdf_error), fft.error_bound.amount)
    # centred on the exact mean: the distribution's mean is the weighted forecast
    assert abs(fft.mean.amount - exact.expected_value.amount) < Decimal("0.02")


def test_centring_picks_the_tightest_statement() -> None:
    step, cent = Decimal(10), Decimal("0.01")
    # one deal rounded up by 4 at 50 %: hard 4.00; centred max(4 − 2, 0 + 2) = 2.00
    one = centring([Decimal(6)], [(1, 2)], step, cent)
    assert (one.shift, one.bound, one.delta) == (Decimal("2.00"), Decimal("2.00"), 0)
    # nothing rounded: no shift, no bound
    none = centring([Decimal(20), Decimal(30)], [(1, 10), (9, 10)], step, cent)
    assert (none.shift, none.bound, none.delta) == (0, 0, 0)
    # 400 deals each rounded up by 4 at 50 %: Hoeffding √(400·16·10.7082) ≈ 261.8 < 800
    many = centring([Decimal(6)] * 400, [(1, 2)] * 400, step, cent)
    assert many.shift == Decimal("800.00")
    assert many.delta == Decimal("1E-9")
    assert Decimal("261.7") < many.bound < Decimal("262.1")


@pytest.mark.parametrize("sampler", ["numpy", "python"])
@pytest.mark.parametrize("seed", [1, 7])
def test_monte_carlo_quantiles_are_within_the_dkw_bound(sampler: str, seed: int) -> None:
    """Both samplers: exact amounts (error_bound 0), every quantile within the DKW ε of the
    exact DP's (ε holds with probability 99.9 %; these seeds are fixed)."""
    rng = random.Random(seed)
    items = [
        OpportunityRecord(f"o{i}", "x", rng.choice("abcd"), Money(rng.randrange(1, 300), "CNY"))
        for i in range(40)
    ]
    exact = outcome_distribution(items, PROCESS)
    mc = outcome_distribution(
        items,
        PROCESS,
        method="monte_carlo",
        seed=seed,
        trials=4000,
        sampler=sampler,  # type: ignore[arg-type]
    )
    assert mc.sampler == sampler
    assert mc.error_bound == Money(0, "CNY")
    assert mc.total_probability == 1
    for q in LEVELS:
        within(mc, exact, q, Fraction(mc.cdf_error), Decimal(0))
    again = outcome_distribution(
        items,
        PROCESS,
        method="monte_carlo",
        seed=seed,
        trials=4000,
        sampler=sampler,  # type: ignore[arg-type]
    )
    assert again == mc


def test_monte_carlo_samplers_and_their_exact_integer_totals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deals = [
        OpportunityRecord("a", "x", "a", Money("1000000.01", "CNY")),
        OpportunityRecord("b", "x", "d", Money("0.02", "CNY")),
    ]
    fast = outcome_distribution(deals, PROCESS, method="monte_carlo", seed=3, trials=500)
    assert fast.sampler == "numpy"
    # every total is one of the four exact sums
    assert set(fast.amounts) <= {
        Decimal(0),
        Decimal("0.02"),
        Decimal("1000000.01"),
        Decimal("1000000.03"),
    }
    # a book too large for float64's exact integers takes numpy's integer product: same draws
    monkeypatch.setattr(sampling, "_EXACT_FLOAT", 1)
    large = outcome_distribution(deals, PROCESS, method="monte_carlo", seed=3, trials=500)
    assert large == fast
    with pytest.raises(ValidationError, match="sampler: 'gpu' must be 'numpy' or 'python'"):
        outcome_distribution(
            deals,
            PROCESS,
            method="monte_carlo",
            seed=3,
            sampler="gpu",  # type: ignore[arg-type]
        )
    empty = outcome_distribution(
        [], PROCESS, method="monte_carlo", seed=3, trials=10, currency="CNY"
    )
    assert empty.amounts == (Decimal(0),)
    assert sampling.default_sampler() == "numpy"
