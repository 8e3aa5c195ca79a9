"""A webhook receiver for the local stack: records what the app delivers, verifies each signature, goes "down".

Any ``POST`` outside ``/__sim/`` is a delivery: answered 204 and recorded with its event ID, sequence, the parsed body
and ``verified`` (true when one ``v1`` of ``X-Webhook-Signature`` matches a secret it was given, false when none
does, null when it knows no secret) -- checked with its own code (``verify`` below, the README's receiver), never the
app's. While down it answers 503 and records nothing but the refusal count.

Control (JSON):

- ``PUT /__sim/secrets`` ``{"secrets": ["whsec_..."]}``: the secrets to verify with (the answers to the registration
  and the rotations: give both during an overlap);
- ``POST /__sim/down`` ``{"seconds": 30}`` (down for that long) or ``{"down": true|false}`` (until told);
- ``GET /__sim/deliveries`` -> ``{"items": [...], "refused": n}``, oldest first; ``POST /__sim/reset``.

``python -m tools.simulators.webhook_sim --port 8104`` runs it alone; ``make run`` starts it (``--webhook-port``).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools import procs

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8104


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """``t=<unix>,v1=<hex>[,v1=<hex>]``: a recent ``t`` and one ``v1`` = HMAC-SHA256(secret, "<t>.<body>")."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(expected, v) for k, v in fields)


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.secrets: list[str] = []
        self.deliveries: list[dict[str, Any]] = []
        self.refused = 0
        self.down_until = 0.0

    def is_down(self) -> bool:
        return time.time() < self.down_until


class _Handler(BaseHTTPRequestHandler):
    server: SimServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the stack's own output stays readable
        return

    def _send(self, status: int, payload: Any = None) -> None:
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.split("?")[0] == "/__sim/deliveries":
            with state.lock:
                self._send(200, {"items": list(state.deliveries), "refused": state.refused})
        else:
            self._send(404, {"error": "not found"})

    def do_PUT(self) -> None:
        state = self.server.state
        if self.path == "/__sim/secrets":
            secrets = json.loads(self._body() or b"{}").get("secrets") or []
            with state.lock:
                state.secrets = [str(s) for s in secrets]
            self._send(200, {"secrets": len(secrets)})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        raw = self._body()
        if self.path == "/__sim/down":
            ask = json.loads(raw or b"{}")
            with state.lock:
                if "seconds" in ask:
                    state.down_until = time.time() + float(ask["seconds"])
                else:
                    state.down_until = float("inf") if ask.get("down") else 0.0
            self._send(200, {"down": state.is_down()})
            return
        if self.path == "/__sim/reset":
            with state.lock:
                state.reset()
            self._send(200, {"reset": True})
            return
        with state.lock:
            if state.is_down():
                state.refused += 1
                self._send(503, {"error": "down"})
                return
            secrets = list(state.secrets)
        signature = self.headers.get("X-Webhook-Signature") or ""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        record = {"path": self.path, "event_id": self.headers.get("X-Webhook-Id"), "signature": signature,
                  "sequence": body.get("sequence") if isinstance(body, dict) else None, "body": body,
                  "raw": raw.decode("utf-8", "replace"), "received_at": time.time(),
                  "verified": any(verify(s, signature, raw) for s in secrets) if secrets else None}
        with state.lock:
            state.deliveries.append(record)
        self._send(204)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.state = State()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> tuple[SimServer, threading.Thread]:
    """Serve from a daemon thread; ``port=0`` picks a free port (``server.base_url``). Stop with ``server.stop()``."""
    server = SimServer((host, port))
    thread = threading.Thread(target=server.serve_forever, name="webhook-sim", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.simulators.webhook_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    server = SimServer((args.host, args.port))
    print(f"webhook receiver on {server.base_url} (deliveries: {server.base_url}/__sim/deliveries)", flush=True)
    procs.serve_until_interrupted(server)


if __name__ == "__main__":
    main()
