"""The mutation list: each bug of ``tests/adapters/mutants.py`` planted in a copy of the
PostgreSQL adapter must make the conformance kit fail (in the kit tests named for it), and
the unmutated copy must pass those same tests — so the harness itself is not what fails."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.adapters.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "src" / "crmcore" / "adapters" / "postgres"


def _copy(mutant: Mutant | None, into: Path) -> str:
    """Write the adapter (mutated, or not) as package ``mutant_<name>``; its name."""
    package = f"mutant_{mutant.name if mutant else 'control'}"
    folder = into / package
    folder.mkdir()
    for source in sorted(ADAPTER.glob("*.py")):
        text = source.read_text().replace("crmcore.adapters.postgres.", f"{package}.")
        if mutant is not None and source.name == "_database.py":
            for old, new in mutant.edits:
                assert text.count(old) == 1, f"{mutant.name}: the edit no longer applies: {old!r}"
                text = text.replace(old, new)
        (folder / source.name).write_text(text)
    return package


def _run_kit(runs: dict[str, tuple[str, ...]], into: Path) -> dict[str, dict[str, str]]:
    """Run, in one pytest process, the named kit tests against each copy (package name →
    tests); per package, the outcome of each test ('passed' or its failure's first line)."""
    (into / "conftest.py").write_text(
        "from tests.conftest import postgres_conninfo, postgres_schema  # noqa: F401\n"
    )
    lines = ["from tests.adapters.postgres_kit import PostgresKit"]
    for package in runs:
        lines.append(f"import {package}")
        lines.append(
            f"class Test_{package}(PostgresKit):\n    database = {package}.PostgresDatabase"
        )
    (into / "test_mutants.py").write_text("\n\n".join(lines) + "\n")
    selected = " or ".join(
        f"(Test_{package} and ({' or '.join(tests)}))" for package, tests in runs.items()
    )
    report = into / "report.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(into), str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("--rootdir", str(into), "-c", os.devnull, "-k", selected),
            *(f"--junitxml={report}", str(into / "test_mutants.py")),
        ],
        env=env,
        cwd=into,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert report.exists(), f"the kit did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    outcomes: dict[str, dict[str, str]] = {package: {} for package in runs}
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        message = "passed" if problem is None else (problem.get("message") or "failed")
        package = case.get("classname", "").rsplit(".Test_", 1)[-1]
        outcomes[package][case.get("name", "?")] = (message.splitlines() or ["failed"])[0]
    return outcomes


def test_every_bug_planted_in_the_postgres_adapter_makes_the_kit_fail(
    tmp_path: Path, postgres_conninfo: str
) -> None:
    runs = {_copy(mutant, tmp_path): mutant.caught_by for mutant in MUTANTS}
    control = _copy(None, tmp_path)
    runs[control] = tuple(sorted({name for m in MUTANTS for name in m.caught_by}))
    outcomes = _run_kit(runs, tmp_path)
    assert outcomes.pop(control) == dict.fromkeys(runs[control], "passed"), (
        "the unmutated copy fails: the harness, not the mutants, is broken"
    )
    escaped = []
    for mutant in MUTANTS:
        seen = outcomes[f"mutant_{mutant.name}"]
        assert set(seen) == set(mutant.caught_by), f"{mutant.name}: kit tests not run: {seen}"
        if all(why == "passed" for why in seen.values()):
            escaped.append(f"{mutant.name} ({mutant.bug})")
    assert not escaped, f"planted bugs the kit missed: {escaped}"
