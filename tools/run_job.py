"""``python -m tools.run_job``: run one of the app's scheduled jobs now, against the local stack.

Only a command entry point, kept for the command the docs give: the code (to import) is ``tools.stack.run_job``."""

import sys

from tools.stack.run_job import main

if __name__ == "__main__":
    sys.exit(main())
