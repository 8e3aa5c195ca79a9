"""The OpenAPI document through the tools client teams use, installed by the project's own files: Redocly and
Spectral (lint), openapi-typescript with ``tsc --strict`` over a typed member journey, openapi-python-client.

The npm tools come from ``tools/package.json`` (``make deps``); ``CONTRACT_TOOLS_BIN`` points elsewhere. A tool that
is missing fails the test: these checks are part of the suite, not optional extras.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools import contract

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("contract_clients")]
HERE = Path(__file__).resolve().parent
JOURNEY = HERE / "contract_journey.ts"


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return contract.write(tmp_path_factory.mktemp("contract") / "openapi.json")


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_redocly_lint_finds_no_error(spec_file: Path):
    out = run([contract.npm_tool("redocly"), "lint", str(spec_file), "--format=json"])
    report: dict[str, Any] = json.loads(out.stdout)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert errors == [], json.dumps(errors[:10], indent=1)
    assert report["totals"]["errors"] == 0


def test_spectral_oas_finds_no_error_and_no_warning(spec_file: Path, tmp_path: Path):
    ruleset = tmp_path / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n')
    out = run([contract.npm_tool("spectral"), "lint", str(spec_file), "-r", str(ruleset), "-f", "json", "-q"])
    findings = json.loads(out.stdout or "[]")
    serious = [f"{f['code']} {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings if f["severity"] <= 1]
    assert serious == []


def test_openapi_typescript_types_a_member_journey_under_tsc_strict(spec_file: Path, tmp_path: Path):
    types = tmp_path / "api.d.ts"
    generated = run(contract.typescript_command(spec_file, types))
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "journey.ts").write_text(JOURNEY.read_text(encoding="utf-8"), encoding="utf-8")
    compiled = run([contract.npm_tool("tsc"), "--strict", "--noEmit", "--target", "es2020", "--module", "es2020",
                    "--moduleResolution", "bundler", "--lib", "es2020,dom", str(tmp_path / "journey.ts")],
                   cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_the_typed_journey_fails_to_compile_when_it_misuses_the_contract(spec_file: Path, tmp_path: Path):
    """The journey is really checked against the generated types: a field the contract does not have fails."""
    types = tmp_path / "api.d.ts"
    assert run(contract.typescript_command(spec_file, types)).returncode == 0
    wrong = JOURNEY.read_text(encoding="utf-8") + "\nexport const wrong: Redemption['no_such_field'] = 1;\n"
    (tmp_path / "journey.ts").write_text(wrong, encoding="utf-8")
    compiled = run([contract.npm_tool("tsc"), "--strict", "--noEmit", "--target", "es2020", "--module", "es2020",
                    "--moduleResolution", "bundler", "--lib", "es2020,dom", str(tmp_path / "journey.ts")],
                   cwd=tmp_path)
    assert compiled.returncode != 0 and "no_such_field" in compiled.stdout


def test_openapi_python_client_generates_without_a_warning(spec_file: Path, tmp_path: Path):
    out = run(contract.python_client_command(spec_file, tmp_path / "client"), env=contract.tool_env())
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "Warning" not in text and "Error" not in text, text
    package = tmp_path / "client"
    assert (package / "api").is_dir() and (package / "models").is_dir()
    # the operations once lost to colliding schema names are generated
    api_files = {p.stem for p in (package / "api").rglob("*.py")}
    assert {"put_settings", "check_in_at_event", "check_in_appointment", "create_redemption"} <= api_files
