"""Hostile values and the one assertion of the fuzz tests: only crmcore errors, within 1 s."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from crmcore.errors import CrmError

T = TypeVar("T")

#: The most CPU time one fuzzed call may use (CPU time, so a loaded machine does not fail it).
LIMIT_SECONDS = 1.0
#: The most wall-clock time one call may take: catches a call that waits instead of working
#: (``FUZZ_WALL_SECONDS`` raises it for a run that is paused now and then).
WALL_LIMIT_SECONDS = float(os.environ.get("FUZZ_WALL_SECONDS", "10"))
#: Examples per fuzz test: 10,000 under ``HYPOTHESIS_PROFILE=fuzz``, a few in the suite.
EXAMPLES = int(
    os.environ.get(
        "FUZZ_EXAMPLES", 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 15
    )
)
#: The settings of every fuzz test.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Text a careless or hostile host sends where a number, a name or a path goes.
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "1_000",
        "١٢٣",
        "１２",
        "NaN",
        "-Infinity",
        "1e999999",
        "1e-999999",
        "-1",
        "0",
        "12.5",
        "1" * 120,
        "__globals__",
        "_private",
        "a..b",
        "=cmd|' /C calc'!A0",
        "CNY",
        "cny",
        "XXX",
        "true",
        "false",
        "2026-02-30",
        "9999-12-31",
        "\x00",
        "\ud800",
        "round_robin",
    ]
)

HOSTILE_NUMBERS: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            10**18,
            -(10**18),
            10**30,
            Decimal("1e999999"),
            Decimal("1e-999999"),
            Decimal("-1e999999"),
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("0E-999999"),
            Decimal("0E+999999"),
            0.1,
            float("nan"),
            float("inf"),
            True,
            False,
        ]
    ),
    # built, never written out: a strategy's repr must not print a 4,300-digit integer
    st.builds(pow, st.just(10), st.sampled_from([4300, 100_000])),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
)

HOSTILE_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    HOSTILE_TEXT,
    st.text(max_size=8),
    HOSTILE_NUMBERS,
    st.sampled_from([date.max, date.min, datetime.max, date(2026, 3, 2), b"bytes", object()]),
)

#: Any value a host could pass: scalars and nested lists, sets, tuples and dicts of them.
HOSTILE: st.SearchStrategy[Any] = st.recursive(
    HOSTILE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.frozensets(st.sampled_from([1, "a", None]), max_size=3),
        st.dictionaries(st.one_of(HOSTILE_TEXT, st.integers(0, 3)), inner, max_size=4),
    ),
    max_leaves=12,
)

#: JSON-shaped hostile data (what a configuration file can hold).
HOSTILE_JSON: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        HOSTILE_TEXT,
        st.text(max_size=6),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT | st.text(max_size=6), inner)
    ),
    max_leaves=12,
)


def deep(depth: int) -> Any:
    """A list nested ``depth`` levels deep (beyond any recursion limit when large)."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(
    draw: st.DrawFn,
    document: Any,
    values: st.SearchStrategy[Any] = HOSTILE,
    depths: tuple[int, ...] = (40, 5000),
) -> Any:
    """``document`` with one value somewhere inside replaced (or a key added) by a hostile one."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, item in node.items():
                walk(item, (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, (*path, i))

    walk(document, ())
    path = draw(st.sampled_from(paths))
    replacement = draw(st.one_of(values, st.builds(deep, st.sampled_from(depths))))
    return _replace(document, path, replacement, add=draw(st.booleans()), key=draw(HOSTILE_TEXT))


def _replace(node: Any, path: tuple[Any, ...], value: Any, *, add: bool, key: str) -> Any:
    if not path:
        if add and isinstance(node, dict):
            return {**node, key: value}
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value, add=add, key=key)}
    copy = list(node)
    copy[head] = _replace(node[head], rest, value, add=add, key=key)
    return copy


def contained(call: Callable[[], T]) -> T | CrmError:
    """Run ``call``: it returns, or raises a crmcore error; either way within LIMIT_SECONDS."""
    with within_limits():
        try:
            result: T | CrmError = call()
        except CrmError as error:
            result = error
    return result


@contextmanager
def within_limits() -> Iterator[None]:
    """Assert the block used under LIMIT_SECONDS of CPU and WALL_LIMIT_SECONDS of wall clock."""
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    used, waited = time.process_time() - cpu, time.perf_counter() - wall
    assert used < LIMIT_SECONDS, f"used {used:.2f} s of CPU"
    assert waited < WALL_LIMIT_SECONDS, f"took {waited:.2f} s"
