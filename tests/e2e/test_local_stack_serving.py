"""The local stack serves like Lambda behind API Gateway, and stops cleanly (issue 9).

- a burst of clients that connect at the same instant all reach the app (the old dev server's backlog of 5 reset them);
- what API Gateway answers itself, and what the HTTP server refuses, comes in the error envelope (never an HTML page);
- the access log shows no query string and no full phone number;
- Ctrl-C (SIGINT to the process group), SIGTERM to the process group, and two signals in quick succession each stop
  every process of the stack within a few seconds and free its ports (the old signal handler could deadlock).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.support.http import call
from tests.support.local_stack import log_tail, ready_info, start_local_stack
from tools import procs

pytestmark = pytest.mark.e2e


def _raw_request(base: str, payload: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "FROBNICATE"])
def test_methods_the_gateway_does_not_route_are_answered_in_the_envelope(local_stack, method):
    status, headers, body = _raw_request(
        local_stack, f"{method} /v1/health HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n\r\n".encode()
    )
    assert status == 405 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_a_request_the_server_cannot_parse_is_answered_in_the_envelope(local_stack):
    status, headers, body = _raw_request(local_stack, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "request_rejected"


def test_a_url_too_long_is_414_uri_too_long_as_the_document_says(local_stack):
    status, headers, body = _raw_request(
        local_stack, b"GET /v1/" + b"x" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert status == 414 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    _status, document = call(local_stack, "GET", "/v1/openapi.json")
    assert "`uri_too_long`" in document["paths"]["/v1/health"]["get"]["responses"]["414"]["description"]


def test_the_access_log_shows_no_phone_number_and_no_query(local_stack):
    phone = "13912345678"
    status, _ = call(local_stack, "GET", f"/v1/dev/sms-outbox?phone={phone}")
    assert status == 200
    log = Path(local_stack.log_path)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "/v1/dev/sms-outbox" not in log.read_text(errors="replace"):
        time.sleep(0.2)
    text = log.read_text(errors="replace")
    assert "/v1/dev/sms-outbox" in text, "no access log line for the request"
    assert phone not in text, [line for line in text.splitlines() if phone in line]
    assert f"phone={phone[:3]}" not in text  # no query string at all (the banner shows phone=$PHONE)


def test_the_access_log_escapes_control_bytes_of_the_path(local_stack):
    marker = uuid.uuid4().hex[:8]
    status, _headers, _body = _raw_request(
        local_stack, f"GET /v1/{marker}%1b[2J%0d%0aforged HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status == 404
    log = Path(local_stack.log_path)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and marker not in log.read_text(errors="replace"):
        time.sleep(0.2)
    line = next(line for line in log.read_text(errors="replace").splitlines() if marker in line)
    assert f"/v1/{marker}\\x1b[2J\\x0d\\x0aforged" in line, line
    assert "\x1b" not in line and "\r" not in line


def test_forty_clients_connecting_at_the_same_instant_all_reach_the_app(local_stack):
    clients = 40
    barrier = threading.Barrier(clients)
    results: list[object] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        # A refresh with an unknown token: a real POST through the app (401 in its envelope) that spends no
        # per-address quota the other tests sharing this stack need (SMS codes are limited per client address).
        body = json.dumps({"refresh_token": f"burst-{i:04d}-{uuid.uuid4().hex}"}).encode()
        payload = (b"POST /v1/auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        barrier.wait(timeout=30)
        try:
            status, headers, _ = _raw_request(local_stack, payload, timeout=60)
            # The app's own answer carries its request id; a gateway-level one says so in x-amzn-ErrorType.
            outcome: object = (status, bool(headers.get("x-request-id")), headers.get("x-amzn-errortype"))
        except OSError as err:  # a reset: the burst did not fit the listen backlog
            outcome = repr(err)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    # Answered by the app (its 401 invalid_refresh_token with its request id, no gateway error type), none reset.
    assert len(results) == clients
    assert all(isinstance(r, tuple) and r == (401, True, None) for r in results), results


# ------------------------------------------------------------------------------------------------ stopping


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


CASES = {
    "ctrl-c": [signal.SIGINT],
    "sigterm": [signal.SIGTERM],
    "two signals at once": [signal.SIGINT, signal.SIGTERM],
    "ctrl-c twice": [signal.SIGINT, signal.SIGINT],
}


@pytest.mark.slow
@pytest.mark.parametrize("signals", list(CASES.values()), ids=list(CASES))
def test_signals_to_the_process_group_stop_every_process_and_free_the_ports(tmp_path, signals):
    stack = start_local_stack(tmp_path / "stack", extra_args=["--no-seed", "--workers", "2"])
    assert stack.process is not None
    try:
        info = ready_info(stack)
        ports = [int(info[key].rsplit(":", 1)[1]) for key in ("api", "dynamodb", "sqs", "wechat")]
        assert all(procs.port_is_open("127.0.0.1", port) for port in ports)
        family = _descendants(stack.process.pid)
        assert len(family) >= 5, family  # DynamoDB Local, moto, gunicorn's master and two workers
        pgid = os.getpgid(stack.process.pid)
        started = time.monotonic()
        for sig in signals:
            os.killpg(pgid, sig)
        stack.process.wait(timeout=15)
        deadline = started + 8
        while time.monotonic() < deadline and (
            any(_alive(pid) for pid in family) or any(procs.port_is_open("127.0.0.1", p, 0.2) for p in ports)
        ):
            time.sleep(0.1)
        took = time.monotonic() - started
        assert not [pid for pid in family if _alive(pid)], f"left running:\n{log_tail(stack.url.log_path)}"
        assert not [p for p in ports if procs.port_is_open("127.0.0.1", p, 0.2)], "ports still taken"
        assert took < 8, f"stopping took {took:.1f} s"
    finally:
        stack.stop()
