"""``python -m tools.package``: the CloudFormation package of a stage (``make package``).

Only a command entry point, kept for the command the docs give: the code (to import) is ``tools.deploy.package``."""

import sys

from tools.deploy.package import main

if __name__ == "__main__":
    sys.exit(main())
