"""``python -m crmcore``: the command line (see :mod:`crmcore.cli`)."""

import sys

from crmcore.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
