"""Follow docs/getting-started.md literally, as a new user would, in a fresh copy and venv.

    python scripts/new_user.py            # copy the checkout to a temporary folder, run there

Copies the checkout (without .venv, .git and build output) to a temporary folder, runs the
page's ``bash`` blocks there in order (they make ``.venv`` and ``pip install .``), then runs
the page's ``python`` and ``pycon`` blocks in one session with that venv's Python — the one
the page told the user to make. Stdlib only, since the fresh venv has nothing but crmcore.
Exit status 0 when every block ran and every printed output matched.
"""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["blocks", "main", "run_examples"]

ROOT: Final = Path(__file__).resolve().parent.parent
PAGE: Final = Path("docs/getting-started.md")
FENCE: Final = re.compile(r"^```(bash|python|pycon)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP: Final = shutil.ignore_patterns(".venv", ".git", "site", "__pycache__", "*.sqlite3", "build")


def blocks(text: str) -> list[tuple[str, str, int]]:
    """The fenced blocks of a page: (language, code, line number)."""
    return [(m[1], m[2], text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def run_examples(page: Path) -> int:
    """Run the page's python and pycon blocks in one namespace; the number of failures."""
    namespace: dict[str, object] = {"__name__": "getting_started"}
    failures = 0
    for kind, code, line in blocks(page.read_text(encoding="utf-8")):
        if kind == "python":
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        elif kind == "pycon":
            test = doctest.DocTestParser().get_doctest(code, namespace, page.name, str(page), line)
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)
            failures += runner.failures
    return failures


def main(argv: list[str]) -> int:
    """Copy, install as the page says, run the page's examples with the new venv."""
    if argv[:1] == ["--examples"]:
        return 1 if run_examples(Path(argv[1])) else 0
    with tempfile.TemporaryDirectory(prefix="crmcore-new-user-") as tmp:
        checkout = Path(tmp) / "crmcore"
        shutil.copytree(ROOT, checkout, ignore=SKIP)
        text = (checkout / PAGE).read_text(encoding="utf-8")
        for kind, code, line in blocks(text):
            if kind == "bash":
                print(f"$ ({PAGE}:{line})\n{code}", flush=True)
                subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=checkout, check=True)
        python = checkout / ".venv" / "bin" / "python"
        done = subprocess.run(
            [
                str(python),
                str(checkout / "scripts" / "new_user.py"),
                "--examples",
                str(checkout / PAGE),
            ],
            cwd=tmp,
            check=False,
        )
        print("getting-started.md followed literally:", "ok" if done.returncode == 0 else "FAILED")
        return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
