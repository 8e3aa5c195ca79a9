"""``python -m tools.redrive``: replay a dead-letter queue (the runbook's step).

Only a command entry point, kept for the command the docs give: the code (to import) is ``tools.deploy.redrive``."""

import sys

from tools.deploy.redrive import main

if __name__ == "__main__":
    sys.exit(main())
