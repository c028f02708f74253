"""Both reference adapters pass the whole conformance kit, with the kit's own kinds and
with the kinds the services store (computed indexes and the services' records included)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.ports import AggregateKind, Storage
from crmcore.services import KINDS
from crmcore.testing.contracts import DOMAIN_KINDS, SAMPLE_KIND, StorageContract

#: The services' kinds, plus the two kinds they do not (yet) declare: the sample and orders.
SERVICE_KINDS: tuple[AggregateKind[Any], ...] = (
    SAMPLE_KIND,
    *KINDS,
    *(kind for kind in DOMAIN_KINDS if kind.cls not in {k.cls for k in KINDS}),
)


class TestMemoryAdapter(StorageContract):
    @pytest.fixture
    def storage(self, kinds: Sequence[AggregateKind[Any]]) -> MemoryDatabase:
        return MemoryDatabase(kinds)

    @pytest.fixture
    def reopen(self, storage: MemoryDatabase) -> Callable[[], Storage]:
        return lambda: storage


class TestSqliteAdapter(StorageContract):
    @pytest.fixture
    def path(self, tmp_path: Path) -> Path:
        return tmp_path / "crm.sqlite3"

    @pytest.fixture
    def storage(self, path: Path, kinds: Sequence[AggregateKind[Any]]) -> Iterator[SqliteDatabase]:
        with SqliteDatabase(path, kinds) as database:
            yield database

    @pytest.fixture
    def reopen(self, path: Path, kinds: Sequence[AggregateKind[Any]]) -> Callable[[], Storage]:
        return lambda: SqliteDatabase(path, kinds)


class TestMemoryAdapterWithTheServicesKinds(TestMemoryAdapter):
    @pytest.fixture
    def kinds(self) -> Sequence[AggregateKind[Any]]:
        return SERVICE_KINDS


class TestSqliteAdapterWithTheServicesKinds(TestSqliteAdapter):
    @pytest.fixture
    def kinds(self) -> Sequence[AggregateKind[Any]]:
        return SERVICE_KINDS
