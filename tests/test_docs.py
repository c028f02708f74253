"""Every example in README.md and docs/*.md runs: ``python`` blocks execute in order in one
namespace per file; ``pycon`` blocks are doctests whose printed output must match."""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcore.money import _currency

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^```(python|pycon)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: Path) -> list[tuple[str, str, int]]:
    text = page.read_text(encoding="utf-8")
    return [(m[1], m[2], text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


@pytest.fixture(autouse=True)
def _currencies_as_they_were() -> Iterator[None]:
    """A page that registers a currency (money.md registers XTS with 4 decimals) leaves
    the process's registry as it found it, for the tests that run after it."""
    registry, overrides = dict(_currency._REGISTRY), dict(_currency._OVERRIDES)
    yield
    _currency._REGISTRY.clear()
    _currency._REGISTRY.update(registry)
    _currency._OVERRIDES.clear()
    _currency._OVERRIDES.update(overrides)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    found = blocks(page)
    for kind, code, line in found:
        if kind == "python":
            exec(compile(code, f"{page.name}:{line}", "exec", dont_inherit=True), namespace)
        else:
            test = doctest.DocTestParser().get_doctest(code, namespace, page.name, str(page), line)
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy of the namespace
            assert runner.failures == 0, f"{page.name}:{line}: a pycon example's output differs"
    if page.name != "index.md":
        assert found, f"{page.name} has no example"
