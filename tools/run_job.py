"""Run one of the app's scheduled jobs (``@app.schedule``) now, against the running local stack.

``python -m tools.run_job --list`` lists them; ``python -m tools.run_job NAME`` calls the handler with a
CloudWatch "Scheduled Event" and a Lambda-like context, in this process, with the local stage's environment
(same flags as ``tools.local_stack``: pass ``--port``/``--dynamodb-port``/... if the stack runs on others).
``NAME`` is the handler's function name in app.py.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from tools import local_stack
from tools.sqs_poller import LambdaContext


def scheduled_event(rule: str, region: str = local_stack.REGION) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{rule}"],
        "detail": {},
    }


def scheduled_jobs(chalice_app: Any) -> dict[str, Any]:
    """Function name -> the schedule's event source config."""
    return {
        source.name: source
        for source in getattr(chalice_app, "event_sources", [])
        if type(source).__name__ == "ScheduledEventConfig"
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tools.run_job", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="scheduled handler(s) to run")
    parser.add_argument("--list", action="store_true", help="list the scheduled jobs")
    args = local_stack.parse_args(argv, parser)
    local_stack.apply_env(local_stack.local_env(args))
    sys.path.insert(0, str(local_stack.REPO_ROOT))
    import app as app_module

    jobs = scheduled_jobs(app_module.app)
    listing, names = args.list, args.names
    if listing or not names:
        print("scheduled jobs:" if jobs else "no scheduled jobs in app.py yet")
        for name, source in jobs.items():
            expression = source.schedule_expression
            expression = expression if isinstance(expression, str) else expression.to_string()
            print(f"  {name}  ({expression})")
        return 0 if listing or not names else 2
    status = 0
    for name in names:
        if name not in jobs:
            print(f"no scheduled job {name!r}; known: {', '.join(jobs) or 'none'}", file=sys.stderr)
            status = 2
            continue
        handler_module, _, attribute = jobs[name].handler_string.rpartition(".")
        handler = getattr(sys.modules.get(handler_module) or __import__(handler_module), attribute)
        context = LambdaContext(function_name=f"member-portal-local-{name}", timeout_seconds=300)
        result = handler(scheduled_event(f"member-portal-local-{name}"), context)
        print(f"{name}: done" + (f" -> {result!r}" if result is not None else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
