"""The API reference shows each attrs class's constructor: scripts/griffe_attrs.py (loaded
by mkdocs.yml) builds the ``__init__`` that attrs writes at import time from the fields."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import griffe
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _extension() -> ModuleType:
    spec = importlib.util.spec_from_file_location("griffe_attrs", ROOT / "scripts/griffe_attrs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["griffe_attrs"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def crmcore_api() -> griffe.Module:
    extensions = griffe.load_extensions(_extension().AttrsInit)
    return griffe.load("crmcore", search_paths=[str(ROOT / "src")], extensions=extensions)


def _signature(api: griffe.Module, path: str) -> list[tuple[str, str, str | None]]:
    cls = api[path]
    init = cls.final_target.members["__init__"] if cls.is_alias else cls.members["__init__"]
    return [
        (p.name, p.kind.name, None if p.default is None else str(p.default))
        for p in init.parameters
        if p.name != "self"
    ]


def test_a_frozen_class_shows_its_fields_and_defaults(crmcore_api: griffe.Module) -> None:
    assert _signature(crmcore_api, "workflow.Step") == [
        ("name", "positional_or_keyword", None),
        ("approvers", "positional_or_keyword", None),
        ("mode", "positional_or_keyword", "ALL"),
        ("condition", "positional_or_keyword", "None"),
        ("on_reject", "positional_or_keyword", "OnReject.REJECT_ALL"),
        ("sla", "positional_or_keyword", "None"),
        ("allow_delegation", "positional_or_keyword", "False"),
        ("allow_self_approval", "positional_or_keyword", "False"),
    ]


def test_private_fields_factories_and_keyword_only_follow_attrs(
    crmcore_api: griffe.Module,
) -> None:
    signature = _signature(crmcore_api, "workflow.ApprovalInstance")
    names = [name for name, _, _ in signature]
    assert names[:2] == ["version", "id"]  # the base's field first, as attrs orders them
    assert {"tasks", "events", "earlier_history", "path"} <= set(names)  # "_tasks" → "tasks"
    assert not any(name.startswith("_") for name in names)
    assert {kind for _, kind, _ in signature} == {"keyword_only"}  # @attrs.define(kw_only=True)
    assert {n: d for n, _, d in signature}["tasks"] == "list()"


def test_an_inherited_keyword_only_field_goes_last(crmcore_api: griffe.Module) -> None:
    signature = _signature(crmcore_api, "orders.Order")
    assert signature[0] == ("id", "positional_or_keyword", None)
    assert signature[-1] == ("version", "keyword_only", "0")


def test_a_hand_written_init_is_kept(crmcore_api: griffe.Module) -> None:
    assert [name for name, _, _ in _signature(crmcore_api, "money.Money")][:2] == [
        "amount",
        "currency",
    ]


def test_the_docs_load_the_extension() -> None:
    assert "scripts/griffe_attrs.py:AttrsInit" in (ROOT / "mkdocs.yml").read_text("utf-8")
