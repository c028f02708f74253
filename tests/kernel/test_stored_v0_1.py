"""Data stored by crmcore 0.1 (written by main before the aggregate kernel) still loads.

The JSON files beside this test were exported from a ``python -m crmcore demo`` SQLite file
written by the code of that release: the two largest rows of every stored kind and one
outbox event of every type. Each must load, store again and load back to an equal object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmcore.adapters._codec import dump_aggregate, dump_event, load_aggregate, load_event
from crmcore.ports import AggregateKind
from crmcore.services import KINDS

HERE = Path(__file__).parent / "stored_v0_1"
#: The kinds crmcore 0.1 stored (kinds added later have no 0.1 data to load).
KINDS_V01 = [k for k in KINDS if (HERE / f"{k.name}.json").exists()]


def _rows(kind: AggregateKind[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((HERE / f"{kind.name}.json").read_text("utf-8"))
    return rows


def test_the_fixture_holds_every_kind_of_0_1() -> None:
    assert {k.name for k in KINDS_V01} == {
        "lead",
        "lead_pool",
        "opportunity",
        "receivable",
        "approval",
        "approval_link",
        "dunning_log",
        "order",
    }


@pytest.mark.parametrize("kind", KINDS_V01, ids=[k.name for k in KINDS_V01])
def test_every_kind_of_the_old_schema_loads_and_round_trips(kind: AggregateKind[Any]) -> None:
    rows = _rows(kind)
    assert rows, f"no stored {kind.name} rows in the fixture"
    for row in rows:
        aggregate = load_aggregate(kind, json.dumps(row["data"]), row["version"])
        assert aggregate.id == row["id"]
        assert aggregate.version == row["version"]
        again = load_aggregate(kind, dump_aggregate(kind, aggregate), row["version"])
        assert again == aggregate


def test_every_event_type_of_the_old_schema_loads() -> None:
    stored = json.loads((HERE / "events.json").read_text("utf-8"))
    assert len(stored) >= 30
    for item in stored:
        event = load_event(item["event"], json.dumps(item["data"]))
        name, text = dump_event(event)
        assert load_event(name, text) == event
