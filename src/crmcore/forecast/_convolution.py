"""The bucketed outcome distribution by blockwise dynamic programming and FFT convolution.

Each deal is the polynomial ``(1 − p) + p·z^u`` (u: its amount in buckets); the distribution
of the closed amount is their product. Deals are sorted by size and multiplied in blocks of
64 by an in-place numpy DP (a shift and two multiply-adds per deal), then the block
polynomials are multiplied pairwise in a balanced tree by real FFTs (``np.convolve`` while
short). Cost: O(W log W log(n / 64)) for W buckets, instead of O(n·W) for the pure DP.

Floating point is used for the probabilities only; the amounts stay integers of buckets.
The error of every probability is below 1e-12 in absolute value for up to 2²² buckets
(rounding in float64 FFTs grows like ε·log W; the tests compare with the exact DP).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from crmcore._tables import require

__all__ = ["CDF_ERROR", "convolve_deals"]

#: A stated bound on |computed − exact| of every cumulative probability (float64 FFTs).
CDF_ERROR: Final = 1e-9
_BLOCK: Final = 64
_DIRECT: Final = 512


def _multiply(np: Any, a: Any, b: Any) -> Any:
    n = len(a) + len(b) - 1
    if min(len(a), len(b)) <= _DIRECT:
        return np.convolve(a, b)
    size = 1 << (n - 1).bit_length()
    product = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)[:n]
    return np.clip(product, 0.0, None)


def convolve_deals(units: Sequence[int], chances: Sequence[float]) -> Any:
    """P(total = k buckets) for k = 0 .. Σ units, as a float64 numpy array."""
    np = require("numpy", "arrow")
    order = sorted(range(len(units)), key=units.__getitem__)
    blocks = []
    for start in range(0, len(order), _BLOCK):
        chunk = [(units[i], chances[i]) for i in order[start : start + _BLOCK]]
        dist = np.zeros(sum(u for u, _ in chunk) + 1)
        dist[0] = 1.0
        top = 0
        for u, p in chunk:
            if u == 0 or p == 0.0:
                continue
            moved = dist[: top + 1] * p
            dist[: top + 1] *= 1.0 - p
            dist[u : u + top + 1] += moved
            top += u
        blocks.append(dist[: top + 1])
    if not blocks:
        return np.ones(1)
    while len(blocks) > 1:
        pairs = [_multiply(np, blocks[i], blocks[i + 1]) for i in range(0, len(blocks) - 1, 2)]
        blocks = pairs + blocks[len(blocks) - len(blocks) % 2 :]
    return blocks[0]
