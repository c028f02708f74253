"""Deprecated names keep working for a release and say what replaces them."""

from __future__ import annotations

import warnings

__all__ = ["deprecated"]


def deprecated(old: str, new: str) -> None:
    """Warn the caller of ``old`` (a DeprecationWarning pointing at their line) to use ``new``."""
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)
