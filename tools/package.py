"""Package the app for CloudFormation: ``chalice package`` merged with ``infra/resources.json``, then cfn-lint.

``python -m tools.package --stage dev --out build/package`` writes ``sam.json`` and ``deployment.zip``.
The merged template's ``Stage`` parameter defaults to the chalice stage packaged, so the tables are named
for the stage without a parameter override at deploy time. Nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = REPO_ROOT / "infra" / "resources.json"


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def chalice_package(stage: str, out: Path) -> Path:
    """Run ``chalice package`` with the merge template; returns the path of the merged template."""
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "ap-east-1")  # chalice wants a region even to package
    out.mkdir(parents=True, exist_ok=True)
    with _package_lock():
        _run_chalice(stage, out, env)
    template_path = out / "sam.json"
    template: dict[str, Any] = json.loads(template_path.read_text(encoding="utf-8"))
    template.setdefault("Parameters", {}).setdefault("Stage", {})["Default"] = stage
    template_path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return template_path


@contextmanager
def _package_lock() -> Iterator[None]:
    """One ``chalice package`` at a time: runs share the deployment cache in ``.chalice/deployments``."""
    lock_path = REPO_ROOT / "build" / ".package.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_chalice(stage: str, out: Path, env: dict[str, str]) -> None:
    cmd = [
        _bin("chalice"),
        "--project-dir",
        str(REPO_ROOT),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(MERGE_TEMPLATE),
        str(out),
    ]
    subprocess.run(cmd, check=True, env=env, cwd=REPO_ROOT)


def cfn_lint(template_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_bin("cfn-lint"), str(template_path)], capture_output=True, text=True, check=False
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev", choices=["dev", "prod"])
    parser.add_argument("--out", default=str(REPO_ROOT / "build" / "package"))
    args = parser.parse_args(argv)
    template_path = chalice_package(args.stage, Path(args.out))
    lint = cfn_lint(template_path)
    sys.stdout.write(lint.stdout)
    sys.stderr.write(lint.stderr)
    if lint.returncode != 0:
        print(f"cfn-lint found problems in {template_path} (exit {lint.returncode})", file=sys.stderr)
        return lint.returncode
    bundle = template_path.parent / "deployment.zip"
    print(f"packaged stage {args.stage}: {template_path} and {bundle} (cfn-lint clean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
