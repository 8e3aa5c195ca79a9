"""A local simulator of the four WeChat server APIs we call, speaking WeChat's own shapes and errcodes.

Run alone: ``python -m tools.simulators.wechat_sim --port 8102``; in-process: ``server, thread = start(port=0)``.

Endpoints (as ``https://api.weixin.qq.com`` serves them; failures are HTTP 200 with ``errcode``/``errmsg``):

- ``GET  /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`` (mini-program app)
- ``GET  /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` (official-account app)
- ``POST /cgi-bin/stable_token`` ``{"grant_type": "client_credential", "appid", "secret", "force_refresh"}``
- ``POST /wxa/business/getuserphonenumber?access_token=...`` ``{"code"}`` (mini-program token only)
- ``POST /cgi-bin/message/subscribe/send?access_token=...`` (mini-program token) and
  ``POST /cgi-bin/message/template/send?access_token=...`` (official-account token): the recipient must be a user of
  that app (40003 invalid openid otherwise: one who signed in with a ``mock:`` code, or registered), a subscription
  message needs a one-time grant of that template (43101 without one; each message spends one), a template message
  needs a follower of the official account (43004); the data is validated by this module's own copy of WeChat's
  value rules (``valid_value``: 47003 when a value breaks its type's rule, ``thing`` over 20 characters, ``phrase``
  over 5 or not Chinese...), and every accepted message is recorded.

Codes:

- ``mock:<openid>`` or ``mock:<openid>:<unionid>`` sign that user in (wx.login or OAuth). For OAuth, a unionid
  comes with scope ``snsapi_userinfo``, no unionid with ``snsapi_base``.
- ``mocksnapshot:<openid>[:<unionid>]`` (OAuth only): a snapshot-page user, ``is_snapshotuser: 1``.
- ``mockphone:<11-digit phone>`` (getuserphonenumber): that phone, country code 86.
- ``mockerr:<errcode>`` (any of the three code endpoints): that WeChat error, e.g. ``mockerr:-1``, ``mockerr:45011``.
- Anything else: 40029 invalid code.
- Any code may end in ``#<anything>`` to make it unique (``mock:alice#2``): like WeChat's, codes are single-use
  (a second use within 5 minutes is 40163 "code been used"; later, 40029), so a test that signs the same user
  in twice needs two different codes.

appid/secret are checked: an unknown appid is 40013, a wrong secret 40125. Tokens from ``stable_token`` live
7200 s; in normal mode WeChat returns the current token until its last 5 minutes; ``force_refresh`` invalidates
it. getuserphonenumber wants a currently valid token of the mini-program: none is 41001, unknown or
invalidated is 40001, expired is 42001; the token is checked before the code, so a rejected call spends no code.

Control endpoints for tests, not WeChat (prefix ``/__sim/``):

- ``POST /__sim/expire-tokens`` ``{"stale": false}``: invalidate every issued access token. With
  ``"stale": true`` the tokens are rejected by getuserphonenumber but normal-mode ``stable_token`` keeps
  returning them (as if WeChat's caches disagreed) until a ``force_refresh``.
- ``POST /__sim/fail-next`` ``{"path": "/cgi-bin/stable_token", "errcode": -1 | "http_status": 502 |
  "delay_seconds": 2.0, "count": 1}``: the next ``count`` requests to ``path`` fail that way (a delay, then
  the normal answer, for timeouts).
- ``GET /__sim/stats``: ``{"requests": {path: count}}`` (WeChat paths only); ``POST /__sim/reset`` forgets
  everything (codes, tokens, faults, counts, messages).
- ``POST /__sim/faults`` ``{"message_failure_rate": 0.3}``: that share of message sends answer ``-1`` or ``45009``.
- ``GET /__sim/messages``: ``{"items": [{path, touser, template_id, data, client_msg_id, page, at}]}`` (accepted).
- ``POST /__sim/users`` ``{"app": "mp" | "oa", "openid", "follow": true}``: a user of that app (as a sign-in makes
  one); for the official account, following it (or not: ``"follow": false`` unfollows).
- ``POST /__sim/subscriptions`` ``{"openid", "template_ids": [...]}``: the user accepted these one-time
  subscriptions in the mini-program (``wx.requestSubscribeMessage``): one message of each may be sent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tools import procs

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8102
#: The mini-program and official-account credentials the simulator accepts by default. The appids are
#: ``chalicelib.core.config``'s local defaults; the local stage must set WECHAT_MP_SECRET / WECHAT_OA_SECRET to these.
DEFAULT_MP_APP_ID = "wx-local-miniprogram"
DEFAULT_MP_SECRET = "local-mp-secret"
DEFAULT_OA_APP_ID = "wx-local-official-account"
DEFAULT_OA_SECRET = "local-oa-secret"

CODE_TTL = 300  # WeChat's login, OAuth and phone codes live 5 minutes and are single-use
TOKEN_TTL = 7200
TOKEN_EARLY_RENEWAL = 300  # normal-mode stable_token returns a new token in the old one's last 5 minutes

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40037: "invalid template_id",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40066: "invalid url",
    40125: "invalid appsecret",
    40163: "code been used",
    40164: "invalid ip, not in whitelist",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe hint: user not subscribed to the official account",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    47001: "data format error",
    47003: "argument invalid! data.value invalid",
    48001: "api unauthorized",
}

_PHONE = re.compile(r"1[3-9]\d{9}")
_IDENT = re.compile(r"[A-Za-z0-9_-]{1,128}")


# -- WeChat's rules for subscription/template message values, by the key's type (its name less the digits), as
# WeChat's documents state them. Deliberately this module's own copy: the app shapes values to these rules, and a
# simulator that borrowed the app's code would accept whatever the app got wrong.
_HAN = "\u4e00-\u9fff"
_VALUE_RULES: dict[str, re.Pattern[str]] = {
    "thing": re.compile(r"(?s).{1,20}"),
    "number": re.compile(r"\d+(\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(r"[!-/:-@\[-`{-~]{1,5}"),
    "character_string": re.compile(r"[0-9A-Za-z!-/:-@\[-`{-~]{1,32}"),
    "time": re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日 )?\d{2}:\d{2}(~(\d{4}年\d{1,2}月\d{1,2}日 )?\d{2}:\d{2})?"),
    "date": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?(~\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?)?"),
    "amount": re.compile(r"[¥$€£]?\d{1,10}(\.\d{1,2})?元?"),
    "phone_number": re.compile(r"[0-9+\-]{1,17}"),
    "car_number": re.compile(rf"[{_HAN}]?[0-9A-Za-z]{{1,7}}[{_HAN}]?"),
    "name": re.compile(rf"[{_HAN}]{{1,10}}|[A-Za-z ]{{1,20}}"),
    "phrase": re.compile(rf"[{_HAN}]{{1,5}}"),
}

_MAX_LENGTH = {"number": 32, "car_number": 8}


def valid_value(key: str, value: str) -> bool:
    """Does WeChat accept ``value`` for a data key like ``thing1`` or ``phrase3``? (An unknown type: 20 characters.)"""
    kind = key.rstrip("0123456789")
    rule = _VALUE_RULES.get(kind)
    if rule is None:
        return 0 < len(value) <= 20
    return len(value) <= _MAX_LENGTH.get(kind, len(value)) and bool(rule.fullmatch(value))


class WeChatError(Exception):
    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode


@dataclass
class _Token:
    app_id: str
    expires_at: float
    valid: bool = True


@dataclass
class _Fault:
    errcode: int | None = None
    http_status: int | None = None
    delay_seconds: float = 0.0
    count: int = 1


@dataclass
class SimState:
    apps: dict[str, str]  # appid -> secret
    mp_app_id: str
    oa_app_id: str
    clock: Any = time.time
    used_codes: dict[tuple[str, str], float] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    current_token: dict[str, str] = field(default_factory=dict)  # appid -> token normal mode returns
    stale: set[str] = field(default_factory=set)  # tokens rejected by APIs but still "current"
    faults: dict[str, _Fault] = field(default_factory=dict)
    requests: Counter = field(default_factory=Counter)
    messages: list[dict[str, Any]] = field(default_factory=list)
    message_failure_rate: float = 0.0
    users: dict[str, set[str]] = field(default_factory=dict)  # appid -> openids of its users
    followers: set[str] = field(default_factory=set)  # openids following the official account
    grants: Counter = field(default_factory=Counter)  # (openid, template_id) -> one-time grants left
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.used_codes.clear()
            self.tokens.clear()
            self.current_token.clear()
            self.stale.clear()
            self.faults.clear()
            self.requests.clear()
            self.messages.clear()
            self.message_failure_rate = 0.0
            self.users.clear()
            self.followers.clear()
            self.grants.clear()

    def add_user(self, appid: str, openid: str) -> None:
        self.users.setdefault(appid, set()).add(openid)

    # -- helpers (call with the lock held) --

    def check_app(self, appid: str | None, secret: str | None, expected: str) -> None:
        if not appid:
            raise WeChatError(41002)
        if appid not in self.apps or appid != expected:
            raise WeChatError(40013)
        if not secret:
            raise WeChatError(41004)
        if not secrets.compare_digest(secret.encode(), self.apps[appid].encode()):
            raise WeChatError(40125)

    def spend_code(self, kind: str, code: str) -> None:
        """Mark ``code`` used; 40163 if it was used in the last 5 minutes, 40029 if used longer ago."""
        now = self.clock()
        for key in [k for k, t in self.used_codes.items() if now - t > 2 * CODE_TTL]:
            del self.used_codes[key]
        used_at = self.used_codes.get((kind, code))
        if used_at is not None:
            raise WeChatError(40163 if now - used_at <= CODE_TTL else 40029)
        self.used_codes[(kind, code)] = now

    def issue_token(self, appid: str) -> tuple[str, int]:
        token = "SIM_" + secrets.token_urlsafe(48)
        self.tokens[token] = _Token(appid, self.clock() + TOKEN_TTL)
        self.current_token[appid] = token
        return token, TOKEN_TTL


def _split_code(code: str) -> tuple[str, list[str]]:
    """``"mock:alice:u1#x"`` -> ``("mock", ["alice", "u1"])``; the ``#...`` uniqueness suffix is dropped."""
    body = code.split("#", 1)[0]
    prefix, _, rest = body.partition(":")
    return prefix, rest.split(":") if rest else []


def _mock_error(prefix: str, parts: list[str]) -> None:
    if prefix == "mockerr":
        try:
            errcode = int(parts[0]) if len(parts) == 1 else None
        except ValueError:
            errcode = None
        raise WeChatError(errcode if errcode is not None else 40029)


def _identity(parts: list[str]) -> tuple[str, str | None]:
    if len(parts) not in (1, 2) or not all(_IDENT.fullmatch(p) for p in parts):
        raise WeChatError(40029)
    return parts[0], parts[1] if len(parts) == 2 else None


class _Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    server_version = "wechat-sim/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default; never print request lines (their query holds secrets and codes, even fake ones).
        return

    # -- plumbing --

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, errcode: int) -> None:
        rid = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        self._send(200, {"errcode": errcode, "errmsg": f"{ERRMSG.get(errcode, 'error')}, rid: {rid}"})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json_body(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            raise WeChatError(44002)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise WeChatError(47001) from None
        if not isinstance(data, dict):
            raise WeChatError(47001)
        return data

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = self._read_body() if method == "POST" else b""
        state = self.server.state
        if path.startswith("/__sim/"):
            self._control(method, path, raw)
            return
        routes = {
            "/sns/jscode2session": ("GET", self._jscode2session),
            "/sns/oauth2/access_token": ("GET", self._oauth_access_token),
            "/cgi-bin/stable_token": ("POST", self._stable_token),
            "/wxa/business/getuserphonenumber": ("POST", self._phone_number),
            "/cgi-bin/message/subscribe/send": ("POST", self._subscribe_send),
            "/cgi-bin/message/template/send": ("POST", self._template_send),
        }
        route = routes.get(path)
        with state.lock:
            state.requests[path] += 1
            fault = state.faults.get(path)
            if fault is not None:
                fault.count -= 1
                if fault.count <= 0:
                    del state.faults[path]
        if fault is not None:
            if fault.delay_seconds:
                time.sleep(fault.delay_seconds)
            if fault.http_status:
                self._send(fault.http_status, {"message": "simulated upstream failure"})
                return
            if fault.errcode is not None:
                self._send_error(fault.errcode)
                return
        if route is None:
            self._send(404, {"errcode": 40066, "errmsg": ERRMSG[40066]})
            return
        expected_method, handler = route
        if method != expected_method:
            self._send_error(43002 if expected_method == "POST" else 43001)
            return
        try:
            with state.lock:
                payload = handler(query, raw)
        except WeChatError as exc:
            self._send_error(exc.errcode)
            return
        self._send(200, payload)

    # -- WeChat endpoints (called with the state lock held) --

    def _jscode2session(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        state = self.server.state
        state.check_app(query.get("appid"), query.get("secret"), state.mp_app_id)
        if query.get("grant_type") != "authorization_code":
            raise WeChatError(40002)
        code = query.get("js_code") or ""
        if not code:
            raise WeChatError(41008)
        prefix, parts = _split_code(code)
        _mock_error(prefix, parts)
        if prefix != "mock":
            raise WeChatError(40029)
        openid, unionid = _identity(parts)
        state.spend_code("jscode", code)
        state.add_user(state.mp_app_id, openid)
        answer: dict[str, Any] = {"session_key": secrets.token_urlsafe(16), "openid": openid}
        if unionid:
            answer["unionid"] = unionid
        return answer

    def _oauth_access_token(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        state = self.server.state
        state.check_app(query.get("appid"), query.get("secret"), state.oa_app_id)
        if query.get("grant_type") != "authorization_code":
            raise WeChatError(40002)
        code = query.get("code") or ""
        if not code:
            raise WeChatError(41008)
        prefix, parts = _split_code(code)
        _mock_error(prefix, parts)
        if prefix not in ("mock", "mocksnapshot"):
            raise WeChatError(40029)
        openid, unionid = _identity(parts)
        state.spend_code("oauth", code)
        state.add_user(state.oa_app_id, openid)
        snapshot = prefix == "mocksnapshot"
        answer: dict[str, Any] = {
            "access_token": "SIMUSER_" + secrets.token_urlsafe(32),
            "expires_in": 7200,
            "refresh_token": "SIMREFRESH_" + secrets.token_urlsafe(32),
            "openid": openid,
            # Snapshot mode happens only for snsapi_userinfo authorisations.
            "scope": "snsapi_userinfo" if (unionid or snapshot) else "snsapi_base",
        }
        if unionid:
            answer["unionid"] = unionid
        if snapshot:
            answer["is_snapshotuser"] = 1
        return answer

    def _stable_token(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        state = self.server.state
        body = self._json_body(raw)
        if body.get("grant_type") != "client_credential":
            raise WeChatError(40002)
        appid = body.get("appid")
        if not appid:
            raise WeChatError(41002)
        if appid not in state.apps:
            raise WeChatError(40013)
        state.check_app(appid, body.get("secret"), appid)
        now = state.clock()
        if body.get("force_refresh") is True:
            old = state.current_token.pop(appid, None)
            if old in state.tokens:
                state.tokens[old].valid = False
            state.stale.discard(old)
            return dict(zip(("access_token", "expires_in"), state.issue_token(appid), strict=True))
        current = state.current_token.get(appid)
        token = state.tokens.get(current) if current else None
        if token is not None and (token.valid or current in state.stale):
            remaining = int(token.expires_at - now)
            if remaining > TOKEN_EARLY_RENEWAL:
                return {"access_token": current, "expires_in": remaining}
        return dict(zip(("access_token", "expires_in"), state.issue_token(appid), strict=True))

    def _phone_number(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        state = self.server.state
        access_token = query.get("access_token")
        if not access_token:
            raise WeChatError(41001)
        token = state.tokens.get(access_token)
        if token is None or not token.valid or access_token in state.stale:
            raise WeChatError(40001)
        if token.expires_at <= state.clock():
            raise WeChatError(42001)
        if token.app_id != state.mp_app_id:
            raise WeChatError(48001)
        body = self._json_body(raw)
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise WeChatError(41008)
        prefix, parts = _split_code(code)
        _mock_error(prefix, parts)
        if prefix != "mockphone" or len(parts) != 1 or not _PHONE.fullmatch(parts[0]):
            raise WeChatError(40029)
        state.spend_code("phone", code)
        phone = parts[0]
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(state.clock()), "appid": token.app_id},
            },
        }

    def _app_token(self, query: dict[str, str], app_id: str) -> None:
        state = self.server.state
        access_token = query.get("access_token")
        if not access_token:
            raise WeChatError(41001)
        token = state.tokens.get(access_token)
        if token is None or not token.valid or access_token in state.stale:
            raise WeChatError(40001)
        if token.expires_at <= state.clock():
            raise WeChatError(42001)
        if token.app_id != app_id:
            raise WeChatError(48001)

    def _message(self, path: str, query: dict[str, str], raw: bytes, app_id: str) -> dict[str, Any]:
        state = self.server.state
        self._app_token(query, app_id)
        body = self._json_body(raw)
        touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
        if not isinstance(touser, str) or not touser or touser not in state.users.get(app_id, set()):
            raise WeChatError(40003)
        if not isinstance(template_id, str) or not template_id:
            raise WeChatError(40037)
        if not isinstance(data, dict) or not data:
            raise WeChatError(47003)
        for key, entry in data.items():
            value = entry.get("value") if isinstance(entry, dict) else None
            if not isinstance(value, str) or not valid_value(key, value):
                raise WeChatError(47003)
        subscription = path.endswith("/subscribe/send")
        if subscription and state.grants[(touser, template_id)] <= 0:
            raise WeChatError(43101)
        if not subscription and touser not in state.followers:
            raise WeChatError(43004)
        if state.message_failure_rate and random.random() < state.message_failure_rate:
            raise WeChatError(random.choice((-1, 45009)))
        if subscription:
            state.grants[(touser, template_id)] -= 1  # a one-time grant is spent by the message it allowed
        state.messages.append({"path": path, "touser": touser, "template_id": template_id, "data": data,
                               "client_msg_id": body.get("client_msg_id"), "page": body.get("page"),
                               "at": state.clock()})
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        if path.endswith("/template/send"):
            answer["msgid"] = len(state.messages)
        return answer

    def _subscribe_send(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        return self._message("/cgi-bin/message/subscribe/send", query, raw, self.server.state.mp_app_id)

    def _template_send(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        return self._message("/cgi-bin/message/template/send", query, raw, self.server.state.oa_app_id)

    # -- control endpoints (not WeChat) --

    def _control(self, method: str, path: str, raw: bytes) -> None:
        state = self.server.state
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._send(400, {"error": "body must be JSON"})
            return
        if not isinstance(body, dict):
            self._send(400, {"error": "body must be a JSON object"})
            return
        if method == "GET" and path == "/__sim/stats":
            with state.lock:
                self._send(200, {"requests": dict(state.requests)})
            return
        if method == "GET" and path == "/__sim/messages":
            with state.lock:
                self._send(200, {"items": list(state.messages)})
            return
        if method != "POST":
            self._send(405, {"error": "use POST"})
            return
        if path == "/__sim/expire-tokens":
            stale = bool(body.get("stale"))
            with state.lock:
                expired = 0
                for value, token in state.tokens.items():
                    if stale:
                        if token.valid and value not in state.stale:
                            state.stale.add(value)
                            expired += 1
                    elif token.valid:
                        token.valid = False
                        expired += 1
                if not stale:
                    state.current_token.clear()
                    state.stale.clear()
            self._send(200, {"expired": expired, "stale": stale})
        elif path == "/__sim/fail-next":
            target = body.get("path")
            if not isinstance(target, str) or not target.startswith("/"):
                self._send(400, {"error": "path is required"})
                return
            fault = _Fault(
                errcode=int(body["errcode"]) if body.get("errcode") is not None else None,
                http_status=int(body["http_status"]) if body.get("http_status") else None,
                delay_seconds=float(body.get("delay_seconds") or 0),
                count=max(1, int(body.get("count") or 1)),
            )
            with state.lock:
                state.faults[target] = fault
            self._send(200, {"path": target, "count": fault.count})
        elif path == "/__sim/faults":
            try:
                rate = float(body.get("message_failure_rate") or 0.0)
            except (TypeError, ValueError):
                rate = -1.0
            if not 0.0 <= rate <= 1.0:
                self._send(400, {"error": "message_failure_rate is 0.0-1.0"})
                return
            with state.lock:
                state.message_failure_rate = rate
            self._send(200, {"message_failure_rate": rate})
        elif path == "/__sim/users":
            app = body.get("app")
            openid = body.get("openid")
            if app not in ("mp", "oa") or not isinstance(openid, str) or not _IDENT.fullmatch(openid):
                self._send(400, {"error": "app (mp | oa) and openid are required"})
                return
            with state.lock:
                state.add_user(state.mp_app_id if app == "mp" else state.oa_app_id, openid)
                if app == "oa" and body.get("follow") is not None:
                    (state.followers.add if body["follow"] else state.followers.discard)(openid)
            self._send(200, {"app": app, "openid": openid, "follower": openid in state.followers})
        elif path == "/__sim/subscriptions":
            openid, templates = body.get("openid"), body.get("template_ids")
            if not isinstance(openid, str) or not isinstance(templates, list) or not all(
                    isinstance(t, str) and t for t in templates):
                self._send(400, {"error": "openid and template_ids are required"})
                return
            with state.lock:
                for template_id in templates:
                    state.grants[(openid, template_id)] += 1
                left = {t: state.grants[(openid, t)] for t in templates}
            self._send(200, {"openid": openid, "grants": left})
        elif path == "/__sim/reset":
            state.reset()
            self._send(200, {"reset": True})
        else:
            self._send(404, {"error": "no such control endpoint"})


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        super().__init__(address, _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its timeout) closes the socket under us: not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def request_count(self, path: str) -> int:
        with self.state.lock:
            return self.state.requests[path]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    mp_app_id: str = DEFAULT_MP_APP_ID,
    mp_secret: str = DEFAULT_MP_SECRET,
    oa_app_id: str = DEFAULT_OA_APP_ID,
    oa_secret: str = DEFAULT_OA_SECRET,
) -> SimServer:
    state = SimState(apps={mp_app_id: mp_secret, oa_app_id: oa_secret}, mp_app_id=mp_app_id, oa_app_id=oa_app_id)
    return SimServer((host, port), state)


def start(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    **credentials: str,
) -> tuple[SimServer, threading.Thread]:
    """Serve the simulator from a daemon thread; ``port=0`` picks a free port (see ``server.base_url``).

    ``credentials``: ``mp_app_id``, ``mp_secret``, ``oa_app_id``, ``oa_secret`` (defaults above).
    Stop it with ``server.stop()``.
    """
    server = make_server(host, port, **credentials)
    thread = threading.Thread(target=server.serve_forever, name="wechat-sim", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.simulators.wechat_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--mp-app-id", default=os.environ.get("WECHAT_MP_APP_ID") or DEFAULT_MP_APP_ID)
    parser.add_argument("--mp-secret", default=os.environ.get("WECHAT_MP_SECRET") or DEFAULT_MP_SECRET)
    parser.add_argument("--oa-app-id", default=os.environ.get("WECHAT_OA_APP_ID") or DEFAULT_OA_APP_ID)
    parser.add_argument("--oa-secret", default=os.environ.get("WECHAT_OA_SECRET") or DEFAULT_OA_SECRET)
    args = parser.parse_args(argv)
    server = make_server(
        args.host,
        args.port,
        mp_app_id=args.mp_app_id,
        mp_secret=args.mp_secret,
        oa_app_id=args.oa_app_id,
        oa_secret=args.oa_secret,
    )
    print(
        f"WeChat simulator on {server.base_url} (mini-program {args.mp_app_id}, official account {args.oa_app_id})",
        flush=True,
    )
    procs.serve_until_interrupted(server)


if __name__ == "__main__":
    main()
