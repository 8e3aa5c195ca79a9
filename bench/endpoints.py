"""The endpoints whose DynamoDB calls the bench counts: one ``Scenario`` per line of the table.

To measure a new endpoint, add one ``Scenario`` to ``SCENARIOS`` (points, redemptions, ... each add theirs):

- ``setup(session)`` prepares what the request needs (sign-ins, codes, seeded items); not counted;
- ``request(session, state)`` returns the one ``Request`` that is counted;
- or ``direct(session, state)`` runs counted code that is not an HTTP request (e.g. the JWT check alone);
- ``target``: the most DynamoDB calls allowed (None: reported, no target); ``expect``: the HTTP status.

Every scenario runs several times with a fresh ``setup``; codes, phones and openids are unique per run.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    target: int | None
    request: Callable[[Session, Any], Request] | None = None
    setup: Callable[[Session], Any] | None = None
    direct: Callable[[Session, Any], Any] | None = None
    expect: int = 200
    area: str = "identity"
    note: str = ""


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Session:
    """Calls the app in-process (``chalice.test.Client``) as a client would, with sign-in helpers."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, req: Request) -> Reply:
        headers = {"content-type": "application/json", **req.headers}
        if req.token:
            headers["authorization"] = f"Bearer {req.token}"
        raw = json.dumps(req.body).encode() if req.body is not None else b""
        response = getattr(self.client.http, req.method.lower())(req.path, body=raw, headers=headers)
        text = response.body.decode() if response.body else ""
        return Reply(response.status_code, json.loads(text) if text else None, dict(response.headers))

    def ok(self, req: Request, status: int = 200) -> Any:
        reply = self.send(req)
        if reply.status != status:
            raise RuntimeError(f"{req.method} {req.path}: expected {status}, got {reply.status}: {reply.body}")
        return reply.body

    # -- helpers for setups --------------------------------------------------------------------------

    @staticmethod
    def new_phone() -> str:
        return "139" + "".join(str(secrets.randbelow(10)) for _ in range(8))

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}{secrets.token_hex(6)}"

    def send_otp(self, phone: str) -> str:
        """Ask for a code and read it from the local SMS outbox."""
        self.ok(Request("POST", "/v1/auth/app/otp", {"phone": phone}), 202)
        outbox = self.ok(Request("GET", f"/v1/dev/sms-outbox?phone={phone}"))
        return str(outbox["items"][0]["code"])

    def app_login(self, phone: str) -> dict[str, Any]:
        code = self.send_otp(phone)
        return dict(self.ok(Request("POST", "/v1/auth/app/login", {"phone": phone, "otp": code})))

    def mp_login(self, openid: str, unionid: str | None = None) -> dict[str, Any]:
        code = f"mock:{openid}" + (f":{unionid}" if unionid else "") + f"#{secrets.token_hex(3)}"
        return dict(self.ok(Request("POST", "/v1/auth/miniprogram/login", {"code": code})))

    def oa_state(self) -> str:
        url = "/v1/auth/wechat-oa/authorize-url?redirect_uri=" + quote("https://m.example.com/cb", safe="")
        return str(self.ok(Request("GET", url))["state"])

    def oa_login(self, openid: str, unionid: str | None = None) -> dict[str, Any]:
        code = f"mock:{openid}" + (f":{unionid}" if unionid else "") + f"#{secrets.token_hex(3)}"
        return dict(self.ok(Request("POST", "/v1/auth/wechat-oa/login", {"code": code, "state": self.oa_state()})))

    def member(self) -> dict[str, Any]:
        """A signed-in mini-program member with a verified phone (the usual member): its token body. Signed in again
        after binding the phone, so the token is not flagged for the merge check (``identity/merged_tokens.py``)."""
        openid = self.new_id("o_bench_")
        first = self.mp_login(openid)
        self.ok(Request("POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{self.new_phone()}"},
                        token=first["access_token"]))
        return self.mp_login(openid)

    def phoneless_member(self) -> dict[str, Any]:
        """A signed-in mini-program member without a phone yet (may still be merged away): its token body."""
        return self.mp_login(self.new_id("o_bench_"))


# ------------------------------------------------------------------------------------------ identity


def _me(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me", token=st["access_token"])


def _token_check(s: Session, st: dict[str, Any]) -> Any:
    """The JWT check of a member route alone: ``auth.authenticate`` with the ``GET /v1/me`` spec."""
    from chalicelib.core.http import auth, routing

    spec = next(r for r in routing.REGISTRY if r.path == "/v1/me" and r.method == "GET")
    return auth.authenticate(spec, {"authorization": f"Bearer {st['access_token']}"})


def _otp_setup(s: Session) -> str:
    return s.new_phone()


def _app_first_setup(s: Session) -> dict[str, str]:
    phone = s.new_phone()
    return {"phone": phone, "otp": s.send_otp(phone)}


def _app_returning_setup(s: Session) -> dict[str, str]:
    """A member who signed in with this phone before (enrolled through the service: a second SMS code for
    the same phone may only be sent a minute after the first)."""
    from chalicelib.identity import directory, sign_in

    phone = s.new_phone()
    directory.create_customer(directory.Identity("app", sign_in.APP_ID_APP, phone), phone=phone, channel="app")
    return {"phone": phone, "otp": s.send_otp(phone)}


def _app_known_phone_setup(s: Session) -> dict[str, str]:
    """The phone is already verified on a mini-program account: the app identity joins that customer."""
    phone = s.new_phone()
    member = s.phoneless_member()
    s.ok(Request("POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{phone}"}, token=member["access_token"]))
    return {"phone": phone, "otp": s.send_otp(phone)}


def _app_login(s: Session, st: dict[str, str]) -> Request:
    return Request("POST", "/v1/auth/app/login", {"phone": st["phone"], "otp": st["otp"]})


def _mp_code(openid: str, unionid: str | None = None) -> str:
    return f"mock:{openid}" + (f":{unionid}" if unionid else "") + f"#{secrets.token_hex(3)}"


def _mp_first_setup(s: Session) -> dict[str, str]:
    return {"code": _mp_code(s.new_id("o_bench_"))}


def _mp_first_union_setup(s: Session) -> dict[str, str]:
    return {"code": _mp_code(s.new_id("o_bench_"), s.new_id("u_bench_"))}


def _mp_known_union_setup(s: Session) -> dict[str, str]:
    """The unionid already belongs to an official-account member: the mini-program identity joins it."""
    unionid = s.new_id("u_bench_")
    s.oa_login(s.new_id("oa_bench_"), unionid)
    return {"code": _mp_code(s.new_id("o_bench_"), unionid)}


def _mp_returning_setup(s: Session) -> dict[str, str]:
    openid = s.new_id("o_bench_")
    s.mp_login(openid)
    return {"code": _mp_code(openid)}


def _mp_login(s: Session, st: dict[str, str]) -> Request:
    return Request("POST", "/v1/auth/miniprogram/login", {"code": st["code"]})


def _phone_new_setup(s: Session) -> dict[str, str]:
    return {"token": s.phoneless_member()["access_token"], "code": f"mockphone:{s.new_phone()}"}


def _phone_merge_setup(s: Session) -> dict[str, str]:
    """The phone belongs to an app member: binding it merges the mini-program member into that one."""
    phone = s.new_phone()
    s.app_login(phone)
    return {"token": s.phoneless_member()["access_token"], "code": f"mockphone:{phone}"}


def _phone_bind(s: Session, st: dict[str, str]) -> Request:
    return Request("POST", "/v1/auth/miniprogram/phone", {"code": st["code"]}, token=st["token"])


def _oa_authorize(s: Session, st: Any) -> Request:
    return Request("GET", "/v1/auth/wechat-oa/authorize-url?redirect_uri=" + quote("https://m.example.com/cb", safe=""))


def _oa_first_setup(s: Session) -> dict[str, str]:
    return {"state": s.oa_state(), "code": _mp_code(s.new_id("oa_bench_"), s.new_id("u_bench_"))}


def _oa_returning_setup(s: Session) -> dict[str, str]:
    openid, unionid = s.new_id("oa_bench_"), s.new_id("u_bench_")
    s.oa_login(openid, unionid)
    return {"state": s.oa_state(), "code": _mp_code(openid, unionid)}


def _oa_known_union_setup(s: Session) -> dict[str, str]:
    """The unionid already belongs to a mini-program member: the official-account identity joins it."""
    unionid = s.new_id("u_bench_")
    s.mp_login(s.new_id("o_bench_"), unionid)
    return {"state": s.oa_state(), "code": _mp_code(s.new_id("oa_bench_"), unionid)}


def _oa_repeat_setup(s: Session) -> dict[str, str]:
    """WeChat calls the callback twice with the same code: the second call gives the same answer."""
    state, code = s.oa_state(), _mp_code(s.new_id("oa_bench_"), s.new_id("u_bench_"))
    s.ok(Request("POST", "/v1/auth/wechat-oa/login", {"code": code, "state": state}))
    return {"state": state, "code": code}


def _oa_login(s: Session, st: dict[str, str]) -> Request:
    return Request("POST", "/v1/auth/wechat-oa/login", {"code": st["code"], "state": st["state"]})


def _refresh(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/auth/refresh", {"refresh_token": st["refresh_token"]})


def _logout(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/auth/logout", {"refresh_token": st["refresh_token"]})


def _patch_me(s: Session, st: dict[str, Any]) -> Request:
    return Request("PATCH", "/v1/me", {"name": "Bench"}, token=st["access_token"])


READ_HISTORY = 50  # notifications in the member's partition before the counted read


def _notified_member(s: Session, old_shape: bool = False) -> dict[str, Any]:
    """A member with ``READ_HISTORY`` notifications (``put_in``, ten to a transaction); the oldest is read. With
    ``old_shape`` the oldest has an id of the first release's shape (``ntf_<16 hex>``: only a Query finds it)."""
    from chalicelib.core import notifications
    from chalicelib.core.dynamo.tx import Tx

    st = s.member()
    cid = st["customer_id"]
    oldest = notifications.notification_item(cid, "completed", {"transaction_id": "txn_b0", "status": "completed"})
    if old_shape:
        oldest.notification_id = f"ntf_{secrets.token_hex(8)}"
        oldest.sk = f"{notifications.NOTIFICATION_PREFIX}{oldest.created_at}#{oldest.notification_id}"
    tx = Tx()
    tx.put("oldest", oldest)
    tx.commit()
    for start in range(1, READ_HISTORY, 10):
        tx = Tx()
        for i in range(start, min(READ_HISTORY, start + 10)):
            notifications.put_in(tx, cid, "completed", {"transaction_id": f"txn_b{i}", "status": "completed"},
                                 label=f"n{i}")
        tx.commit()
    return {**st, "notification_id": oldest.notification_id}


def _read_notification(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/me/notifications/{st['notification_id']}/read", token=st["access_token"])


def _read_member(s: Session) -> dict[str, Any]:
    return _notified_member(s)


def _old_id_member(s: Session) -> dict[str, Any]:
    return _notified_member(s, old_shape=True)


def _already_read_member(s: Session) -> dict[str, Any]:
    st = _notified_member(s)
    s.ok(_read_notification(s, st))
    return st


STAFF_PASSWORD = "bench-staff-pass"  # a throwaway account in the bench's own tables


def _staff_setup(s: Session) -> dict[str, str]:
    from chalicelib.identity import staff

    username = s.new_id("bench_agent_")
    staff.create_staff(username, STAFF_PASSWORD, "agent", rounds=4)
    return {"username": username}


def _staff_login(s: Session, st: dict[str, str]) -> Request:
    return Request("POST", "/v1/staff/login", {"username": st["username"], "password": STAFF_PASSWORD})


LOGIN = 3  # "a login at most 3" (issue 2)

SCENARIOS: list[Scenario] = [
    Scenario("GET /v1/health", 0, lambda s, st: Request("GET", "/v1/health")),
    Scenario("GET /v1/me", 1, _me, setup=Session.member),
    Scenario("GET /v1/me (mini-program member without a phone)", 2, _me, setup=Session.phoneless_member,
             note="+1 GetItem: the token check follows a merge for a customer that may still be absorbed"),
    Scenario(
        "token check (JWT) on a member route",
        0,
        direct=_token_check,
        setup=Session.member,
        note="auth.authenticate alone",
    ),
    Scenario("PATCH /v1/me", None, _patch_me, setup=Session.member),
    Scenario("POST /v1/me/notifications/{id}/read (50 notifications)", 3, _read_notification, setup=_read_member,
             area="notifications", note="GetItem (the id carries the sort key) + TransactWriteItems (read flag, "
                                        "unread counter) + GetItem (the counter)"),
    Scenario("POST /v1/me/notifications/{id}/read (again)", 2, _read_notification, setup=_already_read_member,
             area="notifications", note="GetItem + GetItem (the counter): nothing written"),
    Scenario("POST /v1/me/notifications/{id}/read (old-shape id, 50 notifications)", None, _read_notification,
             setup=_old_id_member, area="notifications",
             note="ids stored before the key was in them: a Query of the member's notifications, paged"),
    Scenario(
        "POST /v1/auth/app/otp",
        None,
        lambda s, phone: Request("POST", "/v1/auth/app/otp", {"phone": phone}),
        setup=_otp_setup,
        expect=202,
        note="the outbox write is local only (SNS when deployed)",
    ),
    Scenario("POST /v1/auth/app/login (first sign-in)", LOGIN, _app_login, setup=_app_first_setup),
    Scenario("POST /v1/auth/app/login (returning)", LOGIN, _app_login, setup=_app_returning_setup),
    Scenario(
        "POST /v1/auth/app/login (phone known from mini-program)", LOGIN, _app_login, setup=_app_known_phone_setup
    ),
    Scenario("POST /v1/auth/miniprogram/login (first, no unionid)", LOGIN, _mp_login, setup=_mp_first_setup),
    Scenario("POST /v1/auth/miniprogram/login (first, new unionid)", LOGIN, _mp_login, setup=_mp_first_union_setup),
    Scenario("POST /v1/auth/miniprogram/login (first, unionid known)", LOGIN, _mp_login, setup=_mp_known_union_setup),
    Scenario("POST /v1/auth/miniprogram/login (returning)", LOGIN, _mp_login, setup=_mp_returning_setup),
    Scenario("POST /v1/auth/miniprogram/phone (new phone)", None, _phone_bind, setup=_phone_new_setup),
    Scenario("POST /v1/auth/miniprogram/phone (merge)", None, _phone_bind, setup=_phone_merge_setup),
    Scenario("GET /v1/auth/wechat-oa/authorize-url", 1, _oa_authorize),
    Scenario("POST /v1/auth/wechat-oa/login (first)", LOGIN, _oa_login, setup=_oa_first_setup),
    Scenario("POST /v1/auth/wechat-oa/login (first, unionid known)", LOGIN, _oa_login, setup=_oa_known_union_setup),
    Scenario("POST /v1/auth/wechat-oa/login (returning)", LOGIN, _oa_login, setup=_oa_returning_setup),
    Scenario("POST /v1/auth/wechat-oa/login (repeated callback)", LOGIN, _oa_login, setup=_oa_repeat_setup),
    Scenario("POST /v1/auth/refresh", None, _refresh, setup=Session.member),
    Scenario("POST /v1/auth/logout", None, _logout, setup=Session.member, expect=204),
    Scenario("POST /v1/staff/login", LOGIN, _staff_login, setup=_staff_setup),
]


# ------------------------------------------------------------------------------------------ benefits

BENCH_API_KEY = "bench-benefits-integration-key"
_bench_benefits: dict[str, str] = {}


def _bench_benefit(trigger: str = "claim") -> str:
    """One benefit of each trigger per table (created once, through the service): a claimable one with a large
    daily quota, and an opening gift (so the first sign-ins above also write a gift pack, with no extra call)."""
    from chalicelib.benefits import definitions
    from chalicelib.core.config import settings
    from chalicelib.identity import api_keys

    key = f"{settings().table_name}:{trigger}"
    if key not in _bench_benefits:
        period = "day" if trigger == "claim" else "lifetime"
        _bench_benefits[key] = definitions.create(
            {"name": f"bench {trigger}", "tiers": ["base"], "trigger": trigger, "voucher_valid_days": 7,
             "quota": {"per_period": 1000 if trigger == "claim" else 1, "period": period}}, "bench",
        ).benefit_id
        if trigger == "claim":
            api_keys.create_api_key("bench-benefits", BENCH_API_KEY)
    return _bench_benefits[key]


def _benefits_member(s: Session) -> dict[str, Any]:
    _bench_benefit("opening_gift")
    benefit_id = _bench_benefit()
    member = s.member()
    s.ok(Request("GET", "/v1/benefits", token=member["access_token"]))  # definition and tier caches warm
    return {**member, "benefit_id": benefit_id}


def _claim_request(st: dict[str, Any], key: str) -> Request:
    return Request("POST", f"/v1/benefits/{st['benefit_id']}/claims", token=st["access_token"],
                   headers={"idempotency-key": key})


def _claimed_member(s: Session) -> dict[str, Any]:
    st = _benefits_member(s)
    key = s.new_id("bench-claim-")
    voucher = s.ok(_claim_request(st, key), 201)
    return {**st, "key": key, "voucher_id": voucher["voucher_id"]}


def _benefits_zone(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/benefits", token=st["access_token"])


def _claim(s: Session, st: dict[str, Any]) -> Request:
    return _claim_request(st, s.new_id("bench-claim-"))


def _claim_replay(s: Session, st: dict[str, Any]) -> Request:
    return _claim_request(st, st["key"])


def _my_vouchers(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/vouchers?limit=20", token=st["access_token"])


def _use_voucher(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/me/vouchers/{st['voucher_id']}/use", {"order_no": "SO-bench"},
                   token=st["access_token"], headers={"idempotency-key": s.new_id("bench-use-")})


def _redeem_voucher(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/integrations/vouchers/{st['voucher_id']}/redemptions",
                   {"customer_id": st["customer_id"], "order_no": "SO-bench"}, headers={"x-api-key": BENCH_API_KEY})


SCENARIOS += [
    Scenario("GET /v1/benefits", 1, _benefits_zone, setup=_benefits_member, area="benefits",
             note="definitions and tiers from in-process caches; a cold definitions cache adds 1 Query"),
    Scenario("POST /v1/benefits/{id}/claims", 3, _claim, setup=_benefits_member, expect=201, area="benefits",
             note="GetItem (idempotency record) + Query (profile, points state, counters) + TransactWriteItems"),
    Scenario("POST /v1/benefits/{id}/claims (replay)", 1, _claim_replay, setup=_claimed_member, expect=201,
             area="benefits"),
    Scenario("GET /v1/me/vouchers", 1, _my_vouchers, setup=_claimed_member, area="benefits"),
    Scenario("POST /v1/me/vouchers/{id}/use", 1, _use_voucher, setup=_claimed_member, area="benefits"),
    Scenario("POST /v1/integrations/vouchers/{id}/redemptions", 1, _redeem_voucher, setup=_claimed_member,
             expect=201, area="benefits"),
]
