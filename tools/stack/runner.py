"""The local stack: the whole backend on one machine, no network and no AWS account needed.

``python -m tools.local_stack`` (or ``make run``) starts

- DynamoDB Local (AWS's engine; port 8100) and moto's server for SQS (port 8101), as child processes,
- the WeChat simulator (``tools/simulators/wechat_sim.py``; port 8102), the WeChat Pay simulator (port 8103) and the
  webhook receiver (``tools/simulators/webhook_sim.py``; port 8104), in-process,
- creates the tables and queues of ``infra/resources.json`` on them (queues with the short local retry
  settings), seeds staff, the integration key and the catalogue (``tools/stack/seed.py``),
- serves the Chalice app on ``http://127.0.0.1:8000`` the way Lambda does: gunicorn with ``--workers N``
  (default 4) sync worker processes, each importing the app once and serving one request at a time, behind a
  listener with a backlog of 2048 and ``TCP_NODELAY``; ``tools/lambda_emulation/api_gateway.py`` turns each request into
  an API Gateway proxy event and answers what API Gateway answers itself (unknown route, 29 s timeout),
- polls both SQS queues, feeding the app's ``@app.on_sqs_message`` handlers Lambda-shaped batches
  (``tools/lambda_emulation/sqs_poller.py``), and the table's stream, feeding ``@app.on_dynamodb_record`` (the
  notification dispatcher; ``tools/lambda_emulation/stream_poller.py``), since ``chalice local`` does not run event
  sources (in this process),
- and with ``--schedules`` runs the ``@app.schedule`` handlers on their schedule
  (``tools/lambda_emulation/schedules.py``).

Environment: the ``local`` stage of ``.chalice/config.json`` with the endpoints of the ports given here, then
``--env KEY=VALUE``; dummy AWS credentials, so nothing here can reach real AWS (``tools/stack/environment.py``).

When everything answers it prints ``READY <base url>`` (and writes ``--ready-file``). Ctrl-C, SIGTERM or
SIGHUP (once, twice, to the process group or to this process) stop every process it started: the signal
handler only records the signal and writes to a self-pipe; the main thread does the (idempotent) cleanup.
Scheduled jobs also run on demand with ``python -m tools.run_job NAME``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import procs
from tools.stack import environment
from tools.stack.environment import (
    DEFAULT_PORTS,
    DUMMY_AWS,
    REPO_ROOT,
    WECHATPAY_ENV_FILE,
    apply_env,
    boto_client,
    env_port,
    local_env,
)

log = logging.getLogger("local_stack")


def stack_parser() -> argparse.ArgumentParser:
    """``python -m tools.local_stack``'s own flags, on top of the shared ones."""
    parser = argparse.ArgumentParser(prog="python -m tools.local_stack", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workers", type=int, default=env_port("LOCAL_API_WORKERS", 4),
        help="API worker processes, one request at a time each, like Lambda containers (default 4)",
    )  # fmt: skip
    parser.add_argument("--schedules", action="store_true", help="run the @app.schedule jobs on their schedule")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return environment.parse_args(argv, stack_parser())


class StackError(RuntimeError):
    pass


class LocalStack:
    """Starts the pieces in order; ``stop()`` undoes whatever was started, in reverse, exactly once."""

    def __init__(self, args: argparse.Namespace, echo: Callable[[str], None] | None = None) -> None:
        self.args = args
        self.env = local_env(args)
        self.echo = echo or (lambda line: print(line, flush=True))
        self._cleanups: list[tuple[str, Callable[[], None]]] = []
        self._children: list[tuple[str, subprocess.Popen[Any]]] = []
        self._stopped = False
        self.base_url = f"http://{args.host}:{args.port}"
        self.wechat_url = f"http://{args.host}:{args.wechat_port}"
        self.webhook_url = f"http://{args.host}:{args.webhook_port}"
        self.tables: dict[str, str] = {}
        self.queues: dict[str, Any] = {}
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._check_ports_free()
        apply_env(self.env)
        self._start_dynamodb()
        self._start_sqs()
        self._start_wechat()
        self._start_wechatpay()
        self._start_webhook_receiver()
        self._provision()
        if not self.args.no_seed:
            from tools.stack import seed

            seed.seed(echo=self.echo)
        self._serve_api()
        if not self.args.no_pollers or getattr(self.args, "schedules", False):
            app_obj = self._import_app()
            if not self.args.no_pollers:
                self._start_pollers(app_obj)
            if getattr(self.args, "schedules", False):
                self._start_schedules(app_obj)
        self._announce()

    def wait(self, stop: StopSignals) -> int:
        """Block until a stop signal arrives or a child process dies; the exit code for the runner."""
        while not stop.wait(0.5):
            for name, proc in self._children:
                if proc.poll() is not None:
                    self.echo(f"ERROR: {name} exited with code {proc.returncode}; stopping (see {self.args.log_dir})")
                    return 1
        return 0

    def stop(self) -> None:
        """Undo what was started, in reverse; safe to call again (and from ``atexit``)."""
        if self._stopped:
            return
        self._stopped = True
        while self._cleanups:
            name, cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception as err:  # keep stopping the rest
                self.echo(f"WARNING: stopping {name} failed: {type(err).__name__}: {err}")
        procs.stop_all()  # anything a start cut short by a signal spawned but did not register yet

    def _on_stop(self, name: str, cleanup: Callable[[], None]) -> None:
        self._cleanups.append((name, cleanup))

    # ---------------------------------------------------------------------------------------- pieces

    def _check_ports_free(self) -> None:
        wanted = {"API": self.args.port}
        if not self.args.no_wechat:
            wanted["WeChat simulator"] = self.args.wechat_port
            wanted["WeChat Pay simulator"] = self.args.wechatpay_port
            wanted["webhook receiver"] = self.args.webhook_port
        if not self.args.dynamodb_endpoint:
            wanted["DynamoDB Local"] = self.args.dynamodb_port
        if not self.args.sqs_endpoint:
            wanted["SQS (moto)"] = self.args.sqs_port
        busy = [f"{name} port {port}" for name, port in wanted.items() if procs.port_is_open(self.args.host, port)]
        if busy:
            raise StackError(
                f"already in use: {', '.join(busy)}. Is another local stack running? "
                "Choose other ports with --port/--dynamodb-port/--sqs-port/--wechat-port."
            )

    def _start_dynamodb(self) -> None:
        if self.args.dynamodb_endpoint:
            return
        from tools.stack import dynamodb_local

        server = dynamodb_local.start(
            self.args.dynamodb_port, host=self.args.host, log_path=Path(self.args.log_dir) / "dynamodb-local.log"
        )
        self._on_stop("DynamoDB Local", server.stop)
        self._children.append(("DynamoDB Local", server.process))

    def _start_sqs(self) -> None:
        if self.args.sqs_endpoint:
            return
        log_file = open(Path(self.args.log_dir) / "moto-sqs.log", "ab")  # noqa: SIM115 - closed on stop
        proc = procs.spawn(
            [sys.executable, "-m", "moto.server", "-H", self.args.host, "-p", str(self.args.sqs_port)],
            env={**os.environ, **DUMMY_AWS},
            stdout=log_file,
        )

        def stop_moto() -> None:
            procs.stop(proc)
            log_file.close()

        self._on_stop("moto server", stop_moto)
        self._children.append(("moto server (SQS)", proc))
        url = self.env["SQS_ENDPOINT"] + "/moto-api/"
        procs.wait_until(lambda: procs.http_answers(url) is not None, timeout=60, proc=proc, what="moto server")

    def _start_wechat(self) -> None:
        if self.args.no_wechat:
            return
        try:
            from tools.simulators import wechat_sim
        except ImportError:
            self.echo("WARNING: tools/simulators/wechat_sim.py not found: WeChat logins will fail locally")
            return
        credentials = {
            "mp_app_id": self.env.get("WECHAT_MP_APP_ID", ""),
            "mp_secret": self.env.get("WECHAT_MP_SECRET", ""),
            "oa_app_id": self.env.get("WECHAT_OA_APP_ID", ""),
            "oa_secret": self.env.get("WECHAT_OA_SECRET", ""),
        }
        credentials = {key: value for key, value in credentials.items() if value}
        if hasattr(wechat_sim, "start"):
            server, _thread = wechat_sim.start(self.args.host, self.args.wechat_port, **credentials)
        elif hasattr(wechat_sim, "serve"):
            server = wechat_sim.serve(self.args.host, self.args.wechat_port)
            if procs.http_answers(self.wechat_url + "/", timeout=0.5) is None:
                threading.Thread(target=server.serve_forever, name="wechat-sim", daemon=True).start()
        else:
            self.echo("WARNING: tools/simulators/wechat_sim.py has neither start() nor serve(): WeChat simulator "
                      "not started")
            return

        def stop_wechat() -> None:
            server.shutdown()
            server.server_close()

        self._on_stop("WeChat simulator", stop_wechat)

    def _start_wechatpay(self) -> None:
        """The WeChat Pay simulator (``tools/simulators/wechatpay_sim.py``) with fresh test keys; the app gets them as
        its WECHATPAY_* variables (deployed stages take theirs from the stage's secret)."""
        if self.args.no_wechat:
            return
        from tools.simulators import wechatpay_sim

        server, _thread = wechatpay_sim.start(self.args.host, self.args.wechatpay_port)
        pay_env = server.app_env(self.base_url + wechatpay_sim.NOTIFY_PATH)
        keep = self.args.port == DEFAULT_PORTS["port"]  # the `make run` stack; test stacks keep theirs to themselves
        if keep:
            WECHATPAY_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
            WECHATPAY_ENV_FILE.write_text(json.dumps(pay_env), encoding="utf-8")
            WECHATPAY_ENV_FILE.chmod(0o600)
        self.env.update(pay_env)
        os.environ.update(pay_env)

        def stop_wechatpay() -> None:
            server.stop()
            if keep:
                WECHATPAY_ENV_FILE.unlink(missing_ok=True)

        self._on_stop("WeChat Pay simulator", stop_wechatpay)

    def _start_webhook_receiver(self) -> None:
        """The integrators' side (``tools/simulators/webhook_sim.py``): register ``<webhook_url>/hooks/<name>`` as an
        endpoint."""
        if self.args.no_wechat:
            return
        from tools.simulators import webhook_sim

        server, _thread = webhook_sim.start(self.args.host, self.args.webhook_port)
        self.webhook_url = server.base_url
        self._on_stop("webhook receiver", server.stop)

    def _provision(self) -> None:
        from tools.stack import provision

        result = provision.provision(
            dynamodb=boto_client("dynamodb", self.env["DYNAMODB_ENDPOINT"]),
            sqs=boto_client("sqs", self.env["SQS_ENDPOINT"]),
            stage="local",
            table_names={
                "MemberTable": self.env["TABLE_NAME"],
            },
            queue_names={
                "RetryQueue": self.env["RETRY_QUEUE_NAME"],
                "FollowUpQueue": self.env["FOLLOWUP_QUEUE_NAME"],
            },
            local=True,
        )
        self.tables = result.tables
        self.queues = result.queues

    def _serve_api(self) -> None:
        """gunicorn (``tools/lambda_emulation/api_gateway.py``) as a child process group: its master and ``--workers``
        workers."""
        from tools.lambda_emulation.api_gateway import gunicorn_command

        workers = max(1, int(getattr(self.args, "workers", 4) or 4))
        cmd = gunicorn_command(host=self.args.host, port=self.args.port, workers=workers)
        # The workers' environment is this process's app environment (applied above), as the old in-process
        # server had it; stdout/stderr (gunicorn's access and error logs, the app's logs) go where ours go.
        proc = procs.spawn(cmd, env=dict(os.environ), cwd=str(REPO_ROOT), stdout=None, stderr=None)
        self._on_stop("API server (gunicorn)", lambda: procs.stop(proc, timeout=5))
        self._children.append(("API server (gunicorn)", proc))
        self.workers = workers
        procs.wait_until(
            lambda: procs.http_answers(self.base_url + "/v1/health") == 200, timeout=60, proc=proc, what="API server"
        )

    def _import_app(self) -> Any:
        """The Chalice app in this process, for the SQS pollers and the schedules (the API runs in gunicorn)."""
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        import app as app_module

        return app_module.app

    def _start_schedules(self, app_obj: Any) -> None:
        from tools.lambda_emulation.schedules import Scheduler

        scheduler = Scheduler.for_app(app_obj, stage="local")
        scheduler.start()
        self._on_stop("schedules", scheduler.stop)
        self.scheduler = scheduler

    def _start_pollers(self, app_obj: Any) -> None:
        from tools.lambda_emulation.sqs_poller import PollerGroup

        group = PollerGroup.for_app(boto_client("sqs", self.env["SQS_ENDPOINT"]), app_obj, stage="local")
        group.start()
        self._on_stop("SQS pollers", lambda: group.stop(timeout=2.0))
        self.pollers = group
        from tools.lambda_emulation import stream_poller

        streams = stream_poller.for_app(boto_client("dynamodb", self.env["DYNAMODB_ENDPOINT"]),
                                        boto_client("dynamodbstreams", self.env["DYNAMODB_ENDPOINT"]), app_obj,
                                        self.env["TABLE_NAME"])
        for poller in streams:
            poller.start()

        def stop_streams() -> None:
            for poller in streams:
                poller.stop()
            for poller in streams:
                poller.join(2.0)

        self._on_stop("stream pollers", stop_streams)
        self.stream_pollers = streams

    def endpoints(self) -> dict[str, Any]:
        return {
            "api": self.base_url,
            "wechat": self.wechat_url,
            "webhook_receiver": self.webhook_url,
            "dynamodb": self.env["DYNAMODB_ENDPOINT"],
            "sqs": self.env["SQS_ENDPOINT"],
            "tables": self.tables,
            "queues": {logical_id: queue.url for logical_id, queue in self.queues.items()},
            "pid": os.getpid(),
        }

    def _announce(self) -> None:
        base = self.base_url
        json_header = "-H 'Content-Type: application/json'"
        polled = ", ".join([p.function_name for p in getattr(getattr(self, "pollers", None), "pollers", [])]
                           + [p.function_name for p in getattr(self, "stream_pollers", [])]) or "none"
        scheduler = getattr(self, "scheduler", None)
        scheduled = (
            ", ".join(f"{job.name} {job.expression}" for job in scheduler.jobs)
            if scheduler is not None
            else "off (--schedules runs them; python -m tools.run_job NAME runs one now)"
        )
        lines = [
            "",
            "Member portal local stack",
            f"  API             {base}  ({getattr(self, 'workers', '?')} worker processes, gunicorn)",
            f"  DynamoDB Local  {self.env['DYNAMODB_ENDPOINT']}  tables: {', '.join(self.tables.values())}",
            f"  SQS (moto)      {self.env['SQS_ENDPOINT']}  queues: {', '.join(q.name for q in self.queues.values())}",
            f"  WeChat sim      {self.wechat_url}",
            f"  webhook sim     {self.webhook_url}/hooks/<name>  (received: {self.webhook_url}/__sim/deliveries)",
            f"  SQS/stream      {polled}",
            f"  schedules       {scheduled}",
            f"  logs            {self.args.log_dir}",
            "",
            "Try:",
            f"  curl -s {base}/v1/health",
            "  export PHONE=139$(date +%s | tail -c 9)   # a made-up 11-digit number",
            f'  curl -s -X POST {base}/v1/auth/app/otp {json_header} -d "{{\\"phone\\": \\"$PHONE\\"}}"',
            f'  OTP=$(curl -s "{base}/v1/dev/sms-outbox?phone=$PHONE" | python3 -c '
            '\'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])\')',
            f"  curl -s -X POST {base}/v1/auth/app/login {json_header} "
            '-d "{\\"phone\\": \\"$PHONE\\", \\"otp\\": \\"$OTP\\"}"',
            f"  curl -s -X POST {base}/v1/staff/login {json_header} "
            '-d \'{"username": "agent", "password": "agent-local-pass"}\'',
            "  python -m tools.run_job --list        # scheduled jobs, on demand",
            "",
            "Ctrl-C stops everything.",
        ]
        for line in lines:
            self.echo(line)
        if self.args.ready_file:
            path = Path(self.args.ready_file)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(json.dumps(self.endpoints(), indent=2), encoding="utf-8")
            tmp.replace(path)  # atomic: a reader never sees half a file
        self.echo(f"READY {base}")


class StopSignals:
    """Stop requests from signal handlers, without a lock anywhere on the handler's path.

    The handler only appends to a list and writes a byte to a non-blocking self-pipe; the main thread waits on
    the pipe with ``select``. (The old handler called ``threading.Event.set()`` while the main thread sat in
    ``Event.wait()``: a second signal arriving inside the first handler's ``set()`` re-entered it and blocked
    forever on the Event's own lock.) During ``start`` the first signal also raises ``KeyboardInterrupt`` so a
    long start (DynamoDB Local booting) stops at once; later signals never raise, so cleanup is not cut short.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.starting = True
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def install(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)) -> None:
        # SIGINT too, explicitly: a shell without job control starts background jobs with SIGINT ignored.
        for sig in signals:
            signal.signal(sig, self.handler)

    def handler(self, signum: int, _frame: Any) -> None:
        self.received.append(signum)
        with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
            os.write(self._write, b"\0")
        if self.starting:
            self.starting = False
            raise KeyboardInterrupt

    def wait(self, timeout: float) -> bool:
        """True once a stop signal arrived; otherwise waits up to ``timeout`` seconds for one."""
        if self.received:
            return True
        with contextlib.suppress(InterruptedError):
            select.select([self._read], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 512)
        return bool(self.received)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    stack = LocalStack(args)
    signals = StopSignals()
    signals.install()
    atexit.register(stack.stop)
    code = 0
    try:
        stack.start()
        signals.starting = False
        code = stack.wait(signals)
    except KeyboardInterrupt:
        pass
    except StackError as err:
        print(f"ERROR: {err}", file=sys.stderr, flush=True)
        code = 2
    finally:
        signals.starting = False  # from here on a signal only wakes the (absent) waiter: cleanup runs to the end
        print("stopping local stack...", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
