"""Money against py-moneyed (the peer) and bare Decimal (the floor) on four operations."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from benchmarks._harness import best_time, table
from crmcore.money import Money

CENT = Decimal("0.01")


def _allocate_decimal(amount: Decimal, weights: list[int]) -> list[Decimal]:
    """The floor: largest remainder on bare integers of cents, no Money objects."""
    units = int(amount.quantize(CENT, ROUND_HALF_UP) * 100)
    total = sum(weights)
    parts = [units * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(units * weights[i] % total), i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [Decimal(p).scaleb(-2) for p in parts]


def run(quick: bool = False) -> None:
    import moneyed

    n = 2_000 if quick else 50_000
    weights = list(range(1, 13))
    a, b = Money("1234.56", "CNY"), Money("78.9", "CNY")
    ma, mb = moneyed.Money("1234.56", "CNY"), moneyed.Money("78.9", "CNY")
    da, db = Decimal("1234.56"), Decimal("78.9")
    factor = Decimal("1.13")

    def moneyed_allocate() -> object:
        # py-moneyed has no allocate; this is what its users write: round each weighted share
        # and put the remainder on the last part (which is not fair, but it is the usual code).
        total = sum(weights)
        parts = [
            moneyed.Money((ma.amount * w / total).quantize(CENT, ROUND_HALF_UP), "CNY")
            for w in weights[:-1]
        ]
        return [*parts, ma - sum(parts, moneyed.Money(0, "CNY"))]

    ops: list[tuple[str, Callable[[], object], Callable[[], object], Callable[[], object]]] = [
        (
            "construct",
            lambda: Money("1234.56", "CNY"),
            lambda: moneyed.Money("1234.56", "CNY"),
            lambda: Decimal("1234.56"),
        ),
        ("add", lambda: a + b, lambda: ma + mb, lambda: da + db),
        (
            "multiply+round",
            lambda: (a * factor).round(),
            lambda: moneyed.Money((ma.amount * factor).quantize(CENT, ROUND_HALF_UP), "CNY"),
            lambda: (da * factor).quantize(CENT, ROUND_HALF_UP),
        ),
        (
            "allocate into 12",
            lambda: a.allocate(weights),
            moneyed_allocate,
            lambda: _allocate_decimal(da, weights),
        ),
    ]
    rows = []
    for name, ours, peer, floor in ops:
        t_ours, t_peer, t_floor = (
            best_time(f, repeat=5, number=n) * 1e9 for f in (ours, peer, floor)
        )
        rows.append((name, t_ours, t_peer, t_floor, t_ours / t_peer, t_ours / t_floor))
    print(
        table(
            f"money: ns per operation, best of 5 x {n:,} "
            "(goal: vs py-moneyed <= 1.0, vs Decimal <= 5.0)",
            [
                "operation",
                "crmcore ns",
                "py-moneyed ns",
                "Decimal ns",
                "vs py-moneyed",
                "vs Decimal",
            ],
            rows,
        )
    )
