"""Shared fixtures of the forecast tests: a B2B sales process and the people acting on it."""

from __future__ import annotations

import pytest
from forecast_helpers import PROCESS_DATA

from crmcore.forecast import SalesProcess
from crmcore.ports import Actor


@pytest.fixture(scope="session")
def process() -> SalesProcess:
    return SalesProcess.from_dict(PROCESS_DATA)


@pytest.fixture
def alice() -> Actor:
    return Actor("alice", {"sales"})


@pytest.fixture
def boss() -> Actor:
    return Actor("boss", {"manager"})
