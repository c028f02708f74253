"""Print a constraints file that installs the *lowest* runtime versions pyproject.toml allows.

Every other package keeps its pin from constraints.txt. `.ci/run` installs crmcore's tests
with it into a separate venv, so the lower bounds in pyproject.toml are tested, not hoped:

    python scripts/min_constraints.py > /tmp/min.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BOUND = re.compile(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lowest_runtime() -> dict[str, str]:
    """``{name: lowest version}`` for each runtime dependency (each must have a ``>=``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lowest: dict[str, str] = {}
    for requirement in project["dependencies"]:
        match = _BOUND.match(requirement)
        if match is None:
            raise SystemExit(f"pyproject.toml: {requirement!r} has no plain '>=' lower bound")
        lowest[_normal(match.group(1))] = match.group(2)
    return lowest


def main() -> int:
    lowest = lowest_runtime()
    print("# lowest runtime versions (scripts/min_constraints.py); the rest from constraints.txt")
    for name, version in sorted(lowest.items()):
        print(f"{name}=={version}")
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if _normal(line.split("==", 1)[0]) not in lowest:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
