"""Run the local stack (``tools/stack/runner.py``) as a subprocess on free ports, for e2e tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.aws import AWS_LEAKS
from tools import procs

REPO_ROOT = Path(__file__).resolve().parents[2]


class LocalStackUrl(str):
    """The API base URL (a ``str``: ``local_stack + "/v1/health"`` works), carrying the other endpoints."""

    wechat_url: str
    webhook_url: str
    dynamodb_endpoint: str
    sqs_endpoint: str
    log_path: str

    def __new__(cls, base_url: str, *, wechat_url: str, dynamodb_endpoint: str, sqs_endpoint: str, log_path: str,
                webhook_url: str = ""):
        url = super().__new__(cls, base_url.rstrip("/"))
        url.wechat_url = wechat_url
        url.webhook_url = webhook_url
        url.dynamodb_endpoint = dynamodb_endpoint
        url.sqs_endpoint = sqs_endpoint
        url.log_path = log_path
        return url

    @property
    def base_url(self) -> str:
        return str(self)


@dataclass
class RunningStack:
    url: LocalStackUrl
    process: subprocess.Popen[bytes] | None
    workdir: Path | None = None

    def stop(self) -> None:
        procs.stop(self.process, timeout=15)


def log_tail(path: str | Path, lines: int = 60) -> str:
    try:
        return "\n".join(Path(path).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_local_stack(
    workdir: Path, *, timeout: float | None = None, extra_args: list[str] | None = None, attempts: int = 3
) -> RunningStack:
    """Start the runner on free ports and wait until ``GET /v1/health`` answers 200 (90 s, or
    ``LOCAL_STACK_START_TIMEOUT`` seconds on a machine busy with other work).

    A port taken between choosing and binding it (another test worker) makes the runner exit early: retried
    on fresh ports.
    """
    timeout = timeout or float(os.environ.get("LOCAL_STACK_START_TIMEOUT", "90"))
    for attempt in range(1, attempts + 1):
        try:
            return _start_once(workdir / f"attempt-{attempt}", timeout=timeout, extra_args=extra_args)
        except StackExited:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


class StackExited(RuntimeError):
    pass


def _start_once(workdir: Path, *, timeout: float, extra_args: list[str] | None) -> RunningStack:
    host = "127.0.0.1"
    ports = {name: procs.free_port(host) for name in ("port", "dynamodb-port", "sqs-port", "wechat-port",
                                                      "webhook-port")}
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "local-stack.log"
    ready_file = workdir / "ready.json"
    cmd = [sys.executable, "-m", "tools.stack.runner", "--host", host, "--log-dir", str(workdir)]
    for name, port in ports.items():
        cmd += [f"--{name}", str(port)]
    cmd += ["--ready-file", str(ready_file), *(extra_args or [])]
    env = {key: value for key, value in os.environ.items() if key not in AWS_LEAKS}
    env["PYTHONUNBUFFERED"] = "1"
    log = open(log_path, "ab")  # noqa: SIM115 - the child holds it; closed with the process
    try:
        process = procs.spawn(cmd, env=env, cwd=REPO_ROOT, stdout=log)
    finally:
        log.close()
    base = f"http://{host}:{ports['port']}"
    url = LocalStackUrl(
        base,
        wechat_url=f"http://{host}:{ports['wechat-port']}",
        webhook_url=f"http://{host}:{ports['webhook-port']}",
        dynamodb_endpoint=f"http://{host}:{ports['dynamodb-port']}",
        sqs_endpoint=f"http://{host}:{ports['sqs-port']}",
        log_path=str(log_path),
    )
    stack = RunningStack(url, process, workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackExited(f"local stack exited with {process.returncode}:\n{log_tail(log_path)}")
        if procs.http_answers(base + "/v1/health", timeout=2) == 200 and ready_file.exists():
            return stack
        time.sleep(0.25)
    stack.stop()
    raise TimeoutError(f"local stack not healthy after {timeout:.0f} s:\n{log_tail(log_path)}")


def external_stack() -> RunningStack | None:
    """``TEST_LOCAL_STACK_URL`` (and optionally ``TEST_WECHAT_URL``): use a stack that is already running."""
    base = os.environ.get("TEST_LOCAL_STACK_URL")
    if not base:
        return None
    url = LocalStackUrl(
        base,
        wechat_url=os.environ.get("TEST_WECHAT_URL", "http://127.0.0.1:8102"),
        webhook_url=os.environ.get("TEST_WEBHOOK_URL", "http://127.0.0.1:8104"),
        dynamodb_endpoint=os.environ.get("TEST_DYNAMODB_ENDPOINT", "http://127.0.0.1:8100"),
        sqs_endpoint=os.environ.get("TEST_SQS_ENDPOINT", "http://127.0.0.1:8101"),
        log_path="",
    )
    return RunningStack(url, None)


def ready_info(stack: RunningStack) -> dict[str, Any]:
    """What the runner wrote to its ``--ready-file``: endpoints, table and queue names, its pid."""
    assert stack.workdir is not None, "an external stack has no ready file"
    return dict(json.loads((stack.workdir / "ready.json").read_text(encoding="utf-8")))


# What the local stack seeds (``tools/stack/seed.py``): the integration key's header and the staff's passwords.
LOCAL_KEY = {"X-Api-Key": "local-integration-key"}
SEEDED_STAFF = {"agent": "agent-local-pass", "admin": "admin-local-pass"}


def run_job(url: LocalStackUrl, job: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m tools.run_job <job>`` against the stack's DynamoDB and SQS; asserts it ran to the end."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.stack.run_job", job,
         "--dynamodb-endpoint", url.dynamodb_endpoint, "--sqs-endpoint", url.sqs_endpoint],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{job}: done" in result.stdout
    return result
