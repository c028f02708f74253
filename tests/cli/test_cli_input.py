"""Reading the files: bad rows with their line, column and value; headers, encodings, files."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crmcore.cli import _input, _progress
from crmcore.cli._input import CsvFile, Problems, parse_percent
from crmcore.cli._progress import Progress
from tests.cli.cli_helpers import OPPORTUNITIES, RECEIVABLES, run, write

HEADER = "id,owner,stage,amount,currency,expected_close,probability,status,category\n"


def test_bad_rows_name_line_column_and_value(capsys, tmp_path):
    text = (
        HEADER
        + "1,a,qualify,abc,CNY,,,,\n"
        + "2,b,closing,10,CNY,,,,\n"
        + "\n"
        + "3,c,needs,-5,CNY,,,,\n"
        + '"4",d,needs,"1\n0",CNY,,,,\n'  # a quoted field over two lines
        + "5,e\n"
        + "6,f,needs,1,CNY,2026-13-01,,,\n"
        + "7,g,needs,1,CNY,,120,,\n"
        + "8,h,needs,1,CNY,,,maybe,\n"
        + "9,i,needs,1,CNY,,,,likely\n"
        + " ,j,needs,1,CNY,,,,\n"
        + "11,k,needs,1,CNY,,,,\n"
    )
    path = write(tmp_path, "opportunities.csv", text)
    result = run(capsys, "forecast", path)
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [
        f"crmcore forecast: {path}:2: amount: 'abc' is not a decimal number",
        f"{path}:3: stage: 'closing' is not a stage of the sales process 'default' "
        "(qualify, needs, proposal, negotiation, contract; or won / lost)",
        f"{path}:5: amount: '-5' is negative; amounts must be >= 0",
        f"{path}:6: amount: '1\\n0' is not a decimal number",
        f"{path}:8: has 2 fields where the header has 9",
        f"{path}:9: expected_close: '2026-13-01' is not a date (use YYYY-MM-DD)",
        f"{path}:10: probability: '120' is not a percentage between 0 and 100",
        f"{path}:11: status: 'maybe' is not one of open, won, lost, invalid",
        f"{path}:12: category: 'likely' is not one of pipeline, best_case, commit, closed, "
        "omitted",
        f"{path}:13: id: is empty (a value is required)",
        f"{path}: 10 bad rows; nothing was computed",
    ]


def test_the_first_bad_rows_are_shown_and_all_are_counted(capsys, tmp_path):
    rows = "".join(f"{i},a,needs,x{i},CNY,,,,\n" for i in range(25))
    path = write(tmp_path, "o.csv", HEADER + "ok,a,needs,1,CNY,,,,\n" + rows)
    result = run(capsys, "forecast", path, "--max-errors", "3")
    assert result.code == 1
    assert result.err.splitlines() == [
        f"crmcore forecast: {path}:3: amount: 'x0' is not a decimal number",
        f"{path}:4: amount: 'x1' is not a decimal number",
        f"{path}:5: amount: 'x2' is not a decimal number",
        f"{path}: ... and 22 more bad rows",
        f"{path}: 25 bad rows; nothing was computed",
    ]


def test_one_bad_row_is_singular(capsys, tmp_path):
    path = write(tmp_path, "o.csv", HEADER + "1,a,needs,zz,CNY,,,,\n")
    assert run(capsys, "forecast", path).err.endswith("1 bad row; nothing was computed\n")


def test_headers_are_matched_loosely_and_extra_columns_ignored(capsys, tmp_path):
    text = (
        "Opportunity ID,Owner,Customer,Stage,Amount,Currency,Close-Date\nx,a,ACME,needs,10,CNY,\n"
    )
    path = write(tmp_path, "o.csv", text)
    result = run(capsys, "forecast", path, "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["total"]["weighted_amount"] == "4.00"


def test_missing_and_doubled_columns(capsys, tmp_path):
    missing = write(tmp_path, "m.csv", "id,owner,Stage\n1,a,needs\n")
    result = run(capsys, "forecast", missing)
    assert result.code == 1
    assert result.err == (
        f"crmcore forecast: {missing}:1: missing column amount (the header has: id, owner, "
        "Stage)\n"
    )
    two = write(tmp_path, "t.csv", "customer,due_date\n")
    assert (
        "missing columns owner, issue_date, outstanding"
        in run(capsys, "aging", two, "--as-of", "2026-01-01").err
    )
    doubled = write(tmp_path, "d.csv", "id,owner,stage,amount,close_date,expected_close\n")
    assert (
        f"{doubled}:1: columns 'close_date' and 'expected_close' both give the expected_close"
        in run(capsys, "forecast", doubled, "--currency", "CNY").err
    )


@pytest.mark.parametrize("command", [["forecast"], ["aging", "--as-of", "2026-01-01"]])
@pytest.mark.parametrize("content", ["", "\n", " , \n"])
def test_an_empty_file_is_bad_input(capsys, tmp_path, command, content):
    path = write(tmp_path, "empty.csv", content)
    result = run(capsys, command[0], path, *command[1:])
    assert result.code == 1
    assert f"{path}: the file is empty; expected a header row with the columns" in result.err


def test_a_byte_order_mark_is_read_as_utf8(capsys, tmp_path):
    plain = write(tmp_path, "plain.csv", OPPORTUNITIES)
    bom = write(tmp_path, "bom.csv", OPPORTUNITIES, encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    expected = run(capsys, "forecast", plain, "--format", "csv").out
    assert run(capsys, "forecast", bom, "--format", "csv").out == expected
    # even when told the encoding is plain utf-8, the BOM does not spoil the first column
    assert run(capsys, "forecast", bom, "--format", "csv", "--encoding", "utf-8").out == expected


def test_crlf_line_ends(capsys, tmp_path):
    path = write(tmp_path, "crlf.csv", RECEIVABLES.replace("\n", "\r\n"))
    result = run(capsys, "aging", path, "--as-of", "2026-03-31", "--format", "csv")
    assert result.code == 0
    assert list(csv.reader(io.StringIO(result.out)))[-2][-2:] == ["1180.75", "5"]


def test_other_encodings_need_the_encoding_option(capsys, tmp_path):
    path = write(tmp_path, "gbk.csv", RECEIVABLES, encoding="gbk")
    refused = run(capsys, "aging", path, "--as-of", "2026-03-31")
    assert refused.code == 1
    assert refused.err.startswith(f"crmcore aging: {path}:2: not valid utf-8-sig text")
    assert "pass --encoding" in refused.err
    read = run(capsys, "aging", path, "--as-of", "2026-03-31", "--encoding", "gbk")
    assert read.code == 0
    assert "华信" in read.out


def test_an_undecodable_header(capsys, tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("客户,owner\n".encode("gbk"))
    result = run(capsys, "aging", path, "--as-of", "2026-03-31")
    assert result.code == 1
    assert f"{path}:1: not valid utf-8-sig text" in result.err


def test_a_field_too_large_for_csv(capsys, tmp_path):
    path = write(tmp_path, "big.csv", HEADER + "1,a,needs,1,CNY,,,,\n" + "x" * 200_000 + "\n")
    result = run(capsys, "forecast", path)
    assert result.code == 1
    assert f"{path}:3: field larger than field limit" in result.err


def test_semicolons_and_tabs(capsys, tmp_path):
    semi = write(tmp_path, "s.csv", OPPORTUNITIES.replace(",", ";"))
    tabs = write(tmp_path, "t.csv", OPPORTUNITIES.replace(",", "\t"))
    expected = run(capsys, "forecast", write(tmp_path, "c.csv", OPPORTUNITIES)).out
    assert run(capsys, "forecast", semi, "--delimiter", ";").out == expected
    assert run(capsys, "forecast", tabs, "--delimiter", "\\t").out == expected


@pytest.mark.parametrize("command", [["forecast"], ["aging", "--as-of", "2026-01-01"]])
def test_unreadable_files(capsys, tmp_path, command):
    missing = run(capsys, command[0], tmp_path / "nope.csv", *command[1:])
    assert missing.code == 1
    assert missing.err == (
        f"crmcore {command[0]}: cannot read {str(tmp_path / 'nope.csv')!r}: no such file\n"
    )
    directory = run(capsys, command[0], tmp_path, *command[1:])
    assert directory.code == 1
    assert "it is a directory" in directory.err


def test_a_file_without_permission(capsys, tmp_path, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_input, "open", refuse, raising=False)
    result = run(capsys, "forecast", tmp_path / "x.csv")
    assert result.code == 1
    assert result.err.endswith("x.csv': Permission denied\n")


def test_bad_process_files(capsys, tmp_path):
    data = write(tmp_path, "o.csv", OPPORTUNITIES)
    missing = run(capsys, "forecast", data, "--process", tmp_path / "none.json")
    assert (missing.code, "none.json': no such file" in missing.err) == (1, True)
    broken = write(tmp_path, "broken.json", '{"id": "x",\n  "stages": [}')
    result = run(capsys, "forecast", data, "--process", broken)
    assert result.code == 1
    assert f"{broken}:2:14: not valid JSON" in result.err
    wrong = write(
        tmp_path,
        "wrong.json",
        json.dumps({"id": "x", "stages": [{"name": "a", "probability": "120"}]}),
    )
    result = run(capsys, "forecast", data, "--process", wrong)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"crmcore forecast: {wrong}: not a valid sales process",
        f"{wrong}: stages[0].probability: must be between 0 % and 100 %, got 120 %",
    ]
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"id": "\xe9"}')
    assert "not valid UTF-8 text" in run(capsys, "forecast", data, "--process", latin).err
    assert "it is a directory" not in run(capsys, "forecast", data, "--process", tmp_path).err
    assert run(capsys, "forecast", data, "--process", tmp_path).code == 1


def test_percent_fields():
    assert parse_percent(" 12.5 % ", "probability").value == 12.5
    assert str(parse_percent("100", "p")) == "100 %"


def test_problems_without_a_column():
    problems = Problems("f.csv", cap=1)
    problems.add(3, None, "has 1 fields where the header has 2")
    problems.add(4, "amount", "'x' is not a decimal number")
    assert problems.report().splitlines() == [
        "f.csv:3: has 1 fields where the header has 2",
        "f.csv: ... and 1 more bad rows",
        "f.csv: 2 bad rows; nothing was computed",
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_appears_after_the_delay_and_is_erased():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, "big.csv", size=1000, position=lambda: 450, clock=clock)
    progress.update(1024)
    assert stream.getvalue() == ""  # within the first half second: nothing
    clock.now += 0.6
    progress.update(2048)
    assert stream.getvalue() == "\rbig.csv: 2,048 rows read (45 %)"
    clock.now += 0.1
    progress.update(3072)  # too soon after the last update
    assert progress.shown
    clock.now += 0.3
    progress.update(4096)
    assert stream.getvalue().endswith("\rbig.csv: 4,096 rows read (45 %)")
    progress.finish()
    assert stream.getvalue().endswith("\r" + " " * 31 + "\r")
    assert not progress.shown
    progress.finish()  # nothing more to erase


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_only(capsys, tmp_path, monkeypatch):
    rows = "".join(f"{i},a,needs,1,CNY,,,,\n" for i in range(3000))
    path = write(tmp_path, "big.csv", HEADER + rows)
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    quiet = run(capsys, "forecast", path)
    assert (quiet.code, quiet.err) == (0, "")  # stderr is not a terminal: no progress at all
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert run(capsys, "forecast", path).code == 0
    shown = terminal.getvalue()
    assert f"\r{path}: 1,024 rows read (" in shown
    assert f"\r{path}: 2,048 rows read (" in shown
    assert shown.endswith("\r")  # erased before the report


def test_reading_stops_yielding_after_the_first_problem(tmp_path):
    path = write(tmp_path, "o.csv", "a\n1\nx\n2\n")

    def build(row: list[str]) -> int:
        if not row[0].isdigit():
            from crmcore.cli._input import RowError

            raise RowError("a", f"{row[0]!r} is not a number")
        return int(row[0])

    problems = Problems(str(path), 5)
    with CsvFile(str(path), {"a": ()}, ("a",)) as source:
        assert list(source.records(build, problems)) == [1]
        assert source.rows_read == 3
    assert problems.count == 1


def test_progress_position_reads_the_byte_offset(tmp_path):
    path = write(tmp_path, "o.csv", "a\n1\n")
    with CsvFile(str(path), {"a": ()}, ("a",)) as source:
        assert source.size == 4
        assert list(source.records(lambda row: row[0], Problems("x", 1))) == ["1"]
        assert source.position() == 4


def test_aging_shows_progress_on_a_terminal(capsys, tmp_path, monkeypatch):
    rows = "".join(f"c{i % 7},o,2026-01-01,2026-02-01,1.5,CNY\n" for i in range(2100))
    path = write(
        tmp_path, "r.csv", "customer,owner,issue_date,due_date,outstanding,currency\n" + rows
    )
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    result = run(capsys, "aging", path, "--as-of", "2026-03-31", "--format", "json")
    assert json.loads(result.out)["totals"][0]["total"] == "3150.00"
    assert f"{path}: 1,024 rows read" in terminal.getvalue()


def test_progress_without_a_size_shows_rows_only():
    stream = io.StringIO()
    progress = Progress(stream, "pipe", clock=lambda: 0.0, delay=0.0)
    progress.update(5000)
    assert stream.getvalue() == "\rpipe: 5,000 rows read"


def test_a_truncated_character_at_the_end_of_the_file(capsys, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(HEADER.encode() + b"1,a,needs,1,CNY,,,,\n" + "张".encode()[:2])
    result = run(capsys, "forecast", path)
    assert result.code == 1
    assert f"{path}:3: not valid utf-8-sig text" in result.err


def test_the_parse_cache_starts_over_when_full(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(_input, "_CACHE_SIZE", 2)
    path = write(tmp_path, "r.csv", RECEIVABLES)
    result = run(capsys, "aging", path, "--as-of", "2026-03-31", "--format", "json")
    assert json.loads(result.out)["totals"][0]["total"] == "1180.75"
