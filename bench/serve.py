"""Fallback server for the HTTP bench when there is no local stack runner: ``python -m bench.serve HOST PORT``.

Serves ``app.app`` with chalice's local dev server in its own process (so the load generator does not share
its interpreter lock); the environment (endpoints, tables) comes from the parent. Stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


def main(argv: list[str]) -> None:
    from chalice.config import Config
    from chalice.local import create_local_server

    import app as application

    host, port = argv[0], int(argv[1])
    config = Config.create(chalice_stage="local", app_name=application.app.app_name, chalice_app=application.app)
    server = create_local_server(application.app, config, host, port)

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
