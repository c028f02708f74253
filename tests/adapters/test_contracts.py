"""Both reference adapters pass the whole conformance kit, with the kit's own kinds and
with the kinds the services store (computed indexes and the services' records included)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.ports import AggregateKind, Storage
from crmcore.services import KINDS
from crmcore.testing.contracts import (
    DOMAIN_KINDS,
    SAMPLE_KIND,
    ClaimContract,
    CrashContract,
    DeliveryContract,
    StorageContract,
)

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


class TestPostgresAdapter(StorageContract):
    @pytest.fixture
    def storage(
        self, postgres_conninfo: str, postgres_schema: str, kinds: Sequence[AggregateKind[Any]]
    ) -> Iterator[Storage]:
        from crmcore.adapters.postgres import PostgresDatabase

        with PostgresDatabase(postgres_conninfo, kinds, schema=postgres_schema) as database:
            yield database

    @pytest.fixture
    def reopen(
        self,
        postgres_conninfo: str,
        postgres_schema: str,
        kinds: Sequence[AggregateKind[Any]],
        storage: Storage,
    ) -> Iterator[Callable[[], Storage]]:
        from crmcore.adapters.postgres import PostgresDatabase

        opened: list[PostgresDatabase] = []

        def open_another() -> Storage:
            database = PostgresDatabase(postgres_conninfo, kinds, schema=postgres_schema)
            opened.append(database)
            return database

        yield open_another
        for database in opened:
            database.close()


class TestPostgresAdapterWithTheServicesKinds(TestPostgresAdapter):
    @pytest.fixture
    def kinds(self) -> Sequence[AggregateKind[Any]]:
        return SERVICE_KINDS


class TestMemoryOutboxClaims(ClaimContract):
    @pytest.fixture
    def storage(self) -> MemoryDatabase:
        return MemoryDatabase([SAMPLE_KIND])


class TestSqliteCrashes(CrashContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqliteDatabase]:
        with SqliteDatabase(tmp_path / "crm.sqlite3", [SAMPLE_KIND]) as database:
            yield database

    @pytest.fixture
    def open_elsewhere(self, tmp_path: Path) -> Callable[[], Storage]:
        return functools.partial(SqliteDatabase, tmp_path / "crm.sqlite3", (SAMPLE_KIND,))


class TestPostgresProcesses(CrashContract, DeliveryContract):
    @pytest.fixture
    def storage(self, postgres_conninfo: str, postgres_schema: str) -> Iterator[Storage]:
        from crmcore.adapters.postgres import PostgresDatabase

        with PostgresDatabase(postgres_conninfo, [SAMPLE_KIND], schema=postgres_schema) as db:
            yield db

    @pytest.fixture
    def open_elsewhere(
        self, postgres_conninfo: str, postgres_schema: str
    ) -> Callable[[], Storage]:
        from crmcore.adapters.postgres import PostgresDatabase

        return functools.partial(
            PostgresDatabase, postgres_conninfo, (SAMPLE_KIND,), schema=postgres_schema
        )
