"""X-Ray in the deployed functions: each request runs in a subsegment that carries the route, area and channel.

Lambda's own segment is a facade that raises on any annotation, so annotating it directly would turn every sampled
request into a 500. The probe runs in a fresh interpreter with Lambda's environment (the X-Ray SDK picks its Lambda
context at import) and a sampled trace header, catches what the SDK would send, and serves two requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.stack import local_stage_env

REPO_ROOT = Path(__file__).resolve().parents[3]

PROBE = r"""
import json
from aws_xray_sdk.core import xray_recorder
sent = []
xray_recorder.emitter.send_entity = lambda entity: sent.append(json.loads(entity.serialize()))
import app
from chalice.test import Client
with Client(app.app) as client:
    ok = client.http.get("/v1/openapi.json", headers={"x-channel": "miniprogram"})
    missing = client.http.get("/v1/me", headers={"x-channel": "app", "authorization": "Bearer 13912345678"})
print(json.dumps({"statuses": [ok.status_code, missing.status_code], "sent": sent}))
"""


def _run_probe(extra_env: dict[str, str]) -> dict:
    env = {**local_stage_env(), "PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "ap-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **extra_env}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _subsegments(sent: list[dict]) -> list[dict]:
    found = []
    stack = list(sent)
    while stack:
        entity = stack.pop()
        found.append(entity)
        stack.extend(entity.get("subsegments", []))
    return [e for e in found if e.get("name", "").startswith("## ")]


@pytest.mark.slow  # a Python subprocess per test
def test_a_sampled_request_in_lambda_is_served_and_annotated_with_route_area_and_channel_only():
    result = _run_probe({
        "POWERTOOLS_TRACE_DISABLED": "false", "AWS_LAMBDA_FUNCTION_NAME": "member-portal-dev-APIHandler",
        "LAMBDA_TASK_ROOT": str(REPO_ROOT),
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    })
    assert result["statuses"] == [200, 401]
    requests = [s for s in _subsegments(result["sent"]) if s["name"] == "## request"]
    assert len(requests) == 2
    by_route = {r["annotations"]["route"]: r["annotations"] for r in requests}
    first, second = by_route["GET /v1/openapi.json"], by_route["GET /v1/me"]
    assert first["channel"] == "miniprogram"
    assert second["area"] == "profile" and second["channel"] == "app"
    # No personal data: the route template, never the path or a header's value other than the channel.
    for tags in (first, second):
        assert set(tags) <= {"route", "area", "channel", "request_id"}
        assert "13912345678" not in json.dumps(tags)


@pytest.mark.slow  # a Python subprocess per test
def test_the_local_stage_sends_no_trace():
    result = _run_probe({"AWS_LAMBDA_FUNCTION_NAME": "member-portal-dev-APIHandler",
                         "LAMBDA_TASK_ROOT": str(REPO_ROOT),
                         "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
                                             "Sampled=1"})
    assert result["statuses"] == [200, 401]
    assert result["sent"] == []
