"""How far a bucketed outcome distribution is from the real one, and the shift that centres it.

Rounding each deal's amount ``a`` to whole buckets moves it by ``e = bucketed − a``, so the
bucketed total is ``S' = S + E`` with ``E = Σ Xᵢ·eᵢ`` (``Xᵢ`` = 1 when deal i is won). Three
statements bound ``S − (S' − shift)``, and the tightest one is reported:

* **No shift, hard bound**: ``E`` lies between ``−Σ eᵢ⁻`` and ``Σ eᵢ⁺`` (the deals that can
  win), so every outcome is within ``max(Σ eᵢ⁺, Σ eᵢ⁻)``. Grows like n·bucket.
* **Centred, hard bound**: subtracting ``μ = E[E] = Σ pᵢ·eᵢ`` (exact, then rounded to the
  currency's minor unit, which adds at most half of it) leaves ``max(Σ eᵢ⁺ − μ, Σ eᵢ⁻ + μ)``.
* **Centred, Hoeffding**: the terms ``(Xᵢ − pᵢ)·eᵢ`` are independent, each in a range of width
  ``|eᵢ|``, so ``P(|E − μ| ≥ t) ≤ 2·exp(−2t² / Σ eᵢ²)``; with ``t = √(Σ eᵢ² · ln(2/δ) / 2)``
  that is at most ``δ = 10⁻⁹``. Grows like √n·bucket, so it wins for many deals: at 10,000
  deals on 1,000-unit buckets it is about 94,000 instead of 1,290,000.

With the Hoeffding statement the distribution's ``cdf_error`` grows by δ: the reported
P(q) lies between the exact quantiles at q − cdf_error and q + cdf_error, widened by the
bound (both hold except on an event of probability at most δ, which is inside cdf_error).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Final

import attrs

from crmcore._decimal import CONTEXT, scale_to_integers

__all__ = ["HOEFFDING_DELTA", "Centring", "centring"]

#: The probability the Hoeffding statement may fail (added to the result's cdf_error).
HOEFFDING_DELTA: Final = Decimal("1E-9")
#: ln(2 / δ) / 2 for δ = 10⁻⁹ (10.70818…), rounded up so that the bound stays a bound.
_LOG_TERM: Final = Fraction("10.7082")


@attrs.frozen
class Centring:
    """Subtract ``shift`` from every bucketed amount; then every outcome is within ``bound``
    of the real one, except with probability ``delta``."""

    shift: Decimal
    bound: Decimal
    delta: Decimal


def centring(
    amounts: list[Decimal], chances: list[tuple[int, int]], step: Decimal, quantum: Decimal
) -> Centring:
    """The tightest of the three statements for deals of ``amounts`` winning with
    ``chances`` (numerator, denominator; all > 0) on buckets of ``step``; bounds are rounded
    up to ``quantum`` (the currency's minor unit)."""
    scaled = scale_to_integers([*amounts, step])
    size = scaled[-1]
    up = down = squares = 0
    by_chance: dict[tuple[int, int], int] = {}
    for a, chance in zip(scaled, chances, strict=False):
        error = (2 * a + size) // (2 * size) * size - a
        if error > 0:
            up += error
        else:
            down -= error
        squares += error * error
        by_chance[chance] = by_chance.get(chance, 0) + error
    mean = sum((Fraction(n, d) * e for (n, d), e in by_chance.items()), Fraction(0))
    unit = Fraction(step) / size  # one integer unit of the scaled amounts, in money
    minor = Fraction(quantum)

    def up_to(units: Fraction | int) -> Decimal:
        """``units`` as money, rounded up to the minor unit (a bound stays a bound)."""
        return CONTEXT.multiply(Decimal(math.ceil(units * unit / minor)), quantum)

    centre = mean * unit
    shift = CONTEXT.divide(Decimal(centre.numerator), Decimal(centre.denominator))
    shift = shift.quantize(quantum, ROUND_HALF_EVEN, CONTEXT)
    # shift − μ in minor units, rounded up: 0 or 1 (|shift − μ| ≤ half a minor unit).
    slack = CONTEXT.multiply(Decimal(math.ceil(abs(Fraction(shift) - centre) / minor)), quantum)
    root = math.isqrt(math.ceil(squares * _LOG_TERM)) + 1  # ≥ √(Σ e² · ln(2/δ)/2)
    zero = Decimal(0)
    options = [
        (up_to(max(up, down)), zero, zero),
        (CONTEXT.add(up_to(max(up - mean, down + mean)), slack), zero, shift),
        (CONTEXT.add(up_to(root), slack), HOEFFDING_DELTA, shift),
    ]
    bound, delta, chosen = min(options, key=lambda option: (option[0], option[1]))
    return Centring(chosen, bound, delta)
