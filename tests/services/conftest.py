"""The services' shared fixture: a world on each reference adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.helpers import BACKENDS, World, world_on


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A Crm with its fakes on memory, on a SQLite file and on a fresh PostgreSQL schema
    (``postgres``: needs CRMCORE_TEST_POSTGRES), closed after."""
    with world_on(request.param, tmp_path) as made:
        yield made
