"""The whole conformance kit bound to one PostgreSQL adapter class (the reference one, or a
mutated copy of it in tests/adapters/test_mutations.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from crmcore.ports import Storage
from crmcore.testing.contracts import (
    CONTRACT_KINDS,
    SAMPLE_KIND,
    CrashContract,
    DeliveryContract,
    StorageContract,
)


class PostgresKit(StorageContract, CrashContract, DeliveryContract):
    """Every kit test against ``database`` (a PostgresDatabase-like class)."""

    database: ClassVar[Any]
    #: Seconds to wait for a row lock: short, so a leaked lock fails fast.
    lock_timeout: ClassVar[float] = 5.0

    @pytest.fixture
    def storage(self, postgres_conninfo: str, postgres_schema: str) -> Iterator[Storage]:
        handle = self.database(
            postgres_conninfo, CONTRACT_KINDS, schema=postgres_schema, timeout=self.lock_timeout
        )
        yield handle
        handle.close()

    @pytest.fixture
    def reopen(
        self, postgres_conninfo: str, postgres_schema: str
    ) -> Iterator[Callable[[], Storage]]:
        opened: list[Any] = []

        def open_another() -> Storage:
            opened.append(
                self.database(
                    postgres_conninfo,
                    CONTRACT_KINDS,
                    schema=postgres_schema,
                    timeout=self.lock_timeout,
                )
            )
            return opened[-1]  # type: ignore[no-any-return]

        yield open_another
        for handle in opened:
            handle.close()

    @pytest.fixture
    def open_elsewhere(
        self, postgres_conninfo: str, postgres_schema: str
    ) -> Callable[[], Storage]:
        return functools.partial(
            self.database,
            postgres_conninfo,
            (SAMPLE_KIND,),
            schema=postgres_schema,
            timeout=self.lock_timeout,
        )
