"""Every page of docs/ is on the path: mkdocs.yml's nav lists it, and lists nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _pages(value)]
    return []


def _nav() -> list[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return _pages(config["nav"])


def test_every_docs_page_is_in_the_nav() -> None:
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    missing = sorted(on_disk - set(_nav()))
    assert not missing, f"add these pages to the nav of mkdocs.yml (one group each): {missing}"


def test_the_nav_names_only_pages_that_exist_once() -> None:
    nav = _nav()
    assert sorted(p for p in nav if not (DOCS / p).is_file()) == []
    assert len(nav) == len(set(nav))


def test_getting_started_comes_first_after_home() -> None:
    assert _nav()[:2] == ["index.md", "getting-started.md"]


def test_docstrings_cross_reference_with_mkdocstrings_not_sphinx_roles() -> None:
    role = re.compile(r":(func|class|meth|attr|mod|data|exc|obj):`")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if role.search(line)
    ]
    assert not found, f"write [`name`][crmcore.package.name] instead of a Sphinx role: {found}"
