"""`python -m ddad_lite SUBCOMMAND ...`: hands over to the command line in cli/ (cli/main.py)."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
