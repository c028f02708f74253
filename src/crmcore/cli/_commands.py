"""The list of subcommands ``python -m crmcore`` offers, in the order ``--help`` shows them.

Add a subcommand here: import its ``Command`` and append it (the ``demo`` goes here).
"""

from __future__ import annotations

from typing import Final

from crmcore.cli._aging import COMMAND as AGING
from crmcore.cli._demo import COMMAND as DEMO
from crmcore.cli._forecast import COMMAND as FORECAST
from crmcore.cli._registry import Command

__all__ = ["COMMANDS"]

COMMANDS: Final[tuple[Command, ...]] = (DEMO, FORECAST, AGING)
