"""WeChatClient against the WeChat simulator over real HTTP (in-process, free port), with a fake token cache."""

from __future__ import annotations

import ast
import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from chalicelib.core import wechat
from chalicelib.core.config import reset_settings
from chalicelib.core.errors import CATALOGUE, AppError
from chalicelib.core.observability import SERVICE
from chalicelib.core.wechat import (
    PHONE_NUMBER_PATH,
    STABLE_TOKEN_PATH,
    SUBSCRIBE_SEND_PATH,
    TEMPLATE_SEND_PATH,
    TOKEN_SAFETY_MARGIN,
    MiniProgramSession,
    OAuthIdentity,
    WeChatClient,
)
from tools.simulators import wechat_sim
from tools.simulators.wechat_sim import (
    DEFAULT_MP_APP_ID,
    DEFAULT_MP_SECRET,
    DEFAULT_OA_APP_ID,
    DEFAULT_OA_SECRET,
)

JSCODE = "/sns/jscode2session"
OAUTH = "/sns/oauth2/access_token"


class FakeTokenCache:
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, int]] = {}
        self.gets = 0
        self.puts = 0

    def get(self, app_id: str) -> tuple[str, int] | None:
        self.gets += 1
        return self.items.get(app_id)

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        self.puts += 1
        self.items[app_id] = (token, expires_at)


class BrokenTokenCache:
    def get(self, app_id: str) -> tuple[str, int] | None:
        raise ConnectionError("dynamodb down")

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        raise ConnectionError("dynamodb down")


class LogCapture(logging.Handler):
    """Everything the client logs, before any redaction: message plus every extra attribute."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def text(self) -> str:
        return "\n".join(repr(r.__dict__) for r in self.records)

    def extras(self, key: str) -> list[Any]:
        return [getattr(r, key) for r in self.records if hasattr(r, key)]


@pytest.fixture(scope="module")
def sim():
    server, _thread = wechat_sim.start(port=0)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_sim(sim):
    sim.state.reset()


@pytest.fixture
def logs():
    capture = LogCapture()
    log = logging.getLogger(SERVICE)
    level = log.level
    log.setLevel(logging.DEBUG)  # whatever level another test module left behind
    log.addHandler(capture)
    yield capture
    log.removeHandler(capture)
    log.setLevel(level)


@pytest.fixture
def cache() -> FakeTokenCache:
    return FakeTokenCache()


@pytest.fixture
def mp(sim, cache) -> WeChatClient:
    return WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, cache, timeout=2)


@pytest.fixture
def oa(sim) -> WeChatClient:
    return WeChatClient(sim.base_url, DEFAULT_OA_APP_ID, DEFAULT_OA_SECRET, FakeTokenCache(), timeout=2)


def sim_control(sim, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = urllib3.request("POST", sim.base_url + path, json=body or {})
    assert response.status == 200, response.data
    return json.loads(response.data)


def raises(code: str, fn, *args) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args)
    assert info.value.code == code
    return info.value


# -- code_to_session --------------------------------------------------------------------------------------


def test_code_to_session_returns_openid_and_unionid(mp):
    assert mp.code_to_session("mock:alice:union-a") == MiniProgramSession(openid="alice", unionid="union-a")
    assert mp.code_to_session("mock:bob") == MiniProgramSession(openid="bob", unionid=None)


def test_code_to_session_never_keeps_session_key(mp):
    session = mp.code_to_session("mock:alice")
    assert not hasattr(session, "session_key")
    assert "session_key" not in repr(session)


def test_login_code_is_single_use(mp, sim):
    mp.code_to_session("mock:alice")
    raises("invalid_code", mp.code_to_session, "mock:alice")
    # A "#nonce" suffix makes a fresh code for the same user.
    assert mp.code_to_session("mock:alice#2").openid == "alice"


def test_code_to_session_unknown_code_is_invalid(mp):
    raises("invalid_code", mp.code_to_session, "not-a-mock-code")


def test_empty_code_is_invalid_without_a_request(mp, sim):
    raises("invalid_code", mp.code_to_session, "  ")
    assert sim.request_count(JSCODE) == 0


ERRCODE_CASES = [
    (40029, "invalid_code"),
    (40163, "invalid_code"),
    (41008, "invalid_code"),
    (45011, "rate_limited"),
    (45009, "rate_limited"),
    (40226, "wechat_risk_blocked"),
    (-1, "upstream_unavailable"),
    (40125, "upstream_unavailable"),
    (40013, "upstream_unavailable"),
    (40164, "upstream_unavailable"),
    (48001, "upstream_unavailable"),
    (99999, "upstream_unavailable"),
]


@pytest.mark.parametrize(("errcode", "app_code"), ERRCODE_CASES)
def test_code_to_session_maps_errcodes(mp, logs, errcode, app_code):
    raises(app_code, mp.code_to_session, f"mockerr:{errcode}")
    assert errcode in logs.extras("errcode")
    assert JSCODE in logs.extras("wechat_path")


@pytest.mark.parametrize(("errcode", "app_code"), ERRCODE_CASES)
def test_oauth_maps_errcodes(oa, errcode, app_code):
    raises(app_code, oa.oauth_access_token, f"mockerr:{errcode}")


@pytest.mark.parametrize(("errcode", "app_code"), ERRCODE_CASES)
def test_phone_number_maps_errcodes(mp, errcode, app_code):
    raises(app_code, mp.user_phone_number, f"mockerr:{errcode}")


def test_minute_rate_limit_suggests_retry_after(mp):
    error = raises("rate_limited", mp.code_to_session, "mockerr:45011")
    assert error.retry_after == 60
    assert error.status == 429


def test_every_mapped_code_is_in_the_catalogue():
    for app_code in {*wechat.ERRCODE_TO_APP_ERROR.values(), "unsupported_phone", "upstream_unavailable"}:
        assert app_code in CATALOGUE
    assert CATALOGUE["wechat_risk_blocked"].status == 403
    assert CATALOGUE["unsupported_phone"].status == 422


def test_wrong_secret_is_upstream_unavailable_and_logged_as_misconfiguration(sim, logs):
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, "wrong-secret", FakeTokenCache(), timeout=2)
    raises("upstream_unavailable", client.code_to_session, "mock:alice")
    errors = [r for r in logs.records if r.levelno == logging.ERROR]
    assert errors and errors[0].errcode == 40125
    assert "wrong-secret" not in logs.text
    assert "mock:alice" not in logs.text


def test_wrong_app_for_the_endpoint_is_upstream_unavailable(sim):
    # The official account's credentials on the mini-program login endpoint: 40013 invalid appid.
    client = WeChatClient(sim.base_url, DEFAULT_OA_APP_ID, DEFAULT_OA_SECRET, FakeTokenCache(), timeout=2)
    raises("upstream_unavailable", client.code_to_session, "mock:alice")


# -- oauth_access_token -----------------------------------------------------------------------------------


def test_oauth_base_scope(oa):
    assert oa.oauth_access_token("mock:carol") == OAuthIdentity(
        openid="carol", unionid=None, scope="snsapi_base", is_snapshot_user=False
    )


def test_oauth_userinfo_scope_with_unionid(oa):
    assert oa.oauth_access_token("mock:carol:union-c") == OAuthIdentity(
        openid="carol", unionid="union-c", scope="snsapi_userinfo", is_snapshot_user=False
    )


def test_oauth_snapshot_user(oa):
    identity = oa.oauth_access_token("mocksnapshot:dave")
    assert identity.is_snapshot_user is True
    assert identity.openid == "dave"


def test_oauth_code_is_single_use(oa):
    oa.oauth_access_token("mock:carol")
    raises("invalid_code", oa.oauth_access_token, "mock:carol")


def test_oauth_discards_user_tokens(oa, logs):
    identity = oa.oauth_access_token("mock:carol")
    assert not hasattr(identity, "access_token") and not hasattr(identity, "refresh_token")
    assert "SIMUSER_" not in logs.text and "SIMREFRESH_" not in logs.text


def test_login_codes_and_oauth_codes_are_separate(mp, oa):
    mp.code_to_session("mock:erin")
    assert oa.oauth_access_token("mock:erin").openid == "erin"


# -- stable_access_token ----------------------------------------------------------------------------------


def test_stable_token_is_cached(mp, sim, cache):
    first = mp.stable_access_token()
    second = mp.stable_access_token()
    assert first == second
    assert sim.request_count(STABLE_TOKEN_PATH) == 1
    token, expires_at = cache.items[DEFAULT_MP_APP_ID]
    assert token == first
    assert abs(expires_at - (time.time() + 7200)) < 5


def test_stable_token_from_a_warm_cache_needs_no_request(sim, cache):
    cache.put(DEFAULT_MP_APP_ID, "cached-token", int(time.time()) + 3600)
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, cache, timeout=2)
    assert client.stable_access_token() == "cached-token"
    assert sim.request_count(STABLE_TOKEN_PATH) == 0


def test_stable_token_is_renewed_within_the_safety_margin(sim, cache):
    now = [time.time()]
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, cache, timeout=2, clock=lambda: now[0])
    client.stable_access_token()
    _token, expires_at = cache.items[DEFAULT_MP_APP_ID]
    now[0] = expires_at - TOKEN_SAFETY_MARGIN - 1
    client.stable_access_token()
    assert sim.request_count(STABLE_TOKEN_PATH) == 1
    now[0] = expires_at - TOKEN_SAFETY_MARGIN + 1
    client.stable_access_token()
    assert sim.request_count(STABLE_TOKEN_PATH) == 2


def test_force_refresh_issues_a_new_token_and_invalidates_the_old(mp, sim):
    old = mp.stable_access_token()
    new = mp.stable_access_token(force_refresh=True)
    assert new != old
    assert sim.request_count(STABLE_TOKEN_PATH) == 2
    response = urllib3.request(
        "POST", f"{sim.base_url}{PHONE_NUMBER_PATH}?access_token={old}", json={"code": "mockphone:13800000000"}
    )
    assert json.loads(response.data)["errcode"] == 40001


def test_stable_token_errors_map(mp, sim):
    sim_control(sim, "/__sim/fail-next", {"path": STABLE_TOKEN_PATH, "errcode": -1})
    raises("upstream_unavailable", mp.stable_access_token)
    sim_control(sim, "/__sim/fail-next", {"path": STABLE_TOKEN_PATH, "errcode": 45011})
    raises("rate_limited", mp.stable_access_token)


def test_stable_token_with_wrong_secret(sim, logs):
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, "bad-secret", FakeTokenCache(), timeout=2)
    raises("upstream_unavailable", client.stable_access_token)
    assert 40125 in logs.extras("errcode")
    assert "bad-secret" not in logs.text


def test_token_cache_outage_does_not_stop_the_call(sim, logs):
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, BrokenTokenCache(), timeout=2)
    assert client.user_phone_number("mockphone:13900000001") == "13900000001"
    assert "ConnectionError" in logs.extras("error_type")


# -- user_phone_number ------------------------------------------------------------------------------------


def test_phone_number(mp, sim):
    assert mp.user_phone_number("mockphone:13812345678") == "13812345678"
    assert sim.request_count(STABLE_TOKEN_PATH) == 1
    assert mp.user_phone_number("mockphone:13812345678#2") == "13812345678"
    assert sim.request_count(STABLE_TOKEN_PATH) == 1  # the token came from the cache


def test_phone_code_is_single_use(mp):
    mp.user_phone_number("mockphone:13812345678")
    raises("invalid_code", mp.user_phone_number, "mockphone:13812345678")


@pytest.mark.parametrize("code", ["mock:alice", "mockphone:12345", "mockphone:23812345678", "anything"])
def test_phone_number_bad_codes(mp, code):
    raises("invalid_code", mp.user_phone_number, code)


def test_phone_number_renews_an_expired_token_once_and_retries(mp, sim, cache):
    mp.user_phone_number("mockphone:13812345678")
    old = cache.items[DEFAULT_MP_APP_ID][0]
    sim_control(sim, "/__sim/expire-tokens")
    assert mp.user_phone_number("mockphone:13912345678") == "13912345678"
    assert sim.request_count(PHONE_NUMBER_PATH) == 3  # 1 + (rejected + retried)
    assert sim.request_count(STABLE_TOKEN_PATH) == 2  # first token + one normal-mode renewal
    assert cache.items[DEFAULT_MP_APP_ID][0] != old


def test_phone_number_forces_a_refresh_only_when_wechat_hands_back_the_rejected_token(mp, sim, cache):
    mp.user_phone_number("mockphone:13812345678")
    old = cache.items[DEFAULT_MP_APP_ID][0]
    sim_control(sim, "/__sim/expire-tokens", {"stale": True})
    assert mp.user_phone_number("mockphone:13912345678") == "13912345678"
    # first token, a normal-mode renewal that returned the same token, then a forced refresh
    assert sim.request_count(STABLE_TOKEN_PATH) == 3
    assert cache.items[DEFAULT_MP_APP_ID][0] != old


def test_phone_number_retries_only_once(mp, sim):
    mp.stable_access_token()
    sim_control(sim, "/__sim/fail-next", {"path": PHONE_NUMBER_PATH, "errcode": 42001, "count": 5})
    raises("upstream_unavailable", mp.user_phone_number, "mockphone:13812345678")
    assert sim.request_count(PHONE_NUMBER_PATH) == 2


def test_phone_number_rejected_token_does_not_spend_the_code(mp, sim):
    mp.stable_access_token()
    sim_control(sim, "/__sim/expire-tokens")
    assert mp.user_phone_number("mockphone:13812345678") == "13812345678"


def test_phone_number_never_logs_phone_or_token(mp, cache, logs):
    mp.user_phone_number("mockphone:13812345678")
    token = cache.items[DEFAULT_MP_APP_ID][0]
    raises("invalid_code", mp.user_phone_number, "mockphone:13812345678")
    assert logs.records
    assert "13812345678" not in logs.text
    assert token not in logs.text
    assert DEFAULT_MP_SECRET not in logs.text


class CannedResponse:
    def __init__(self, payload: dict[str, Any], status: int = 200) -> None:
        self.status = status
        self.data = json.dumps(payload).encode()


class CannedPool:
    """A stand-in PoolManager for shapes the simulator never produces."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.calls: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> CannedResponse:
        self.calls.append(url.split("?")[0])
        if url.split("?")[0].endswith(STABLE_TOKEN_PATH):
            return CannedResponse({"access_token": "t", "expires_in": 7200})
        return CannedResponse(self.payload)


@pytest.mark.parametrize(
    "phone_info",
    [
        {"phoneNumber": "+852 51234567", "purePhoneNumber": "51234567", "countryCode": "852"},
        {"phoneNumber": "13812345678", "purePhoneNumber": "13812345678", "countryCode": "1"},
    ],
)
def test_non_mainland_phone_is_unsupported(phone_info):
    pool = CannedPool({"errcode": 0, "errmsg": "ok", "phone_info": phone_info})
    client = WeChatClient("https://api.example", "app", "secret", FakeTokenCache(), http=pool, timeout=1)
    raises("unsupported_phone", client.user_phone_number, "code")


def test_country_code_as_a_number_is_accepted():
    info = {"phoneNumber": "13812345678", "purePhoneNumber": "13812345678", "countryCode": 86}
    pool = CannedPool({"errcode": 0, "errmsg": "ok", "phone_info": info})
    client = WeChatClient("https://api.example", "app", "secret", FakeTokenCache(), http=pool, timeout=1)
    assert client.user_phone_number("code") == "13812345678"


def test_missing_phone_info_is_upstream_unavailable():
    client = WeChatClient(
        "https://api.example", "app", "secret", FakeTokenCache(), http=CannedPool({"errcode": 0}), timeout=1
    )
    raises("upstream_unavailable", client.user_phone_number, "code")


# -- transport failures -----------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_upstream_unavailable(logs):
    client = WeChatClient(
        f"http://127.0.0.1:{_closed_port()}", DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, FakeTokenCache(), timeout=1
    )
    error = raises("upstream_unavailable", client.code_to_session, "mock:alice")
    # The urllib3 error (its text holds the URL with secret and code) is not chained into ours.
    assert error.__cause__ is None and error.__suppress_context__
    assert DEFAULT_MP_SECRET not in logs.text and "mock:alice" not in logs.text


def test_timeout_is_upstream_unavailable(sim, logs):
    client = WeChatClient(sim.base_url, DEFAULT_MP_APP_ID, DEFAULT_MP_SECRET, FakeTokenCache(), timeout=0.2)
    sim_control(sim, "/__sim/fail-next", {"path": JSCODE, "delay_seconds": 1.0})
    started = time.monotonic()
    error = raises("upstream_unavailable", client.code_to_session, "mock:alice")
    assert time.monotonic() - started < 0.9
    assert error.__cause__ is None and error.__suppress_context__
    assert sim.request_count(JSCODE) == 1  # a read timeout is not retried: the code may already be spent
    assert DEFAULT_MP_SECRET not in logs.text


def test_post_timeout_is_upstream_unavailable(mp, sim):
    mp._timeout = 0.2
    sim_control(sim, "/__sim/fail-next", {"path": STABLE_TOKEN_PATH, "delay_seconds": 1.0})
    raises("upstream_unavailable", mp.stable_access_token)


@pytest.mark.parametrize("status", [500, 502, 503, 404])
def test_http_errors_are_upstream_unavailable(mp, sim, status):
    sim_control(sim, "/__sim/fail-next", {"path": JSCODE, "http_status": status})
    raises("upstream_unavailable", mp.code_to_session, "mock:alice")


def test_body_that_is_not_json_is_upstream_unavailable():
    class HtmlPool:
        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            response = CannedResponse({})
            response.data = b"<html>bad gateway</html>"
            return response

    client = WeChatClient("https://api.example", "app", "secret", FakeTokenCache(), http=HtmlPool(), timeout=1)
    raises("upstream_unavailable", client.code_to_session, "mock:alice")


# -- the simulator's wire shapes --------------------------------------------------------------------------


def test_sim_speaks_wechat_shapes(sim):
    query = f"appid={DEFAULT_MP_APP_ID}&secret={DEFAULT_MP_SECRET}&grant_type=authorization_code"
    ok = json.loads(urllib3.request("GET", f"{sim.base_url}{JSCODE}?{query}&js_code=mock:u1:n1").data)
    assert set(ok) == {"openid", "session_key", "unionid"}
    err = json.loads(urllib3.request("GET", f"{sim.base_url}{JSCODE}?{query}&js_code=nope").data)
    assert err["errcode"] == 40029 and err["errmsg"].startswith("invalid code, rid: ")
    again = json.loads(urllib3.request("GET", f"{sim.base_url}{JSCODE}?{query}&js_code=mock:u1:n1").data)
    assert again["errcode"] == 40163
    token = json.loads(
        urllib3.request(
            "POST",
            sim.base_url + STABLE_TOKEN_PATH,
            json={"grant_type": "client_credential", "appid": DEFAULT_MP_APP_ID, "secret": DEFAULT_MP_SECRET},
        ).data
    )
    assert set(token) == {"access_token", "expires_in"} and token["expires_in"] == 7200
    phone = json.loads(
        urllib3.request(
            "POST",
            f"{sim.base_url}{PHONE_NUMBER_PATH}?access_token={token['access_token']}",
            json={"code": "mockphone:13812345678"},
        ).data
    )
    assert phone["errcode"] == 0
    assert phone["phone_info"]["countryCode"] == "86"
    assert phone["phone_info"]["watermark"]["appid"] == DEFAULT_MP_APP_ID
    wrong_method = json.loads(urllib3.request("GET", sim.base_url + STABLE_TOKEN_PATH).data)
    assert wrong_method["errcode"] == 43002


def test_sim_phone_api_rejects_the_official_accounts_token(sim):
    oa_token = json.loads(
        urllib3.request(
            "POST",
            sim.base_url + STABLE_TOKEN_PATH,
            json={"grant_type": "client_credential", "appid": DEFAULT_OA_APP_ID, "secret": DEFAULT_OA_SECRET},
        ).data
    )["access_token"]
    answer = json.loads(
        urllib3.request(
            "POST", f"{sim.base_url}{PHONE_NUMBER_PATH}?access_token={oa_token}", json={"code": "mockphone:13812345678"}
        ).data
    )
    assert answer["errcode"] == 48001


# -- factories --------------------------------------------------------------------------------------------


def test_factories_build_from_settings_once_per_process(monkeypatch):
    monkeypatch.setenv("WECHAT_API_BASE", "http://127.0.0.1:9/")
    monkeypatch.setenv("WECHAT_MP_APP_ID", "wx-mp")
    monkeypatch.setenv("WECHAT_MP_SECRET", "mp-secret")
    monkeypatch.setenv("WECHAT_OA_APP_ID", "wx-oa")
    monkeypatch.setenv("WECHAT_OA_SECRET", "oa-secret")
    monkeypatch.setenv("WECHAT_HTTP_TIMEOUT", "1.5")
    reset_settings()
    wechat.reset_clients()
    try:
        mp_client = wechat.mini_program_client()
        oa_client = wechat.official_account_client()
        assert mp_client is wechat.mini_program_client()
        assert (mp_client.base_url, mp_client.app_id, mp_client._timeout) == ("http://127.0.0.1:9", "wx-mp", 1.5)
        assert oa_client.app_id == "wx-oa"
        assert mp_client._http is None  # no pool until the first request
        assert "mp-secret" not in repr(mp_client)
    finally:
        wechat.reset_clients()
        reset_settings()


# -- messages: the simulator refuses what WeChat refuses ------------------------------------------------------------

NOTICE = {"thing1": {"value": "积分已到账"}, "time3": {"value": "2026年12月1日 15:01"}}


def _subscribe(openid: str, template: str = "tmpl_a") -> dict[str, Any]:
    return {"touser": openid, "template_id": template, "page": "pages/index", "data": NOTICE}


def test_a_subscription_message_needs_a_user_and_a_one_time_grant_each(mp, sim):
    assert mp.send_message(SUBSCRIBE_SEND_PATH, _subscribe("o-stranger")) == 40003  # nobody this app knows
    mp.code_to_session("mock:o-sub")
    assert mp.send_message(SUBSCRIBE_SEND_PATH, _subscribe("o-sub")) == 43101  # no grant
    sim_control(sim, "/__sim/subscriptions", {"openid": "o-sub", "template_ids": ["tmpl_a", "tmpl_a"]})
    assert mp.send_message(SUBSCRIBE_SEND_PATH, _subscribe("o-sub", "tmpl_b")) == 43101  # another template
    assert [mp.send_message(SUBSCRIBE_SEND_PATH, _subscribe("o-sub")) for _ in range(3)] == [0, 0, 43101]
    assert len(sim.state.messages) == 2


def test_a_template_message_needs_a_follower_of_the_official_account(oa, sim):
    body = {"touser": "o-oa", "template_id": "oa_tmpl", "data": NOTICE}
    assert oa.send_message(TEMPLATE_SEND_PATH, body) == 40003
    oa.oauth_access_token("mock:o-oa")  # signed in through OAuth: a user, not a follower
    assert oa.send_message(TEMPLATE_SEND_PATH, body) == 43004
    sim_control(sim, "/__sim/users", {"app": "oa", "openid": "o-oa", "follow": True})
    assert oa.send_message(TEMPLATE_SEND_PATH, body) == 0
    assert oa.send_message(TEMPLATE_SEND_PATH, {**body, "touser": "o-sub"}) == 40003  # a mini-program user only


@pytest.mark.parametrize(("key", "value", "accepted"), [
    ("thing1", "字" * 20, True), ("thing1", "字" * 21, False), ("phrase2", "已完成", True),
    ("phrase2", "done", False), ("phrase2", "六个汉字不行", False), ("number3", "12.50", True),
    ("number3", "12a", False), ("character_string4", "PO-2026/12", True), ("character_string4", "订单", False),
    ("time5", "2026年12月1日 15:01", True), ("time5", "2026-12-01 15:01", False), ("date6", "2026年12月1日", True),
    ("amount7", "¥99.00元", True), ("amount7", "九十九", False), ("letter8", "abc", True), ("letter8", "ab1", False),
    ("name9", "张三", True), ("name9", "张三 Li", False), ("thing10", "", False),
])
def test_message_values_follow_wechats_rules_in_the_simulators_own_copy(key, value, accepted):
    assert wechat_sim.valid_value(key, value) is accepted


def test_the_simulator_does_not_borrow_the_apps_rules():
    tree = ast.parse(Path(wechat_sim.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not [m for m in imported if m.startswith("chalicelib")]


@pytest.mark.slow
def test_with_an_egress_proxy_every_call_leaves_through_it(sim, monkeypatch):
    """WeChat's host is reachable only through the proxy here (the simulator plays the proxy: it answers a
    proxied request line ``POST http://wechat.invalid/cgi-bin/stable_token`` as WeChat would)."""
    monkeypatch.setenv("WECHAT_EGRESS_PROXY", sim.base_url)
    reset_settings()
    try:
        client = WeChatClient("http://wechat.invalid", DEFAULT_OA_APP_ID, DEFAULT_OA_SECRET, FakeTokenCache(),
                              timeout=2)
        assert client.stable_access_token().startswith("SIM_")
        assert sim.request_count(STABLE_TOKEN_PATH) == 1
    finally:
        monkeypatch.delenv("WECHAT_EGRESS_PROXY")
        reset_settings()
    direct = WeChatClient("http://wechat.invalid", DEFAULT_OA_APP_ID, DEFAULT_OA_SECRET, FakeTokenCache(), timeout=2)
    raises("upstream_unavailable", direct.stable_access_token)  # without it, the name does not even resolve
