"""The subcommands of ``python -m crmcore``: each one a [`Command`][crmcore.cli.Command] listed in
COMMANDS.

To add a subcommand (``demo``), write a module with a ``COMMAND = Command(...)`` and add it
to `COMMANDS` in ``crmcore/cli/_commands.py``; ``--help`` lists it and [`main`][crmcore.cli.main]
dispatches to it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import attrs

__all__ = ["Command"]


@attrs.frozen
class Command:
    """One subcommand.

    Attributes:
        name: what the user types (``forecast``).
        help: one line for ``python -m crmcore --help``.
        description: the subcommand's own ``--help`` text.
        configure: adds the subcommand's arguments to its parser.
        run: does the work and returns the exit code; raises ``InputError`` for bad input
            (exit 1) and ``UsageError`` for options that do not fit together (exit 2).
    """

    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
