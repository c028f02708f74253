"""Running the command line in-process and writing small CSV files for the CLI tests."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from crmcore.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

OPPORTUNITIES = """\
id,owner,department,stage,amount,currency,expected_close,probability,status
A1,alice,east,qualify,1000,CNY,2026-01-15,,
A2,alice,east,proposal,2000.50,CNY,2026-02-20,,
B1,bob,west,negotiation,3000,CNY,2026-04-01,,
B2,bob,west,contract,4000,CNY,2026-05-05,25,
C1,陈静,east,needs,12.5,CNY,,,
W1,alice,east,contract,5000,CNY,2026-02-01,,won
L1,bob,west,proposal,9999,CNY,2026-03-01,,lost
"""

RECEIVABLES = """\
customer,owner,department,issue_date,due_date,outstanding,currency
华信,li,north,2026-03-01,2026-04-30,100.00,CNY
华信,li,north,2026-01-01,2026-03-31,50.25,CNY
Acme,bob,,2026-01-01,2026-03-30,10,CNY
Acme,bob,,2025-12-01,2026-01-30,20.5,CNY
Acme,bob,,2025-10-01,2025-12-31,7,USD
Zeta,li,north,2025-01-01,2025-11-01,1000,CNY
"""


@attrs.frozen
class Run:
    """The outcome of one in-process run: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Run:
    """``python -m crmcore *argv`` in-process."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def write(directory: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``directory/name`` (no newline translation) and return the path."""
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


def table_lines(text: str) -> list[list[str]]:
    """The data lines of a text table split on runs of two or more spaces."""
    import re

    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-")) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows
