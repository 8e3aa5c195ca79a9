"""API Gateway's 29 s integration timeout is answered in our envelope: 504 ``gateway_timeout`` (not DEFAULT_5XX's
``internal_error``), both in the template deployed to AWS and in the local stack's gateway
(tools/lambda_emulation/api_gateway.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chalice import Chalice

from chalicelib.core.errors import CATALOGUE
from tests.unit.tooling.test_lambda_wsgi import wsgi_call
from tools.lambda_emulation.api_gateway import LambdaProxyApp

RESOURCES = json.loads((Path(__file__).resolve().parents[3] / "infra" / "resources.json").read_text("utf-8"))


def test_the_template_has_an_integration_timeout_response_in_the_envelope() -> None:
    responses = RESOURCES["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert "INTEGRATION_TIMEOUT" in responses, "a 29 s timeout would render DEFAULT_5XX (internal_error)"
    response = responses["INTEGRATION_TIMEOUT"]
    assert response["StatusCode"] == "504"
    assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'"
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body == {"error": {"code": "gateway_timeout", "message": CATALOGUE["gateway_timeout"].zh,
                              "request_id": "$context.requestId", "details": []}}
    assert CATALOGUE["gateway_timeout"].status == 504


def test_the_gateways_own_429_says_when_to_come_back() -> None:
    throttled = RESOURCES["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]["THROTTLED"]
    assert throttled["ResponseParameters"]["Headers"]["Retry-After"].strip("'").isdigit()


@pytest.mark.parametrize(("language", "message"), [("en", "en"), ("zh-CN", "zh")])
def test_the_local_gateway_answers_its_timeout_with_gateway_timeout(language: str, message: str) -> None:
    demo = Chalice(app_name="slow-demo", configure_logs=False)

    @demo.route("/slow")
    def slow() -> dict[str, str]:
        time.sleep(3)
        return {"late": "yes"}

    started = time.monotonic()
    status, headers, raw = wsgi_call(LambdaProxyApp(demo, timeout_seconds=0.3), "GET", "/slow",
                                     headers={"Accept-Language": language})
    assert time.monotonic() - started < 2.5
    assert status == 504
    error = json.loads(raw)["error"]
    assert error["code"] == "gateway_timeout"
    assert error["message"] == getattr(CATALOGUE["gateway_timeout"], message)
    assert error["request_id"] == headers["x-request-id"][0]
