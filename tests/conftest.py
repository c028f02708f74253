"""Shared test set-up: Hypothesis profiles (``dev`` by default, ``ci`` under CI, ``fuzz``) and
the PostgreSQL test server (``CRMCORE_TEST_POSTGRES``)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

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
HOW_TO_ENABLE_POSTGRES = (
    "PostgreSQL tests need a server: set CRMCORE_TEST_POSTGRES to a libpq connection string "
    "(`bash .ci/postgres.sh start /tmp/crmcore-pg` starts a throw-away one and prints it) and "
    "install the extra: pip install -e '.[postgres]'"
)


def postgres_conninfo_or_skip() -> str:
    """The test server's connection string; skip without one, but fail under CI (CI=true)."""
    conninfo = os.environ.get("CRMCORE_TEST_POSTGRES", "")
    missing = "" if conninfo else "CRMCORE_TEST_POSTGRES is not set"
    if not missing:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg is not installed"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI never skips PostgreSQL: {missing}. {HOW_TO_ENABLE_POSTGRES}")
        pytest.skip(f"{missing}. {HOW_TO_ENABLE_POSTGRES}")
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
    """The test server's connection string (skips, or fails under CI, without one)."""
    return postgres_conninfo_or_skip()


@pytest.fixture
def postgres_schema(postgres_conninfo: str) -> Iterator[str]:
    """A fresh schema on the test server, dropped after the test."""
    with fresh_postgres_schema(postgres_conninfo) as name:
        yield name
