"""Fixtures for the workflow tests."""

from __future__ import annotations

import pytest

from crmcore.testing.fakes import StaticDirectory

from ._org import org


@pytest.fixture
def directory() -> StaticDirectory:
    return org()
