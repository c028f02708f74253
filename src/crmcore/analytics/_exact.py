"""The analytics engine's decimal context: crmcore's, with any rounding trapped."""

from __future__ import annotations

from decimal import Inexact
from typing import Final

from crmcore._decimal import CONTEXT

__all__ = ["EXACT"]

#: Sums and products of money: any rounding raises instead of losing a cent silently.
EXACT: Final = CONTEXT.copy()
EXACT.traps[Inexact] = True
