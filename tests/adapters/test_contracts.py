"""Both reference adapters pass the whole conformance kit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.ports import Storage
from crmcore.testing.contracts import CONTRACT_KINDS, StorageContract


class TestMemoryAdapter(StorageContract):
    @pytest.fixture
    def storage(self) -> MemoryDatabase:
        return MemoryDatabase(CONTRACT_KINDS)

    @pytest.fixture
    def reopen(self, storage: MemoryDatabase) -> Callable[[], Storage]:
        return lambda: storage


class TestSqliteAdapter(StorageContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "crm.sqlite3"

    @pytest.fixture
    def storage(self, path: Path) -> Iterator[SqliteDatabase]:
        with SqliteDatabase(path, CONTRACT_KINDS) as database:
            yield database

    @pytest.fixture
    def reopen(self, path: Path) -> Callable[[], Storage]:
        return lambda: SqliteDatabase(path, CONTRACT_KINDS)
