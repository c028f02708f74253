"""``python -m crmcore`` and the ``crmcore`` console script: the command line of crmcore.cli."""

import sys

from crmcore.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
