"""The services' shared fixture: a world on each reference adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.helpers import World, memory_world, sqlite_world


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A Crm with its fakes on the memory adapter, then on a SQLite file (closed after)."""
    made = memory_world() if request.param == "memory" else sqlite_world(tmp_path)
    yield made
    close = getattr(made.storage, "close", None)
    if close is not None:
        close()
