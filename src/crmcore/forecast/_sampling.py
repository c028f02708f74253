"""Seeded Monte Carlo of the closed-won total: vectorised with numpy, or pure Python.

Each trial wins deal i when a uniform draw is below its probability, and adds its amount as
an integer of minor units (``amount = A / F``). With numpy, the draws of a block of trials
form one matrix and the totals are one matrix–vector product; the amounts enter it as
float64, which is exact because every partial sum is an integer below 2⁵³ (checked; larger
books take the integer product). Without numpy, ``random.Random(seed)`` draws deal by deal.
Both are reproducible from the seed, but they draw different streams: the result records
its ``sampler``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, Literal

from crmcore._tables import require

__all__ = ["SAMPLERS", "Sampler", "sample_totals"]

Sampler = Literal["numpy", "python"]
SAMPLERS: Final = ("numpy", "python")
#: Draws held at once by the numpy sampler (a block of trials × deals).
_BLOCK: Final = 1 << 21
#: float64 holds every integer up to this exactly.
_EXACT_FLOAT: Final = 1 << 53


def default_sampler() -> Sampler:
    """numpy when it is installed, else the pure-Python sampler."""
    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover - numpy ships with the test extras
        return "python"
    return "numpy"


def sample_totals(
    amounts: Sequence[int], chances: Sequence[float], seed: int, trials: int, sampler: Sampler
) -> Counter[int]:
    """How many of ``trials`` ended on each total (integer units)."""
    if sampler == "python":
        return _python(amounts, chances, seed, trials)
    return _numpy(require("numpy", "arrow"), amounts, chances, seed, trials)


def _python(
    amounts: Sequence[int], chances: Sequence[float], seed: int, trials: int
) -> Counter[int]:
    draw = random.Random(seed).random
    pairs = list(zip(amounts, chances, strict=True))
    totals: Counter[int] = Counter()
    for _ in range(trials):
        totals[sum(units for units, chance in pairs if draw() < chance)] += 1
    return totals


def _numpy(
    np: Any, amounts: Sequence[int], chances: Sequence[float], seed: int, trials: int
) -> Counter[int]:
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(amounts)
    totals: Counter[int] = Counter()
    if n == 0:
        totals[0] = trials
        return totals
    threshold = np.asarray(chances, dtype=np.float64)
    exact_float = sum(abs(a) for a in amounts) < _EXACT_FLOAT
    if exact_float:
        values = np.asarray(amounts, dtype=np.float64)
    else:
        values = np.asarray(amounts, dtype=object)
    rows = max(1, _BLOCK // n)
    done = 0
    while done < trials:
        size = min(rows, trials - done)
        wins = rng.random((size, n)) < threshold
        if exact_float:
            sums = (wins @ values).astype(np.int64).tolist()
        else:
            sums = [int(s) for s in wins.astype(object) @ values]
        totals.update(sums)
        done += size
    return totals
