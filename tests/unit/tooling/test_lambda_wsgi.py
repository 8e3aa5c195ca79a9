"""The local stack's WSGI -> API Gateway proxy adapter (tools/lambda_emulation/api_gateway.py) and its schedules
(tools/lambda_emulation/schedules.py).

Called in-process through WSGI: no server, no DynamoDB (only routes that need neither).
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice import Chalice, Response

from tools.lambda_emulation.api_gateway import (
    ACCESS_LOG_FORMAT,
    AccessLogger,
    LambdaProxyApp,
    gunicorn_command,
    mask_phones,
)
from tools.lambda_emulation.schedules import Cron, Job, Rate, Scheduler, parse_expression


def wsgi_call(
    application: Any, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "RAW_URI": target, "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.1.2.3", "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }  # fmt: skip
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = {}
        for name, value in response_headers:
            seen["headers"].setdefault(name.lower(), []).append(value)

    raw = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], raw


@pytest.fixture
def echo_app() -> tuple[LambdaProxyApp, list[dict[str, Any]]]:
    demo = Chalice(app_name="demo", configure_logs=False)
    demo.api.binary_types.append("application/x-demo")
    events: list[dict[str, Any]] = []

    @demo.route("/items/{item_id}", methods=["GET", "POST"], content_types=["application/json", "application/x-demo"])
    def item(item_id: str) -> Response:
        events.append(demo.current_request.to_original_event())
        return Response(body=b"\x00\x01binary", status_code=201, headers={"Content-Type": "application/x-demo",
                                                                          "X-One": "1"})

    @demo.route("/slow")
    def slow() -> dict[str, str]:
        time.sleep(3)
        return {"late": "yes"}

    return LambdaProxyApp(demo, timeout_seconds=0.5), events


def test_the_event_has_the_rest_proxy_shape_chalice_expects(echo_app) -> None:
    application, events = echo_app
    status, headers, raw = wsgi_call(
        application, "POST", "/items/a%20b/?tag=x&tag=y&empty=", body=b"\xff\xfe",
        headers={"Content-Type": "application/x-demo", "X-Channel": "app", "Accept": "application/x-demo"},
    )  # fmt: skip
    assert status == 201 and raw == b"\x00\x01binary"
    assert headers["content-type"] == ["application/x-demo"] and headers["x-one"] == ["1"]
    assert headers["content-length"] == [str(len(raw))]
    event = events[0]
    assert event["httpMethod"] == "POST" and event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/a b"
    assert event["pathParameters"] == {"item_id": "a b"}
    assert event["queryStringParameters"] == {"tag": "y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "empty": [""]}
    assert event["headers"]["X-Channel"] == "app" and event["multiValueHeaders"]["X-Channel"] == ["app"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"
    context = event["requestContext"]
    assert context["resourcePath"] == "/items/{item_id}" and context["httpMethod"] == "POST"
    assert context["identity"]["sourceIp"] == "10.1.2.3" and context["stage"] == "api"
    assert context["requestId"]


def test_a_text_body_stays_text_and_no_query_is_null(echo_app) -> None:
    application, events = echo_app
    wsgi_call(application, "POST", "/items/1", body=b'{"a": 1}', headers={"Content-Type": "application/json",
                                                                          "Accept": "application/x-demo"})
    event = events[0]
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None


def test_a_request_past_the_gateway_timeout_is_answered_504_in_the_envelope(echo_app) -> None:
    application, _ = echo_app
    started = time.monotonic()
    status, headers, raw = wsgi_call(application, "GET", "/slow", headers={"Accept-Language": "en"})
    assert time.monotonic() - started < 2.5
    assert status == 504
    error = json.loads(raw)["error"]
    assert error["code"] == "gateway_timeout" and error["request_id"] == headers["x-request-id"][0]
    assert error["message"] == "The service took too long to answer; retry shortly"


@pytest.fixture(scope="module")
def member_portal() -> LambdaProxyApp:
    import app as application

    return LambdaProxyApp(application.app)


@pytest.mark.parametrize("language, message", [(None, "接口不存在"), ("en", "No such endpoint")])
def test_an_unknown_route_is_the_gateway_404_in_the_envelope(member_portal, language, message) -> None:
    status, headers, raw = wsgi_call(member_portal, "GET", "/v1/no-such-route",
                                     headers={"Accept-Language": language} if language else None)
    assert status == 404 and headers["content-type"] == ["application/json"]
    error = json.loads(raw)["error"]
    assert error == {"code": "route_not_found", "message": message, "request_id": headers["x-request-id"][0],
                     "details": []}


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "DELETE", "FROBNICATE", "patch"])
def test_a_method_the_route_lacks_is_405_in_the_envelope_never_a_501_page(member_portal, method) -> None:
    status, _headers, raw = wsgi_call(member_portal, method, "/v1/health", headers={"Accept-Language": "en"})
    assert status == 405
    error = json.loads(raw)["error"]
    assert error["code"] == "method_not_allowed" and error["message"] == "This method is not allowed here"


def test_health_answers_through_the_adapter(member_portal) -> None:
    status, headers, raw = wsgi_call(member_portal, "GET", "/v1/health/")
    assert status == 200 and json.loads(raw) == {"status": "ok"}
    assert headers["x-request-id"]


def test_mask_phones_keeps_the_first_three_and_last_four_digits() -> None:
    assert mask_phones("/v1/dev/sms-outbox?phone=13912345678") == "/v1/dev/sms-outbox?phone=139****5678"
    assert mask_phones("a 8613912345678 b 1391234567 c 12912345678") == "a 8613912345678 b 1391234567 c 12912345678"
    assert mask_phones("15000000000,18612345678") == "150****0000,186****5678"


def test_the_access_log_shows_no_query_and_no_phone() -> None:
    class Cfg:
        def __getattr__(self, name: str) -> Any:
            return None

    class Resp:
        status = "200 OK"
        sent = 10
        headers = ()

    logger = AccessLogger.__new__(AccessLogger)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/v1/members/13912345678?phone=13912345678&otp=123456",
               "PATH_INFO": "/v1/members/13912345678", "QUERY_STRING": "phone=13912345678&otp=123456",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "http://x/?phone=13912345678"}
    logger.cfg = Cfg()
    from datetime import timedelta

    atoms = logger.atoms(Resp(), [], environ, timedelta(milliseconds=3))
    line = json.dumps(atoms, default=str)
    assert "13912345678" not in line and "123456" not in line.replace("139****5678", "")
    assert atoms["r"] == "GET /v1/members/139****5678?… HTTP/1.1"


def test_the_access_log_escapes_control_bytes_from_the_request() -> None:
    """A path of ``%1b[2J`` cleared the terminal reading the log and ``%0a`` forged a line: both were written raw."""

    class Cfg:
        def __getattr__(self, name: str) -> Any:
            return None

    class Resp:
        status = "404 Not Found"
        sent = 10
        headers = ()

    logger = AccessLogger.__new__(AccessLogger)
    logger.cfg = Cfg()
    # As a WSGI server passes it: the request's bytes, percent-decoded, as latin-1 characters.
    path = "/v1/\x1b[2J\r\n127.0.0.1 \"GET /forged HTTP/1.1\" 200\x00\x7f\xc2\x85/\xe4\xbc\x9a\xe5\x91\x98/\xff"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "ua\x1b[31m"}
    from datetime import timedelta

    atoms = logger.atoms(Resp(), [], environ, timedelta(milliseconds=3))
    line = ACCESS_LOG_FORMAT % atoms + " " + atoms["a"]
    assert not [c for c in line if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F], line
    assert atoms["r"] == (
        "GET /v1/\\x1b[2J\\x0d\\x0a127.0.0.1 \\x22GET /forged HTTP/1.1\\x22 200\\x00\\x7f\\x85/会员/\\xff HTTP/1.1"
    )
    assert line.count('"') == 2  # the request's own quotes cannot end the field


def test_a_request_line_too_long_is_answered_414_uri_too_long_in_the_envelope(monkeypatch) -> None:
    from gunicorn import util

    from tools.lambda_emulation import api_gateway

    written: list[bytes] = []
    monkeypatch.setattr(util, "write_nonblock", lambda sock, data: written.append(data))
    api_gateway._gunicorn_error(None, 414, "Request-URI Too Long", "line too long")
    head, _, body = written[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "uri_too_long"


def test_the_gunicorn_command_serves_like_lambda() -> None:
    cmd = gunicorn_command(host="127.0.0.1", port=9999, workers=3)
    flags = dict(itertools.pairwise(cmd))
    assert flags["--workers"] == "3" and flags["--backlog"] == "2048"
    assert flags["--worker-class"] == "tools.lambda_emulation.api_gateway.Worker"  # sync: one request at a time each
    assert "--preload" not in cmd and cmd[-1] == "tools.lambda_emulation.api_gateway:application"
    assert "%(q)s" not in flags["--access-logformat"]


# ---------------------------------------------------------------------------------------------- schedules


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_cron_expressions_match_like_eventbridge() -> None:
    daily = parse_expression("cron(10 16 * * ? *)")
    assert isinstance(daily, Cron)
    assert daily.matches(utc(2026, 3, 1, 16, 10)) and not daily.matches(utc(2026, 3, 1, 16, 11))
    hourly = parse_expression("cron(20 * * * ? *)")
    assert all(hourly.matches(utc(2026, 3, 1, h, 20)) for h in range(24))
    assert not hourly.matches(utc(2026, 3, 1, 5, 21))
    weekdays = parse_expression("cron(0/15 9-17 ? * MON-FRI *)")
    assert weekdays.matches(utc(2026, 3, 2, 9, 45))  # a Monday
    assert not weekdays.matches(utc(2026, 3, 1, 9, 45))  # a Sunday
    assert not weekdays.matches(utc(2026, 3, 2, 9, 50))
    sunday = parse_expression("cron(0 0 ? * 1 *)")  # EventBridge: 1 = SUN
    assert sunday.matches(utc(2026, 3, 1, 0, 0)) and not sunday.matches(utc(2026, 3, 2, 0, 0))
    with pytest.raises(ValueError):
        parse_expression("cron(0 0 L * ? *)")
    with pytest.raises(ValueError):
        parse_expression("cron(0 0 * *)")


def test_rates_run_one_period_after_start_then_every_period() -> None:
    rate = parse_expression("rate(5 minutes)")
    assert isinstance(rate, Rate) and rate.seconds == 300
    assert parse_expression("rate(1 hour)").seconds == 3600
    job = Job("j", "rate(5 minutes)", lambda e, c: None, rate, next_rate_run=utc(2026, 1, 1, 0, 5))
    due = [m for m in range(0, 16) if job.due(utc(2026, 1, 1, 0, m))]
    assert due == [5, 10, 15]


def test_the_scheduler_invokes_due_jobs_and_skips_one_still_running() -> None:
    calls: list[str] = []
    release = threading.Event()

    def invoke(job: Job) -> None:
        calls.append(job.name)
        assert release.wait(30)

    jobs = [Job("hourly", "cron(20 * * * ? *)", lambda e, c: None, parse_expression("cron(20 * * * ? *)")),
            Job("every", "rate(1 minute)", lambda e, c: None, parse_expression("rate(1 minute)"),
                next_rate_run=utc(2026, 1, 1, 10, 19))]
    scheduler = Scheduler(jobs, invoke)
    assert scheduler.tick(utc(2026, 1, 1, 10, 20)) == ["hourly", "every"]
    assert scheduler.tick(utc(2026, 1, 1, 10, 21)) == []  # "every" still running: skipped, not doubled
    release.set()
    for job in jobs:  # both runs finish (whatever the machine's load), then "every" is due again
        assert job.running is not None
        job.running.join(30)
    assert scheduler.tick(utc(2026, 1, 1, 10, 22)) == ["every"]
    jobs[1].running.join(30)
    assert sorted(calls) == ["every", "every", "hourly"]


def test_the_apps_schedules_are_all_understood() -> None:
    import app as application
    from chalicelib.areas import AREAS

    scheduler = Scheduler.for_app(application.app)
    expressions = {job.name: job.expression for job in scheduler.jobs}
    assert expressions == {job.name: job.schedule for area in AREAS for job in area.jobs}
    assert {"outbox_sweeper", "expire_points_job", "birthday_benefits_job"} <= set(expressions)
