"""The entry point: help, exit statuses, the registry of subcommands, and a real process."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from crmcore.cli import COMMANDS, Command, _main, main
from crmcore.cli._main import build_parser
from tests.cli.cli_helpers import EXAMPLES, OPPORTUNITIES, ROOT, run, write


def test_help_lists_the_commands(capsys):
    result = run(capsys, "--help")
    assert result.code == 0
    assert "forecast  the weighted pipeline forecast of an opportunities CSV" in result.out
    assert "aging     aging buckets of the open installments" in result.out
    assert "demo      play a month of lead-to-cash" in result.out
    assert [c.name for c in COMMANDS] == ["demo", "forecast", "aging"]


@pytest.mark.parametrize("command", ["forecast", "aging"])
def test_each_command_has_help(capsys, command):
    result = run(capsys, command, "--help")
    assert result.code == 0
    assert "--format {table,csv,json}" in result.out
    assert "Exit status: 0 done, 1 bad input" in " ".join(result.out.split())


def test_version(capsys):
    result = run(capsys, "--version")
    assert (result.code, result.out.startswith("crmcore ")) == (0, True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["report"], "invalid choice: 'report'"),
        (["forecast"], "the following arguments are required: OPPORTUNITIES.csv"),
        (["forecast", "x.csv", "--colour"], "unrecognized arguments: --colour"),
        (["forecast", "x.csv", "--by", "region"], "cannot group by 'region'"),
        (["forecast", "x.csv", "--by", ","], "give at least one of stage"),
        (["forecast", "x.csv", "--by", "owner,owner"], "names a grouping twice"),
        (["forecast", "x.csv", "--by", "month,quarter"], "group by month or by quarter"),
        (["forecast", "x.csv", "--target", "lots"], "'lots' is not a decimal number"),
        (["forecast", "x.csv", "--rate", "USD"], "expected CODE=RATE"),
        (["forecast", "x.csv", "--rate", "USD=0"], "the rate for USD must be > 0"),
        (
            ["forecast", "x.csv", "--rate", "ABC=1"],
            "'ABC' is not a current ISO 4217 currency code",
        ),
        (["forecast", "x.csv", "--format", "xml"], "invalid choice: 'xml'"),
        (["forecast", "x.csv", "--locale", "xx_XX"], "'xx_XX' is not a locale known to CLDR"),
        (["forecast", "x.csv", "--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["forecast", "x.csv", "--delimiter", "ab"], "must be one character"),
        (["forecast", "x.csv", "--max-errors", "0"], "expected a whole number >= 1"),
        (["forecast", "x.csv", "--period", "2026-Q1"], "--period is the period of --target"),
        (["forecast", "x.csv", "--target", "1", "--period", "Q1"], "use a quarter (2026-Q1)"),
        (
            ["forecast", "x.csv", "--by", "month", "--target", "1", "--period", "2026-Q1"],
            "--period 2026-Q1 is not a month",
        ),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    result = run(capsys, *argv)
    assert result.code == 2
    assert message in result.err
    assert "usage: crmcore" in result.err
    assert result.out == ""


def test_a_period_implies_its_grouping(capsys, tmp_path):
    path = write(tmp_path, "o.csv", OPPORTUNITIES)
    result = run(capsys, "forecast", path, "--target", "100", "--period", "2026-02")
    assert result.code == 0
    assert "Target for 2026-02 (CNY):" in result.out


def fake(name: str, outcome: BaseException | int) -> Command:
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--flag", action="store_true")

    def run_it(args: argparse.Namespace) -> int:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return Command(name, f"{name} help", f"{name} description", configure, run_it)


def test_a_new_subcommand_only_needs_registering(capsys, monkeypatch):
    monkeypatch.setattr(_main, "COMMANDS", (*COMMANDS, fake("extra", 0)))
    assert "extra     extra help" in run(capsys, "--help").out
    assert run(capsys, "extra", "--flag").code == 0
    _, parsers = build_parser([fake("one", 0)])
    assert list(parsers) == ["one"]


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "crmcore demo: interrupted\n"),
        (_main.CrmError("a domain error"), 1, "crmcore demo: a domain error\n"),
    ],
)
def test_errors_from_a_command(capsys, monkeypatch, error, code, message):
    monkeypatch.setattr(_main, "COMMANDS", (fake("demo", error),))
    result = run(capsys, "demo")
    assert (result.code, result.err) == (code, message)


def test_a_closed_pipe_ends_quietly(capsys, monkeypatch):
    monkeypatch.setattr(_main, "COMMANDS", (fake("demo", BrokenPipeError()),))
    redirected: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "dup2", lambda a, b: redirected.append((a, b)))
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 1, raising=False)
    assert main(["demo"]) == 1
    assert [target for _, target in redirected] == [1]


def test_python_dash_m_crmcore_runs_in_a_real_process():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "crmcore", "aging", str(EXAMPLES / "receivables.csv"),
         "--as-of", "2026-03-31", "--format", "csv"],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines()[-2].startswith("(total),CNY,")
    failed = subprocess.run(
        [sys.executable, "-m", "crmcore", "forecast", "missing.csv"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr == "crmcore forecast: cannot read 'missing.csv': no such file\n"


def test_the_console_script_entry_point(capsys):
    from crmcore.__main__ import main as console_main

    assert console_main(["forecast", str(EXAMPLES / "opportunities.csv"), "--format", "json"]) == 0
    assert '"process": "default"' in capsys.readouterr().out


@pytest.mark.parametrize("command", ["demo", "forecast", "aging"])
def test_help_is_plain_text(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert f"usage: crmcore {command}" in text
    for markup in ("``", ":mod:", ":func:", ":class:", "][", "crmcore.cli._"):
        assert markup not in text, f"{command} --help shows {markup!r}"
