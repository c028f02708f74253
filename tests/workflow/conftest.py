"""Fixtures for the workflow tests."""

from __future__ import annotations

import pytest

from crmcore.testing.fakes import StaticDirectory
from tests.workflow.workflow_helpers import org


@pytest.fixture
def directory() -> StaticDirectory:
    return org()
