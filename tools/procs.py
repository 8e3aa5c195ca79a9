"""Child processes that never outlive their parent: own process group, killed as a group.

Every helper process the local stack or the test fixtures start (DynamoDB Local's JVM, moto's server)
goes through ``spawn`` and ``stop``: a new session makes the child the leader of its own process group
so ``stop`` can signal it and everything it forked, and on Linux ``PR_SET_PDEATHSIG`` makes the kernel
send SIGTERM if the parent dies without cleaning up (SIGKILL, a crash).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import IO, Any

_PR_SET_PDEATHSIG = 1

# Every process ``spawn`` started in this process, so ``stop_all`` can end what an interrupted start left behind.
_spawned: list[subprocess.Popen[bytes]] = []


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.STDOUT,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` as the leader of a new process group.

    The parent-death signal is armed only from the main thread: the kernel sends it when the *thread*
    that forked exits, so arming it from a short-lived thread would kill the child early.
    """
    preexec: Callable[[], None] | None = None
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        preexec = _die_with_parent
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=preexec,
    )
    _spawned.append(proc)
    return proc


def stop_all(timeout: float = 5.0) -> None:
    """``stop`` every process ``spawn`` started here that is still running (idempotent)."""
    while _spawned:
        proc = _spawned.pop()
        if proc.poll() is None:
            stop(proc, timeout)


def stop(proc: subprocess.Popen[Any] | None, timeout: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after ``timeout`` seconds."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            # The leader may be gone while group members remain; fall back to the leader alone.
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
            # The leader is reaped; make sure no other member of its group lingers.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


def _ephemeral_floor() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free now, chosen below the kernel's ephemeral range.

    A port from ``bind(0)`` comes from the ephemeral range, so between closing it and the server binding it
    the kernel may hand it to an outgoing connection (any boto3 call); ports below the range are never
    given out that way. Random, so parallel test workers rarely pick the same one; callers retry if they do.
    """
    floor = _ephemeral_floor()
    rng = random.SystemRandom()
    if floor > 12000:
        for _ in range(50):
            port = rng.randrange(10000, floor)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind((host, port))
                except OSError:
                    continue
            if not port_is_open(host, port, timeout=0.2):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_answers(url: str, timeout: float = 1.0) -> int | None:
    """The HTTP status ``url`` answers with (any status, 4xx included), or None if nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except (OSError, ValueError):
        return None


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.1,
    proc: subprocess.Popen[Any] | None = None,
    what: str = "condition",
) -> None:
    """Poll ``check`` until it is true; fail early if ``proc`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with code {proc.returncode} before it was ready")
        time.sleep(interval)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")


def serve_until_interrupted(server: Any) -> None:
    """Serve a simulator's ``HTTPServer`` until Ctrl-C (or a stop signal), then close its socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
