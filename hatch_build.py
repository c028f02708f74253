"""Hatch build hook: compile the gettext catalogs (``.po`` → ``.mo``) into the wheel.

The ``.mo`` files are build output, never committed: the wheel gets them from this hook, and
a source checkout compiles the ``.po`` files in memory when a locale is first asked for.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("src") / "crmcore" / "locale"


def compile_catalogs(root: Path, into: Path) -> dict[str, str]:
    """Compile every ``.po`` under ``root``'s catalogs into ``into``; wheel path by file."""
    compiled = {}
    for po in sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source)
        mo = into / po.relative_to(root / LOCALE).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        compiled[str(mo)] = (Path("crmcore") / "locale" / mo.relative_to(into)).as_posix()
    return compiled


class CompileCatalogs(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled catalogs to the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads the .po files of the checkout
        self._out = tempfile.TemporaryDirectory(prefix="crmcore-mo-")
        build_data["force_include"].update(compile_catalogs(Path(self.root), Path(self._out.name)))

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            out.cleanup()
