"""The app served the way API Gateway (REST API, Lambda proxy integration) and Lambda serve it, for gunicorn.

``python -m gunicorn --worker-class tools.lambda_emulation.api_gateway.Worker --logger-class
tools.lambda_emulation.api_gateway.AccessLogger tools.lambda_emulation.api_gateway:application`` (the local stack
builds the full command line, see ``gunicorn_command``):
a pool of pre-forked sync workers, each importing ``app`` once and serving one request at a time, as a Lambda
container does, behind gunicorn's listener (backlog 2048, ``TCP_NODELAY``).

Per request, ``LambdaProxyApp`` does what API Gateway does before and after the function:

- matches the path against ``app.routes`` (chalice's ``RouteMatcher``: literal segments before ``{captures}``, a
  trailing slash ignored); no match is API Gateway's ``MISSING_AUTHENTICATION_TOKEN``, answered with
  ``infra/resources.json``'s gateway response (404 ``route_not_found`` in the error envelope);
- builds the REST (v1) proxy event: ``resource``, ``path``, ``httpMethod``, ``headers``/``multiValueHeaders``,
  ``queryStringParameters``/``multiValueQueryStringParameters``, ``pathParameters`` (URL-decoded),
  ``body`` (base64 with ``isBase64Encoded`` for binary media types), ``requestContext`` (``requestId``,
  ``identity.sourceIp``, ``stage``, ``resourcePath``, ``httpMethod``, ...); runs chalice's local authorizers;
- calls ``app.app(event, context)`` with a Lambda-like context (``aws_request_id``, ``function_name``,
  ``get_remaining_time_in_millis`` counting down from the gateway's 29 s);
- turns the proxy response (``statusCode``, ``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``)
  back into HTTP.

A method the route does not have (TRACE, CONNECT, a made-up one) reaches the app, which answers 405
``method_not_allowed`` in the envelope. What gunicorn itself refuses (a malformed request line, headers too
large) is answered in the envelope too (``Worker``), never with an HTML page. A request still running after
``LOCAL_GATEWAY_TIMEOUT_SECONDS`` (29, API Gateway's integration timeout) is interrupted (SIGALRM in the
worker) and answered 504 in the envelope; in AWS the function would run on, here the worker is freed.
Messages are Chinese, English with ``Accept-Language: en``, as the app's own errors.

The access log (``AccessLogger``) writes no query strings, masks 11-digit mobile numbers (``139****5678``) and
escapes what could forge or hide a log line (``escape_for_log``): control bytes from the request (a path of
``%1b[2J`` or ``%0a``, sent raw before), the double quote and the backslash as ``\\xNN``.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import signal
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from tools.lambda_emulation.context import ACCOUNT_ID, LambdaContext

REPO_ROOT = Path(__file__).resolve().parents[2]
GATEWAY_TIMEOUT_SECONDS = 29.0  # API Gateway's maximum integration timeout
STAGE_NAME = "api"  # chalice's API Gateway stage

PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")

StartResponse = Callable[..., Any]


def mask_phones(text: str) -> str:
    """``13912345678`` -> ``139****5678`` wherever an 11-digit mainland mobile number appears."""
    return PHONE_RE.sub(r"\1****\2", text)


# C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, the quote and backslash that delimit and
# escape the access log's fields, and the bytes that were not UTF-8 (``_wsgi_text`` keeps them as lone surrogates).
_LOG_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"\\\udc80-\udcff]')


def _escaped(char: str) -> str:
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:
        return f"\\x{point - 0xDC00:02x}"
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape_for_log(text: str) -> str:
    """``text`` with every character that could end, forge or hide a log line written as ``\\xNN``
    (``\\uNNNN``)."""
    return _LOG_UNSAFE_RE.sub(lambda m: _escaped(m[0]), text)


def _wsgi_text(value: str) -> str:
    """A WSGI string (the request's bytes as latin-1) as the UTF-8 text it was; bytes that are not UTF-8 become
    lone surrogates, which ``escape_for_log`` writes as ``\\xNN``."""
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value


def gateway_timeout_seconds() -> float:
    raw = os.environ.get("LOCAL_GATEWAY_TIMEOUT_SECONDS")
    return float(raw) if raw else GATEWAY_TIMEOUT_SECONDS


# ------------------------------------------------------------------------------------- gateway responses


@functools.cache
def gateway_responses() -> dict[str, Any]:
    """``infra/resources.json``'s ``GatewayResponses`` of the REST API: response type -> its definition."""
    template = json.loads((REPO_ROOT / "infra" / "resources.json").read_text(encoding="utf-8"))
    return dict(template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"])


def gateway_response_type(error: Any) -> str:
    """The API Gateway response type of an error chalice's local gateway raises before the app runs."""
    kind = (getattr(error, "headers", None) or {}).get("x-amzn-ErrorType", "")
    if error.CODE == 403 and kind == "UnauthorizedException":
        return "MISSING_AUTHENTICATION_TOKEN"  # no such route (with or without an Authorization header)
    if error.CODE == 403:
        return "ACCESS_DENIED"
    if error.CODE == 401:
        return "UNAUTHORIZED"
    return "DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX"


def _english_message(code: str) -> str | None:
    from chalicelib.core.errors import CATALOGUE

    spec = CATALOGUE.get(code)
    return spec.en if spec is not None else None


def _wants_english(accept_language: str | None) -> bool:
    from chalicelib.core.errors import wants_english

    return bool(wants_english(accept_language))


def gateway_error(
    kind: str, *, status: int | None = None, request_id: str | None = None, accept_language: str | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the gateway response ``kind`` (e.g. ``MISSING_AUTHENTICATION_TOKEN``).

    The body is the template's ``application/json`` response with ``$context.requestId`` filled in, as API
    Gateway renders it; a type the template lacks falls back to ``DEFAULT_4XX``/``DEFAULT_5XX`` (keeping
    ``status``, as API Gateway does). With ``Accept-Language: en`` the message is the app's English one.
    """
    responses = gateway_responses()
    fallback = "DEFAULT_5XX" if (status or 500) >= 500 else "DEFAULT_4XX"
    response = responses.get(kind) or responses[fallback]
    request_id = request_id or str(uuid.uuid4())
    code = int(response.get("StatusCode") or status or 500)
    rendered = response["ResponseTemplates"]["application/json"].replace("$context.requestId", request_id)
    body = json.loads(rendered)
    if _wants_english(accept_language):
        english = _english_message(body["error"]["code"])
        if english:
            body["error"]["message"] = english
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(raw))),
        ("X-Request-Id", request_id),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", kind),
    ]
    return code, headers, raw


class GatewayTimeout(BaseException):
    """Raised in the worker by SIGALRM when a request passes the gateway's timeout (not an ``Exception``: the
    app's catch-all error handling must not turn it into a 500)."""


# ------------------------------------------------------------------------------------------- the adapter


def _header_name(wsgi_key: str) -> str:
    return "-".join(part.capitalize() for part in wsgi_key.split("_"))


def request_headers(environ: dict[str, Any]) -> dict[str, list[str]]:
    """The request's headers, as API Gateway passes them: name -> every value (in order)."""
    headers: dict[str, list[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = _header_name(key[5:])
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = _header_name(key)
        else:
            continue
        if value == "" and key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            continue
        headers.setdefault(name, []).append(str(value))
    return headers


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return bytes(stream.read(int(length)))
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return bytes(stream.read())
    return b""


def _is_binary(content_type: str, binary_types: Iterable[str]) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime:
        return False
    for pattern in binary_types:
        pattern = pattern.lower()
        if pattern == mime or (pattern.endswith("/*") and mime.startswith(pattern[:-1])) or pattern == "*/*":
            return True
    return False


class LambdaProxyApp:
    """A WSGI application that calls a Chalice app with API Gateway REST proxy events (see the module docstring)."""

    def __init__(
        self, chalice_app: Any, *, function_name: str | None = None, timeout_seconds: float | None = None
    ) -> None:
        from chalice.local import LocalGatewayAuthorizer, RouteMatcher

        self.chalice_app = chalice_app
        self.matcher = RouteMatcher(list(chalice_app.routes))
        self.authorizer = LocalGatewayAuthorizer(chalice_app)
        self.binary_types = list(getattr(chalice_app.api, "binary_types", []) or [])
        stage = os.environ.get("STAGE", "local")
        self.function_name = function_name or f"{chalice_app.app_name}-{stage}"
        self.timeout_seconds = timeout_seconds if timeout_seconds is not None else gateway_timeout_seconds()

    # ------------------------------------------------------------------------------------------- event

    def proxy_event(self, environ: dict[str, Any], request_id: str) -> dict[str, Any]:
        """The REST API (v1) proxy event for this request; ``ValueError`` when no route matches."""
        method = environ["REQUEST_METHOD"].upper()
        raw_path = environ.get("RAW_URI") or environ.get("PATH_INFO") or "/"
        raw_path = raw_path.split("?", 1)[0].split("#", 1)[0] or "/"
        if "://" in raw_path:  # absolute-form request target: keep the path
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        matched = self.matcher.match_route(raw_path)  # raises ValueError
        path = unquote(raw_path)
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        multi_headers = request_headers(environ)
        headers = {name: ",".join(values) for name, values in multi_headers.items()}
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        body = _read_body(environ)
        is_base64 = False
        body_value: str | None = None
        if body:
            if _is_binary(environ.get("CONTENT_TYPE", ""), self.binary_types):
                body_value, is_base64 = base64.b64encode(body).decode("ascii"), True
            else:
                try:
                    body_value = body.decode("utf-8")
                except UnicodeDecodeError:
                    body_value, is_base64 = base64.b64encode(body).decode("ascii"), True
        now = datetime.now(UTC)
        source_ip = environ.get("REMOTE_ADDR") or "127.0.0.1"
        host = headers.get("Host", "localhost")
        return {
            "resource": matched.route,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": {k: unquote(v) for k, v in matched.captured.items()} or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": matched.route,
                "httpMethod": method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{STAGE_NAME}{path}",
                "accountId": ACCOUNT_ID,
                "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "stage": STAGE_NAME,
                "domainName": host,
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
                "apiId": "local",
            },
            "body": body_value,
            "isBase64Encoded": is_base64,
        }

    # ------------------------------------------------------------------------------------------- serve

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        request_id = str(uuid.uuid4())
        language = environ.get("HTTP_ACCEPT_LANGUAGE")
        try:
            event = self.proxy_event(environ, request_id)
        except ValueError:
            return self._gateway(start_response, "MISSING_AUTHENTICATION_TOKEN", request_id, language)
        context = LambdaContext(self.function_name, self.timeout_seconds)
        try:
            with _deadline(self.timeout_seconds):
                response = self._invoke(event, context, environ)
        except GatewayTimeout:
            return self._gateway(start_response, "INTEGRATION_TIMEOUT", request_id, language, status=504)
        except _GatewayRefusal as refusal:
            return self._gateway(start_response, refusal.kind, request_id, language, status=refusal.status)
        return self._respond(start_response, response)

    def _invoke(self, event: dict[str, Any], context: LambdaContext, environ: dict[str, Any]) -> dict[str, Any]:
        from chalice.local import LocalGatewayException

        method = event["httpMethod"]
        routes = self.chalice_app.routes.get(event["resource"], {})
        if method == "OPTIONS" and "OPTIONS" not in routes and any(v.cors for v in routes.values()):
            return self._cors_preflight(routes)
        try:
            event, context = self.authorizer.authorize(event["path"], event, context)
        except LocalGatewayException as error:
            raise _GatewayRefusal(gateway_response_type(error), error.CODE) from None
        return dict(self.chalice_app(event, context))

    @staticmethod
    def _cors_preflight(routes: dict[str, Any]) -> dict[str, Any]:
        methods = [m for m, view in routes.items() if view.cors is not None]
        headers = routes[methods[0]].cors.get_access_control_headers()
        headers["Access-Control-Allow-Methods"] = ",".join([*methods, "OPTIONS"])
        return {"statusCode": 200, "headers": headers, "multiValueHeaders": {}, "body": None}

    def _gateway(
        self, start_response: StartResponse, kind: str, request_id: str, language: str | None, status: int | None = None
    ) -> list[bytes]:
        code, headers, body = gateway_error(kind, status=status, request_id=request_id, accept_language=language)
        start_response(_status_line(code), headers)
        return [body]

    @staticmethod
    def _respond(start_response: StartResponse, response: dict[str, Any]) -> list[bytes]:
        status = int(response.get("statusCode") or 200)
        body = response.get("body")
        if body is None:
            raw = b""
        elif response.get("isBase64Encoded"):
            raw = base64.b64decode(body)
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = str(body).encode("utf-8")
        headers: list[tuple[str, str]] = []
        single = dict(response.get("headers") or {})
        multi = dict(response.get("multiValueHeaders") or {})
        for name, value in single.items():
            if name not in multi:
                headers.append((name, str(value)))
        for name, values in multi.items():
            headers.extend((name, str(value)) for value in (values if isinstance(values, list) else [values]))
        lowered = {name.lower() for name, _ in headers}
        if "content-type" not in lowered:
            headers.append(("Content-Type", "application/json"))
        headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
        headers.append(("Content-Length", str(len(raw))))
        start_response(_status_line(status), headers)
        return [raw]


class _GatewayRefusal(Exception):
    def __init__(self, kind: str, status: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status


def _status_line(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


class _deadline:
    """Raise ``GatewayTimeout`` in this (main) thread after ``seconds``; a no-op off the main thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        import threading

        if self.seconds > 0 and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)

    @staticmethod
    def _fire(_signum: int, _frame: Any) -> None:
        raise GatewayTimeout()


# ------------------------------------------------------------------------------------------ gunicorn parts


def __getattr__(name: str) -> Any:
    """``tools.lambda_emulation.api_gateway:application``: the app, imported on first use, once per worker process."""
    if name != "application":
        raise AttributeError(name)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import app as app_module

    application = LambdaProxyApp(app_module.app)
    globals()["application"] = application
    return application


def _envelope_error(status: int, code: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """An answer in the error envelope with the catalogue's (Chinese) message: the request was not read, so its
    Accept-Language is unknown."""
    from chalicelib.core.errors import error_body

    request_id = str(uuid.uuid4())
    raw = json.dumps(error_body(code, request_id, english=False), ensure_ascii=False).encode("utf-8")
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(raw))),
                    ("X-Request-Id", request_id)], raw


def _gunicorn_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answers (a bad request line, headers too large, a crash), in the error envelope."""
    from gunicorn import util

    if status_int == 414:  # a request line over gunicorn's limit: the documented 414 of every route
        code, headers, body = _envelope_error(414, "uri_too_long")
    else:
        kind = "DEFAULT_5XX" if status_int >= 500 else "DEFAULT_4XX"
        code, headers, body = gateway_error(kind, status=status_int)
    head = f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    util.write_nonblock(sock, head.encode("latin-1") + b"\r\n" + body)


try:
    from gunicorn.glogging import Logger as _GunicornLogger
    from gunicorn.workers.sync import SyncWorker as _SyncWorker
except ImportError:  # gunicorn is a dev dependency; the adapter itself does not need it
    pass
else:

    class Worker(_SyncWorker):
        """gunicorn's sync worker (one request at a time, like a Lambda container) answering its own errors in
        the error envelope instead of an HTML page."""

        def init_process(self) -> None:
            from gunicorn import util

            util.write_error = _gunicorn_error
            super().init_process()

    class AccessLogger(_GunicornLogger):
        """gunicorn's logger, with an access log that shows no query string, masks mobile numbers and escapes
        control bytes (module docstring)."""

        def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
            atoms = dict(super().atoms(resp, req, environ, request_time))
            path = _wsgi_text(str(environ.get("PATH_INFO") or "-"))
            query = "?…" if environ.get("QUERY_STRING") else ""
            atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path}{query} {environ.get('SERVER_PROTOCOL')}"
            atoms["U"], atoms["q"] = path, ""
            for key, value in atoms.items():  # every atom a format could name, the raw URI and headers included
                if key == "{query_string}e":
                    value = ""
                if isinstance(value, str):
                    if key in ("f", "{raw_uri}e", "{referer}i") or key.startswith("{http_"):
                        value = value.split("?", 1)[0]
                    atoms[key] = escape_for_log(mask_phones(value))
            return atoms


ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'


def gunicorn_command(
    *, host: str, port: int, workers: int, timeout_seconds: float | None = None, access_log: bool = True
) -> list[str]:
    """The command line serving the app with ``workers`` sync worker processes on ``host:port``."""
    timeout = timeout_seconds if timeout_seconds is not None else gateway_timeout_seconds()
    cmd = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", "tools.lambda_emulation.api_gateway.Worker",
        "--backlog", "2048",
        # The master kills a worker silent this long; the 504 at ``timeout`` comes first (SIGALRM in the worker).
        "--timeout", str(int(timeout) + 10),
        "--graceful-timeout", "2",
        "--permit-unconventional-http-method",  # a made-up method reaches the app: 405 in the envelope
        "--logger-class", "tools.lambda_emulation.api_gateway.AccessLogger",
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--error-logfile", "-",
        "--no-control-socket",
        "--chdir", str(REPO_ROOT),
    ]  # fmt: skip
    if access_log:
        cmd += ["--access-logfile", "-"]
    return [*cmd, "tools.lambda_emulation.api_gateway:application"]
