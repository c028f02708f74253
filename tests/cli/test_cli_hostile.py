"""Issue 15: the command line refuses hostile input with one message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_helpers import OPPORTUNITIES, RECEIVABLES, run, write


@pytest.mark.parametrize("encoding", ["hex", "rot13", "base64", "punycode"])
def test_encodings_that_are_not_text_encodings_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path, "r.csv", RECEIVABLES)
    result = run(capsys, "aging", path, "--as-of", "2026-04-01", "--encoding", encoding)
    assert result.code == 2
    assert f"'{encoding}' is not a text encoding" in result.err
    assert "Traceback" not in result.err


def test_utf16_on_a_utf8_file_is_one_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "r.csv", RECEIVABLES)
    result = run(capsys, "aging", path, "--as-of", "2026-04-01", "--encoding", "utf-16")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "not valid utf-16 text" in result.err
    assert "Traceback" not in result.err


def test_a_process_nested_100000_deep_is_one_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write(tmp_path, "o.csv", OPPORTUNITIES)
    process = write(tmp_path, "p.json", "[" * 100_000 + "]" * 100_000)
    result = run(capsys, "forecast", data, "--process", process)
    assert result.code == 1
    assert f"{process}: not a valid sales process" in result.err
    assert "Traceback" not in result.err


def test_csv_output_escapes_formulas_unless_raw(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "customer,owner,department,issue_date,due_date,outstanding,currency\n"
        "\"=cmd|' /C calc'!A0\",@evil,-x,2026-03-01,2026-04-30,100.00,CNY\n",
    )
    args = ("aging", path, "--as-of", "2026-04-01", "--by", "customer", "--format", "csv")
    escaped = run(capsys, *args)
    assert escaped.code == 0
    assert "\n'=cmd|' /C calc'!A0,CNY,100.00," in escaped.out
    assert "\n=" not in escaped.out
    raw = run(capsys, *args, "--raw")
    assert "\n=cmd|' /C calc'!A0,CNY,100.00," in raw.out


def test_an_out_of_range_amount_is_reported_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "customer,owner,department,issue_date,due_date,outstanding,currency\n"
        "a,li,n,2026-03-01,2026-04-30,1000000000000000000000,CNY\n",
    )
    result = run(capsys, "aging", path, "--as-of", "2026-04-01")
    assert result.code == 1
    assert f"{path}:2: outstanding: '1000000000000000000000' is out of range" in result.err
