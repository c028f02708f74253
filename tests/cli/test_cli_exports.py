"""Real exports: header aliases, --columns mappings, grouped numbers, stage and status names,
credit notes, and the columnar engine giving the same report as the streaming reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_helpers import EXAMPLES, run, write

SALESFORCE = (
    "Opportunity ID,Opportunity Owner,Stage,Amount,Opportunity Currency,Close Date,"
    "Probability (%)\n"
    'S-1,Ann,Proposal,"120,000.00",CNY,2026-04-30,\n'
    "S-2,Ann,PROPOSAL,500,CNY,2026-05-30,\n"
    "S-3,Bo,Closed Won,7000,CNY,2026-02-01,\n"
    'S-4,Bo,Closed Lost,"1,000",CNY,2026-02-01,\n'
    "S-5,Bo,needs,100.5,CNY,2026-06-30,35%\n"
)
CHINESE = (
    '商机编号,负责人,阶段,金额,币种\nC-1,张伟,proposal,"1,000",CNY\nC-2,李娜,Qualify,50,CNY\n'
)


@pytest.mark.parametrize("engine", ["stream", "columnar"])
def test_a_salesforce_export_as_it_is(capsys, tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "sf.csv", SALESFORCE)
    result = run(
        capsys, "forecast", path, "--format", "json", "--engine", engine, "--target", "100000"
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["records"] == 5
    assert [
        (r["stage"], r["count"], r["amount"], r["weighted_amount"]) for r in report["rows"]
    ] == [
        ("needs", 1, "100.50", "35.175"),
        ("proposal", 2, "120500.00", "72300.00"),
    ]
    assert report["target"]["closed_won"] == "7000.00"


@pytest.mark.parametrize("engine", ["stream", "columnar"])
def test_chinese_headers_and_a_columns_mapping(capsys, tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "cn.csv", CHINESE)
    result = run(capsys, "forecast", path, "--by", "owner", "--format", "csv", "--engine", engine)
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == [
        "张伟,1,1000.00,600.00,CNY",
        "李娜,1,50.00,5.00,CNY",
        "(total),2,1050.00,605.00,CNY",
    ]
    renamed = write(tmp_path, "own.csv", CHINESE.replace("负责人", "Sales Rep"))
    assert run(capsys, "forecast", renamed, "--engine", engine).code == 1
    mapped = run(
        capsys,
        "forecast",
        renamed,
        "--columns",
        "owner='Sales Rep'",
        "--by",
        "owner",
        "--format",
        "csv",
        "--engine",
        engine,
    )
    assert mapped.out == result.out
    mapping = write(tmp_path, "map.json", json.dumps({"owner": "Sales Rep"}))
    from_file = run(
        capsys,
        "forecast",
        renamed,
        "--columns-file",
        mapping,
        "--by",
        "owner",
        "--format",
        "csv",
        "--engine",
        engine,
    )
    assert from_file.out == result.out


def test_mapping_mistakes(capsys, tmp_path: Path) -> None:
    path = write(tmp_path, "cn.csv", CHINESE)
    missing = run(capsys, "forecast", path, "--columns", "owner=Seller")
    assert missing.code == 1
    assert "--columns owner='Seller': the header has no such column" in missing.err
    unknown = run(capsys, "forecast", path, "--columns", "region=阶段")
    assert unknown.code == 2
    assert "--columns: unknown column 'region'" in unknown.err
    assert run(capsys, "forecast", path, "--columns", "owner").code == 2
    bad = write(tmp_path, "bad.json", "[1]")
    assert "expected a JSON object" in run(capsys, "forecast", path, "--columns-file", bad).err
    broken = write(tmp_path, "broken.json", "{")
    assert "not valid JSON" in run(capsys, "forecast", path, "--columns-file", broken).err
    gone = run(capsys, "forecast", path, "--columns-file", tmp_path / "none.json")
    assert "no such file" in gone.err
    assert run(capsys, "forecast", path, "--input-locale", "xx_YY").code == 2


def test_numbers_in_another_locale(capsys, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "de.csv",
        "id;owner;stage;amount;currency\nD-1;Ann;proposal;1.234,50;EUR\nD-2;Ann;needs;2,5;EUR\n",
    )
    result = run(
        capsys, "forecast", path, "--delimiter", ";", "--input-locale", "de_DE", "--format", "csv"
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "(total),2,1237.00,741.70,EUR"


@pytest.mark.parametrize("engine", ["stream", "columnar"])
def test_a_credit_note_in_aging(capsys, tmp_path: Path, engine: str) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "Account Name,Account Owner,Invoice Date,Due Date,Balance,Currency\n"
        'acme,Ann,2026-01-01,2026-02-01,"1,200.00",CNY\n'
        "acme,Ann,2026-01-05,2026-02-05,-200.00,CNY\n",
    )
    result = run(
        capsys, "aging", path, "--as-of", "2026-03-31", "--format", "csv", "--engine", engine
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "acme,CNY,0.00,0.00,1000.00,0.00,0.00,0.00,1000.00,2"


@pytest.mark.parametrize(
    ("command", "name", "extra"),
    [
        ("forecast", "opportunities.csv", ["--by", "owner,quarter", "--target", "2000000"]),
        ("aging", "receivables.csv", ["--as-of", "2026-03-31", "--by", "owner"]),
    ],
)
def test_the_columnar_engine_reports_exactly_what_streaming_reports(
    capsys, command: str, name: str, extra: list[str]
) -> None:
    for kind in ("json", "table"):
        streamed = run(
            capsys, command, EXAMPLES / name, *extra, "--format", kind, "--engine", "stream"
        )
        columnar = run(
            capsys, command, EXAMPLES / name, *extra, "--format", kind, "--engine", "columnar"
        )
        assert columnar.code == streamed.code == 0
        assert columnar.out == streamed.out


def test_bad_rows_fall_back_to_the_streaming_report(capsys, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "id,owner,stage,amount,currency\nA,x,proposal,abc,CNY\n")
    result = run(capsys, "forecast", path, "--engine", "columnar")
    assert result.code == 1
    assert f"{path}:2: amount: 'abc' is not a decimal number" in result.err
    fine = write(
        tmp_path,
        "jpy.csv",
        "customer,owner,issue_date,due_date,outstanding,currency\nc,o,2026-01-01,2026-01-01,5.5,JPY\n",
    )
    jpy = run(capsys, "aging", fine, "--as-of", "2026-03-31", "--engine", "columnar")
    assert jpy.code == 1
    assert "has more decimals than JPY's 0" in jpy.err
    gbk = run(
        capsys,
        "aging",
        fine,
        "--as-of",
        "2026-03-31",
        "--encoding",
        "latin-1",
        "--engine",
        "columnar",
    )
    assert "has more decimals than JPY's 0" in gbk.err


@pytest.mark.parametrize("engine", ["stream", "columnar"])
@pytest.mark.parametrize("locale", [None, "en_US", "ar_EG"])
def test_digits_other_than_ascii_are_refused_by_every_engine(
    capsys, tmp_path: Path, engine: str, locale: str | None
) -> None:
    """Arabic-Indic and full-width digits are named and refused, never read as numbers (the
    streaming reader with an input locale took '١٢٣' as 123; the columnar one crashed)."""
    body = "id,owner,stage,amount,currency\nA,x,proposal,١٢٣,CNY\nB,x,proposal,４５,CNY\n"
    path = write(tmp_path, "digits.csv", body)
    extra = [] if locale is None else ["--input-locale", locale]
    result = run(capsys, "forecast", path, "--engine", engine, *extra)
    assert result.code == 1
    assert f"{path}:2: amount: '١٢٣' is not a decimal number (write the digits as 0-9)" in (
        result.err
    )
    assert f"{path}:3: amount: '４５' is not a decimal number (write the digits as 0-9)" in (
        result.err
    )
    assert "internal error" not in result.err
