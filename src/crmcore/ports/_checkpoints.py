"""Named points inside an adapter's commit where a test may pause or kill the process.

Adapters call ``checkpoint`` just before each statement of a commit; nothing happens unless a test
installed a hook with ``set_checkpoint_hook``. The conformance kit uses it to kill a committing
child process at every statement (atomicity of state and outbox) and to make concurrent commits
meet between their statements (lost updates)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CheckpointHook", "checkpoint", "set_checkpoint_hook"]

#: Called with the label of the statement about to run.
CheckpointHook = Callable[[str], None]

_hook: CheckpointHook | None = None


def checkpoint(label: str) -> None:
    """Mark that the statement ``label`` of a commit is about to run (free without a hook)."""
    if _hook is not None:
        _hook(label)


def set_checkpoint_hook(hook: CheckpointHook | None) -> CheckpointHook | None:
    """Install ``hook`` for this process (None removes it); returns the previous one."""
    global _hook
    previous, _hook = _hook, hook
    return previous
