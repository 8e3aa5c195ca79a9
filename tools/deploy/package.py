"""Package the app for CloudFormation: ``chalice package`` merged with ``infra/resources.json``, the operations of
``infra/operations.json`` applied to every function (``tools/deploy/operations.py``), then cfn-lint with the serverless
rules (``cfn-lint-serverless``).

``python -m tools.package --stage dev --out build/package`` writes ``sam.json`` and ``deployment.zip``.
The merged template's ``Stage`` parameter defaults to the chalice stage packaged, so the tables are named
for the stage without a parameter override at deploy time; the operations' parameters (cost guards, log retention,
the alarm topic) default to the stage's values, and the stage picks the deployment type (prod: a canary). Nothing
here talks to AWS.

The bundle carries compiled bytecode for every module in it: Lambda's code directory is read-only, so without
``__pycache__`` in the zip each cold start compiles every module of the app and its libraries from source again.
The ``.pyc`` files are hash-based and unchecked (PEP 552): the zip's sources never change after packaging, and
Python loads them without comparing timestamps that unzipping may not keep.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import json
import marshal
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.deploy import operations

REPO_ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = REPO_ROOT / "infra" / "resources.json"
SERVERLESS_RULES = "cfn_lint_serverless.rules"  # the cfn-lint-serverless package's rules (dev requirements)
#: The stages whose WeChat-calling functions run behind the NAT gateway's Elastic IP (the template's WeChatEgress).
WECHAT_EGRESS = {"prod": "nat"}


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
    if "WeChatEgress" in template["Parameters"]:  # prod leaves through one allow-listed IP (infra/resources.json)
        template["Parameters"]["WeChatEgress"]["Default"] = WECHAT_EGRESS.get(stage, "none")
    operations.apply(template, stage)
    template_path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _check_runtime(template)
    add_bytecode(out / "deployment.zip")
    return template_path


def _check_runtime(template: dict[str, Any]) -> None:
    """The bytecode is this interpreter's: the functions must run the same Python version."""
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtimes = {props.get("Runtime") for props in _function_properties(template)}
    if runtimes - {ours}:
        raise SystemExit(f"the functions run {sorted(map(str, runtimes))}, this interpreter is {ours}: "
                         "package with the Python the functions run, or the bundle's bytecode would be ignored")


def _function_properties(template: dict[str, Any]) -> list[dict[str, Any]]:
    shared = template.get("Globals", {}).get("Function", {})
    return [{**shared, **resource.get("Properties", {})} for resource in template.get("Resources", {}).values()
            if resource.get("Type") == "AWS::Serverless::Function"]


def bytecode(source: bytes, name: str) -> bytes | None:
    """An unchecked hash-based ``.pyc`` (PEP 552) of ``source``; None for a file that does not compile."""
    try:
        code = compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # e.g. a library's Python 2 example: Python never imports it either
    flags = 0b01  # hash-based, not checked against the source at import
    return importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + importlib.util.source_hash(source) + (
        marshal.dumps(code))


def add_bytecode(bundle: Path) -> int:
    """Rewrites ``bundle`` with a ``__pycache__`` entry beside every module; returns how many it compiled."""
    rewritten = bundle.with_suffix(".pyc.zip")
    compiled = 0
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if "__pycache__/" in info.filename or info.filename.endswith(".pyc"):
                continue  # whatever a local run left behind: stale, or another interpreter's
            data = source.read(info)
            target.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            pyc = bytecode(data, info.filename)
            if pyc is None:
                continue
            entry = zipfile.ZipInfo(importlib.util.cache_from_source(info.filename), date_time=info.date_time)
            entry.external_attr, entry.compress_type = info.external_attr, zipfile.ZIP_DEFLATED
            target.writestr(entry, pyc)
            compiled += 1
    rewritten.replace(bundle)
    return compiled


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
        [_bin("cfn-lint"), str(template_path), "--append-rules", SERVERLESS_RULES], capture_output=True, text=True,
        check=False,
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
