"""Cold start: ``import app`` against importing only what it depends on, each in fresh interpreters.

1. Discover the dependency set: a fresh interpreter imports ``app`` and lists, in load order, every module
   that appeared in ``sys.modules`` and is not ours (``app``, ``chalicelib.*``): third-party packages and the
   standard-library modules they and we pull in.
2. Time, in alternating fresh interpreters, ``import app`` alone, and importing that list (``__import__`` of
   each name, nothing else) followed by ``import app`` in the same interpreter. The probes time the imports
   with ``perf_counter``: interpreter start-up is the same for both and is left out. What ``import app`` still
   costs once its libraries are loaded is what our own code adds (module bodies, route and manifest
   construction, Logger/Metrics set-up); the ratio is, per interpreter, (libraries + ours) / libraries, and
   the headline is the median of those ratios. It is paired because the libraries' own time varies from one
   interpreter to the next by more than our whole share (seen: 380 to 560 ms for the same 557 modules, on
   a machine with a load average of 2), so a ratio of two medians from different interpreters mostly
   measures that spread. The unpaired ratio (median of ``import app`` alone over the median of the libraries
   alone) is still reported, and so is ``import app`` alone against the paired total: the libraries cost a
   little more when our modules load them in their own order (seen: ~30 ms on 560, most of it urllib3's URL
   patterns compiling about twice as slowly there), which the paired ratio leaves out.
3. AWS clients at import: a fresh interpreter patches ``botocore.session.Session.create_client`` (boto3's
   clients go through it too) and ``socket.socket.connect`` before ``import app`` and reports the calls.
4. ``python -X importtime -c "import app"`` (median of a few runs): our own modules by cumulative import
   time, with how much of it is ours and how much third-party code first imported beneath them.

Two environments: ``local`` (tracing off, as ``chalice local`` runs) and ``lambda`` (``LAMBDA_TASK_ROOT`` set,
so Powertools' Tracer is enabled and patches libraries at import, as in the deployed function with X-Ray on).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.report import percentile, table
from bench.stack import REPO_ROOT, local_stage_env

TARGET_RATIO = 1.15
OURS = re.compile(r"^(app|chalicelib)(\.|$)")

APP_PROBE = """\
import time
t = time.perf_counter()
import app
print(time.perf_counter() - t)
"""

# The libraries are imported the way app.py imports them: with the garbage collector paused (its docstring says why),
# so that the ratio is what our modules add, not what the collector costs either side.
DEPS_PROBE = """\
import gc, sys, time
names = open(sys.argv[1]).read().split()
failed = []
t = time.perf_counter()
gc.disable()
for name in names:
    try:
        __import__(name)
    except Exception:
        failed.append(name)
deps = time.perf_counter() - t
t = time.perf_counter()
import app
print(deps, time.perf_counter() - t, ",".join(failed) or "-")
"""

DISCOVER_PROBE = """\
import sys
before = set(sys.modules)
import app
for name, module in list(sys.modules.items()):
    if name not in before and module is not None:
        print(name)
"""

CLIENT_PROBE = """\
import socket, sys
import botocore.session
created, connects = [], []
original_create = botocore.session.Session.create_client
original_connect = socket.socket.connect
def create_client(self, service_name, *args, **kwargs):
    created.append(service_name)
    return original_create(self, service_name, *args, **kwargs)
def connect(self, address):
    connects.append(repr(address))
    return original_connect(self, address)
botocore.session.Session.create_client = create_client
socket.socket.connect = connect
import app
print("clients", ",".join(created))
print("connects", ",".join(connects))
"""


def probe_env(mode: str) -> dict[str, str]:
    """The environment of the deployed function (its static variables), for ``local`` or ``lambda``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    stage_env = local_stage_env()
    for key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "RETRY_QUEUE_NAME", "FOLLOWUP_QUEUE_NAME"):
        if key in stage_env:
            env[key] = stage_env[key]
    env["AWS_DEFAULT_REGION"] = env["AWS_REGION"] = "ap-east-1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches are written once and then used, as in a deployment
    if mode == "lambda":
        env["LAMBDA_TASK_ROOT"] = str(REPO_ROOT)
        env["AWS_LAMBDA_FUNCTION_NAME"] = "member-portal-bench-APIHandler"
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def _run(code: str, env: dict[str, str], *args: str, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold-start probe failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result


def discover_dependencies(env: dict[str, str]) -> list[str]:
    """Non-``chalicelib`` modules that ``import app`` loads, in load order."""
    names = _run(DISCOVER_PROBE, env).stdout.split()
    return [n for n in names if not OURS.match(n) and n != "__main__"]


def clients_at_import(env: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"clients": [], "connects": []}
    for line in _run(CLIENT_PROBE, env).stdout.splitlines():
        key, _, rest = line.partition(" ")
        if key in out:
            out[key] = [x for x in rest.split(",") if x]
    return out


@dataclass
class ImportCost:
    name: str
    self_us: float
    cumulative_us: float
    ours_us: float
    deps_us: float
    deps: list[str] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[ImportCost]:
    """Our modules from ``-X importtime`` output, with the third-party cost first paid beneath each."""
    pattern = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    entries = []
    for line in stderr.splitlines():
        m = pattern.match(line)
        if m:
            entries.append((int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    # Lines come children first; a node's children are the lines just above it, one level deeper.
    stack: list[tuple[int, int, int, int, dict[str, int]]] = []  # level, self, ours, deps, top deps
    costs: list[ImportCost] = []
    for self_us, cum_us, level, name in entries:
        ours = self_us if OURS.match(name) else 0
        deps = 0 if OURS.match(name) else self_us
        top: dict[str, int] = defaultdict(int)
        if not OURS.match(name):
            top[name.split(".")[0]] += self_us
        while stack and stack[-1][0] > level:
            _lvl, _self, c_ours, c_deps, c_top = stack.pop()
            ours += c_ours
            deps += c_deps
            for k, v in c_top.items():
                top[k] += v
        stack.append((level, self_us, ours, deps, top))
        if OURS.match(name):
            heavy = sorted(top.items(), key=lambda kv: -kv[1])[:3]
            costs.append(
                ImportCost(name, self_us, cum_us, ours, deps, [f"{k} {v / 1000:.0f}ms" for k, v in heavy if v >= 1000])
            )
    return costs


def own_module_costs(env: dict[str, str], runs: int = 3, top: int = 10) -> list[dict[str, Any]]:
    samples: dict[str, list[ImportCost]] = defaultdict(list)
    for _ in range(runs):
        stderr = _run("import app", env, flags=("-X", "importtime")).stderr
        for cost in parse_importtime(stderr):
            samples[cost.name].append(cost)
    rows = []
    for name, costs in samples.items():
        median = sorted(costs, key=lambda c: c.cumulative_us)[(len(costs) - 1) // 2]
        rows.append(
            {
                "module": name,
                "cumulative_ms": round(median.cumulative_us / 1000, 1),
                "ours_ms": round(median.ours_us / 1000, 1),
                "deps_ms": round(median.deps_us / 1000, 1),
                "self_ms": round(median.self_us / 1000, 1),
                "heaviest_deps": median.deps,
            }
        )
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def measure_mode(mode: str, runs: int) -> dict[str, Any]:
    env = probe_env(mode)
    deps = discover_dependencies(env)
    stdlib = set(sys.stdlib_module_names)
    third_party = sorted({n.split(".")[0] for n in deps if n.split(".")[0] not in stdlib and not n.startswith("_")})
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(deps))
        deps_file = f.name
    try:
        _run(APP_PROBE, env)  # bytecode caches, page cache
        _run(DEPS_PROBE, env, deps_file)
        app_s: list[float] = []
        deps_s: list[float] = []
        ours_s: list[float] = []
        failed: set[str] = set()
        for _ in range(runs):
            app_s.append(float(_run(APP_PROBE, env).stdout.split()[0]))
            seconds, ours, failures = _run(DEPS_PROBE, env, deps_file).stdout.split()
            deps_s.append(float(seconds))
            ours_s.append(float(ours))
            failed.update(x for x in failures.split(",") if x != "-")
    finally:
        os.unlink(deps_file)
    app_ms = [s * 1000 for s in app_s]
    deps_ms = [s * 1000 for s in deps_s]
    ours_ms = [s * 1000 for s in ours_s]
    paired = [(d + o) / d for d, o in zip(deps_ms, ours_ms, strict=True)]
    ratio = statistics.median(paired)
    unpaired = statistics.median(app_ms) / statistics.median(deps_ms)
    clients = clients_at_import(env)
    return {
        "mode": mode,
        "runs": runs,
        "import_app_ms": _stats(app_ms),
        "import_deps_ms": _stats(deps_ms),
        "ours_after_deps_ms": _stats(ours_ms),
        "paired_total_ms": _stats([d + o for d, o in zip(deps_ms, ours_ms, strict=True)]),
        "ratio": ratio,
        "paired_ratios": _stats(paired),
        "ratio_unpaired": unpaired,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "target_ratio": TARGET_RATIO,
        "ratio_ok": ratio <= TARGET_RATIO,
        "dependency_modules": len(deps),
        "dependency_modules_failed": sorted(failed),
        "third_party_packages": third_party,
        "aws_clients_created": clients["clients"],
        "socket_connects": clients["connects"],
        "own_modules": own_module_costs(env),
    }


def _stats(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "p90": percentile(values, 90), "min": min(values), "all": values}


def measure(runs: int = 15, modes: tuple[str, ...] = ("local", "lambda")) -> list[dict[str, Any]]:
    return [measure_mode(mode, runs) for mode in modes]


def render(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        a, d, o, p = r["import_app_ms"], r["import_deps_ms"], r["ours_after_deps_ms"], r["paired_ratios"]
        rows.append(
            [
                r["mode"],
                f"{d['median']:.0f} / {d['p90']:.0f} / {d['min']:.0f}",
                f"{o['median']:.1f} / {o['p90']:.1f} / {o['min']:.1f}",
                f"{r['ratio']:.3f} ({p['p90']:.3f})",
                f"{a['median']:.0f} / {r['paired_total_ms']['median']:.0f}",
                f"{r['ratio_unpaired']:.3f}",
                f"<= {r['target_ratio']}",
                "ok" if r["ratio_ok"] else "OVER",
                len(r["aws_clients_created"]),
                "ok" if not r["aws_clients_created"] else "OVER",
                len(r["socket_connects"]),
            ]
        )
    out = table(
        (
            "env",
            "deps ms (median/p90/min)",
            "ours after them ms",
            "ratio (p90)",
            "app alone / paired total ms",
            "unpaired",
            "target",
            "",
            "AWS clients",
            "",
            "connects",
        ),
        rows,
        align="lrrrrll" + "rlr",
    )
    for r in results:
        failed = r["dependency_modules_failed"]
        load = r.get("load_average")
        where = f" (load average {load[0]:.1f} on {os.cpu_count()} CPUs)" if load else ""
        alone = f"{len(failed)} not importable alone" + (f": {', '.join(failed)}" if failed else "")
        packages = r["third_party_packages"]
        out += (
            f"\n[{r['mode']}] {r['runs']} runs each{where}; deps = {r['dependency_modules']} modules ({alone})"
            f" from {len(packages)} third-party packages: {', '.join(packages)}"
        )
        if r["aws_clients_created"] or r["socket_connects"]:
            out += f"\n  clients: {r['aws_clients_created']} connects: {r['socket_connects']}"
    for r in [r for r in results if r["mode"] == "lambda"] or results[:1]:
        out += f"\n\nOur modules by cumulative import time ({r['mode']}, -X importtime, median of 3):\n"
        out += table(
            ("module", "cumulative ms", "ours ms", "deps ms", "heaviest deps first imported here"),
            [
                [m["module"], m["cumulative_ms"], m["ours_ms"], m["deps_ms"], ", ".join(m["heaviest_deps"])]
                for m in r["own_modules"]
            ],
            align="lrrrl",
        )
    return out
