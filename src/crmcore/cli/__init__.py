"""The command line: ``python -m crmcore demo``, ``python -m crmcore forecast ...`` and
``python -m crmcore aging ...``.

Each subcommand is a [`Command`][crmcore.cli.Command] in `COMMANDS`; [`main`][crmcore.cli.main]
parses the arguments
and runs one, returning the exit status (0 done, 1 bad input, 2 usage).
[`run_demo`][crmcore.cli.run_demo]
plays the demo's next month on any storage; [`compute_figures`][crmcore.cli.compute_figures]
recomputes its totals.
"""

from crmcore.cli._commands import COMMANDS
from crmcore.cli._demo import DemoFigures, compute_figures, run_demo
from crmcore.cli._demo_story import MonthSummary
from crmcore.cli._main import main
from crmcore.cli._registry import Command

__all__ = [
    "COMMANDS",
    "Command",
    "DemoFigures",
    "MonthSummary",
    "compute_figures",
    "main",
    "run_demo",
]
