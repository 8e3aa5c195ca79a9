"""``python -m tools.local_stack``: the local stack (``make run``).

Only a command entry point, kept for the command the docs give: the code (to import) is ``tools.stack.runner``."""

import sys

from tools.stack.runner import main

if __name__ == "__main__":
    sys.exit(main())
