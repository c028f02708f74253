"""Shared fixtures of the forecast tests: a B2B sales process and the people acting on it."""

from __future__ import annotations

import pytest

from crmcore.forecast import SalesProcess
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from tests.forecast.forecast_helpers import PROCESS_DATA


@pytest.fixture(scope="session")
def process() -> SalesProcess:
    return from_dict(SalesProcess, PROCESS_DATA)


@pytest.fixture
def alice() -> Actor:
    return Actor("alice", {"sales"})


@pytest.fixture
def boss() -> Actor:
    return Actor("boss", {"manager"})
