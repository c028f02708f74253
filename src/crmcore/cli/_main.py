"""``python -m crmcore``: the parser built from the registered commands, and dispatch.

Exit status: 0 done, 1 bad input (a missing file, bad rows, bad configuration — a message on
stderr, never a traceback), 2 usage (unknown option, missing argument), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from crmcore.cli._commands import COMMANDS
from crmcore.cli._input import InputError, UsageError
from crmcore.cli._registry import Command
from crmcore.errors import CrmError

__all__ = ["build_parser", "main"]

PROG = "crmcore"


def build_parser(
    commands: Sequence[Command] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each command's own parser, by command name."""
    commands = COMMANDS if commands is None else commands
    from crmcore import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="crmcore on the command line: the lead-to-cash demo, forecasts and aging "
        "reports from CSV files.",
        epilog="Run 'crmcore COMMAND --help' for a command's options. Exit status: 0 done, "
        "1 bad input, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parsers: dict[str, argparse.ArgumentParser] = {}
    for command in commands:
        parsers[command.name] = command_parser = sub.add_parser(
            command.name, help=command.help, description=command.description
        )
        command.configure(command_parser)
    return parser, parsers


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser, parsers = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    command = next(c for c in COMMANDS if c.name == args.command)
    prefix = f"{PROG} {command.name}"
    try:
        return command.run(args)
    except UsageError as error:
        parsers[command.name].print_usage(sys.stderr)
        print(f"{prefix}: error: {error}", file=sys.stderr)
        return 2
    except (InputError, CrmError) as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (UnicodeError, RecursionError, MemoryError, OSError) as error:
        print(f"{prefix}: {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
        return 1
    except Exception as error:
        print(
            f"{prefix}: internal error ({type(error).__name__}: {str(error)[:300]}); "
            "please report it",
            file=sys.stderr,
        )
        return 1
