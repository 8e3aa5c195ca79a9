"""Run one of the app's scheduled jobs (``@app.schedule``) now, against the running local stack.

``python -m tools.run_job --list`` lists them; ``python -m tools.run_job NAME`` calls the handler with a
CloudWatch "Scheduled Event" and a Lambda-like context, in this process, with the local stage's environment
(same flags as ``tools.local_stack``: pass ``--port``/``--dynamodb-port``/... if the stack runs on others).
``NAME`` is the handler's function name in app.py. ``--as-of 2027-01-15`` (a Shanghai day: the same wall-clock time
on that day) or ``--as-of 2027-01-15T08:01:00+08:00`` (an instant) runs the jobs as of then: the app's clock starts
there and runs on, so a reminder due that day is sent, a message held until then is released.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from tools.lambda_emulation.context import LambdaContext
from tools.lambda_emulation.schedules import scheduled_event, scheduled_jobs
from tools.stack import environment


def as_of(text: str, real_now: datetime | None = None) -> datetime:
    """``--as-of``: a day (``YYYY-MM-DD``, in Asia/Shanghai, at the current Shanghai wall-clock time) or an instant
    with an offset; ``argparse.ArgumentTypeError`` otherwise."""
    from chalicelib.core.calendar import SHANGHAI

    real_now = (real_now or datetime.now(UTC)).astimezone(SHANGHAI)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), real_now.timetz()).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day or an instant: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"an instant needs its UTC offset: {text!r}")
    return moment.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_job", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="scheduled handler(s) to run")
    parser.add_argument("--list", action="store_true", help="list the scheduled jobs")
    parser.add_argument("--as-of", type=as_of, metavar="DAY|INSTANT",
                        help="run as of a Shanghai day (YYYY-MM-DD) or an ISO instant with its offset")
    args = environment.parse_args(argv, parser)
    environment.apply_env(environment.local_env(args))
    sys.path.insert(0, str(environment.REPO_ROOT))
    import app as app_module
    from chalicelib.core import clock

    if args.as_of is not None:
        clock.run_from(args.as_of)
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
        result = handler(scheduled_event(f"member-portal-local-{name}", at=clock.now()), context)
        print(f"{name}: done" + (f" -> {result!r}" if result is not None else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
