"""Shared test set-up: Hypothesis profiles (``dev`` by default, ``ci`` under CI, ``fuzz``) and
the PostgreSQL test server (``CRMCORE_TEST_POSTGRES``)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from crmcore.receivables import _receivable

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# The hostile-input fuzz tests (tests/fuzz) run 10,000 examples each under this profile:
#   HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


# -- PostgreSQL ------------------------------------------------------------------------------
# The PostgreSQL tests are opt-in: they run when CRMCORE_TEST_POSTGRES holds a libpq connection
# string (.ci/run always sets it) and are *deselected* otherwise, never skipped, with a line in
# the report saying how many and how to enable them. Under CI (CI=true) a missing server is a
# usage error: CI never runs without them.
HOW_TO_ENABLE_POSTGRES = (
    "set CRMCORE_TEST_POSTGRES to a libpq connection string "
    "(`bash .ci/postgres.sh start /tmp/crmcore-pg` starts a throw-away server and prints one) "
    "and install the extra: pip install -e '.[postgres]'"
)
POSTGRES_ENV = "CRMCORE_TEST_POSTGRES"


def needs_postgres(item: pytest.Item) -> bool:
    """Whether a collected test runs on the PostgreSQL test server."""
    names = getattr(item, "fixturenames", ())
    if "postgres_conninfo" in names:
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("world") == "postgres"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the PostgreSQL tests without a server; refuse to run without one under CI."""
    if os.environ.get(POSTGRES_ENV):
        return
    postgres = [item for item in items if needs_postgres(item)]
    if not postgres:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"CI never runs without the {len(postgres)} PostgreSQL tests: "
            f"{POSTGRES_ENV} is not set; {HOW_TO_ENABLE_POSTGRES}"
        )
    items[:] = [item for item in items if not needs_postgres(item)]
    config.hook.pytest_deselected(items=postgres)
    config.stash[_DESELECTED] = len(postgres)
    workeroutput = getattr(config, "workeroutput", None)  # a pytest-xdist worker
    if workeroutput is not None:
        workeroutput[_DESELECTED_KEY] = len(postgres)


_DESELECTED = pytest.StashKey[int]()
_DESELECTED_KEY = "crmcore_postgres_deselected"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: the controller learns from its workers how many were deselected."""
    count = node.workeroutput.get(_DESELECTED_KEY, 0)
    node.config.stash[_DESELECTED] = max(node.config.stash.get(_DESELECTED, 0), count)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say how many PostgreSQL tests did not run, and how to run them."""
    count = config.stash.get(_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL tests deselected ({POSTGRES_ENV} is not set): "
            f"to run them, {HOW_TO_ENABLE_POSTGRES}",
            yellow=True,
        )


def postgres_conninfo_or_fail() -> str:
    """The test server's connection string (a selected PostgreSQL test has one)."""
    conninfo = os.environ.get(POSTGRES_ENV, "")
    if not conninfo:
        pytest.fail(f"{POSTGRES_ENV} is not set: {HOW_TO_ENABLE_POSTGRES}")
    return conninfo


@contextlib.contextmanager
def fresh_postgres_schema(conninfo: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema for one test, dropped afterwards."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:16]}"
    try:
        yield name
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def postgres_conninfo() -> str:
    """The test server's connection string (the test is deselected without one)."""
    return postgres_conninfo_or_fail()


@pytest.fixture
def postgres_schema(postgres_conninfo: str) -> Iterator[str]:
    """A fresh schema on the test server, dropped after the test."""
    with fresh_postgres_schema(postgres_conninfo) as name:
        yield name


# Every read of a receivable's kept fold of "now" is checked against a full fold, so a change
# that forgets to keep it current fails whichever test makes it.
_receivable.VERIFY_FOLD = True
