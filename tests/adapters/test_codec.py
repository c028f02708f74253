"""Index keys are canonical; custom dump / load hooks are honoured; kinds are checked."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from crmcore.adapters._codec import dump_aggregate, index_key, load_aggregate
from crmcore.adapters._staging import kinds_by_class
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.ports import AggregateKind
from crmcore.serialization import converter
from crmcore.testing.contracts import CONTRACT_KINDS, SampleAccount, _account


class Tier(enum.Enum):
    GOLD = "gold"


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (None, None),
        ("u1", "u1"),
        (Tier.GOLD, "gold"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (Decimal("0.00"), "0"),
        (Decimal("12.50"), "12.5"),
        (12, "12"),
        (Money("1.50", "CNY"), "1.5 CNY"),
        (Percent("10.0"), "10"),
        (date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_index_keys_are_canonical(value: object, key: str | None) -> None:
    assert index_key(value) == key


def test_unindexable_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="cannot index a list"):
        index_key([1])
    # A value whose repr cannot even be built (a 5,000-digit int) still gets a readable error;
    # found by the fuzz run on `queries.list_orders`.
    with pytest.raises(ValidationError, match="cannot index a tuple value <tuple>"):
        index_key((10**5000,))


def test_custom_dump_and_load_hooks_are_used() -> None:
    calls: list[str] = []

    def dump(account: SampleAccount) -> dict[str, Any]:
        calls.append("dump")
        return dict(converter.unstructure(account))

    def load(data: Any) -> SampleAccount:
        calls.append("load")
        return converter.structure(data, SampleAccount)

    kind = AggregateKind("sample_account", SampleAccount, dump=dump, load=load)
    text = dump_aggregate(kind, _account())
    assert '"version"' not in text
    loaded = load_aggregate(kind, text, 4)
    assert loaded.version == 4
    assert calls == ["dump", "load"]


def test_kinds_are_checked() -> None:
    with pytest.raises(ValidationError, match="must be an identifier"):
        AggregateKind("sample account", SampleAccount)
    with pytest.raises(ValidationError, match="is not a dotted name"):
        AggregateKind("sample", SampleAccount, indexes=("owner id",))
    with pytest.raises(ValidationError, match="declared twice"):
        kinds_by_class([*CONTRACT_KINDS, *CONTRACT_KINDS])
    nested = AggregateKind("sample", SampleAccount, indexes=("balance.currency.code",))
    assert nested.index_values(_account()) == {"balance.currency.code": "CNY"}
