"""Our own small WeChat server-API client (mini-program login and phone number, official-account OAuth).

Four calls, WeChat's own request and response shapes:

- ``code_to_session``: ``GET /sns/jscode2session`` (wx.login code -> openid, unionid)
- ``oauth_access_token``: ``GET /sns/oauth2/access_token`` (OAuth code -> openid, unionid, scope, snapshot flag)
- ``stable_access_token``: ``POST /cgi-bin/stable_token`` (the app's server token, cached in a ``TokenCache``)
- ``user_phone_number``: ``POST /wxa/business/getuserphonenumber`` (getPhoneNumber code -> mainland number)
- ``send_message``: ``POST /cgi-bin/message/subscribe/send`` (a mini-program subscription message) and
  ``POST /cgi-bin/message/template/send`` (an official-account template message); returns WeChat's errcode

WeChat answers HTTP 200 with ``{"errcode": N, "errmsg": "..., rid: ..."}`` on failure; those are mapped to
``AppError`` codes (see ``ERRCODE_TO_APP_ERROR`` and ``_raise_for``). Transport failures (timeouts, refused
connections, HTTP 5xx, bodies that are not JSON) become ``upstream_unavailable``.

Secrets, codes, ``session_key``, tokens and phone numbers never reach a log line or an exception message:
the request URL carries the secret and the code in its query, so only the path is ever logged, and urllib3's
exceptions (whose text includes the full URL) are never chained into what we raise (``from None``).

Nothing touches the network or builds a connection pool at import time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn, Protocol
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger

JSCODE2SESSION_PATH = "/sns/jscode2session"
OAUTH_ACCESS_TOKEN_PATH = "/sns/oauth2/access_token"
STABLE_TOKEN_PATH = "/cgi-bin/stable_token"
PHONE_NUMBER_PATH = "/wxa/business/getuserphonenumber"
SUBSCRIBE_SEND_PATH = "/cgi-bin/message/subscribe/send"
TEMPLATE_SEND_PATH = "/cgi-bin/message/template/send"

#: A cached server token is used until this many seconds before it expires. WeChat itself renews a stable
#: token 5 minutes before expiry (a normal-mode call then returns a new one), so this matches its rhythm.
TOKEN_SAFETY_MARGIN = 300

# -- WeChat errcodes (documented on each API's page and in the common error-code table) -----------------
SYSTEM_BUSY = -1  # "system error": retry later
INVALID_CODE = 40029  # code invalid, expired, or issued to another appid
CODE_BEEN_USED = 40163  # code already used (codes are single-use and live 5 minutes)
MISSING_CODE = 41008  # "missing code"
CODE_BLOCKED = 40226  # "code blocked": high-risk user, login intercepted by WeChat
MINUTE_QUOTA = 45011  # "api minute-quota reach limit": per-user/app frequency limit
DAILY_QUOTA = 45009  # "reach max api daily quota limit"
INVALID_CREDENTIAL = 40001  # access_token invalid or not latest (on stable_token itself: wrong AppSecret)
INVALID_ACCESS_TOKEN = 40014  # "invalid access_token"
ACCESS_TOKEN_EXPIRED = 42001  # "access_token expired"

TOKEN_REJECTED = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})

#: Our misconfiguration (wrong appid or secret, IP allow-list, API not granted): not the user's fault and not
#: fixed by retrying; still ``upstream_unavailable`` for the caller, but logged at error level.
MISCONFIGURATION = frozenset(
    {
        40002,  # invalid grant_type
        40013,  # invalid appid (also: a phone code of another mini-program)
        40125,  # invalid appsecret
        40164,  # caller IP not in the allow-list
        41002,  # appid missing
        41004,  # appsecret missing
        48001,  # api unauthorized
        61004,  # client IP not registered
    }
)

#: errcode -> AppError code, for the errcodes whose meaning is the same on every endpoint.
ERRCODE_TO_APP_ERROR: dict[int, str] = {
    INVALID_CODE: "invalid_code",
    CODE_BEEN_USED: "invalid_code",
    MISSING_CODE: "invalid_code",
    CODE_BLOCKED: "wechat_risk_blocked",
    MINUTE_QUOTA: "rate_limited",
    DAILY_QUOTA: "rate_limited",
    SYSTEM_BUSY: "upstream_unavailable",
}

_RID = re.compile(r"rid:\s*([0-9A-Za-z-]+)")
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


class TokenCache(Protocol):
    """Where the app's server access token is kept between calls (and between Lambda instances)."""

    def get(self, app_id: str) -> tuple[str, int] | None:
        """The cached ``(access_token, expires_at epoch seconds)``, or ``None``."""

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        """Remember ``token`` for ``app_id`` until ``expires_at`` (epoch seconds)."""


class MemoryTokenCache:
    """A per-process ``TokenCache`` (tests, tools). Production uses ``DynamoTokenCache``."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def get(self, app_id: str) -> tuple[str, int] | None:
        with self._lock:
            return self._items.get(app_id)

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        with self._lock:
            self._items[app_id] = (token, int(expires_at))


@dataclass(frozen=True)
class MiniProgramSession:
    """Who signed in with wx.login. ``session_key`` is deliberately not kept: we never need or expose it."""

    openid: str
    unionid: str | None


@dataclass(frozen=True)
class OAuthIdentity:
    """Who signed in through official-account web OAuth (the user access/refresh tokens are discarded).

    ``is_snapshot_user`` is WeChat's ``is_snapshotuser == 1``: a virtual identity from snapshot-page mode,
    which must not be signed in or merged (its openid and unionid are not the real user's).
    """

    openid: str
    unionid: str | None
    scope: str
    is_snapshot_user: bool


class WeChatClient:
    """One WeChat app (a mini-program or an official account) and its credentials.

    Parameters
    ----------
    base_url:
        ``https://api.weixin.qq.com`` in production, the simulator's URL locally.
    app_id, secret:
        The app's AppID and AppSecret.
    token_cache:
        Keeps the server access token from ``stable_token`` (``DynamoTokenCache`` in production).
    http:
        A urllib3 ``PoolManager``; created on first use when not given.
    timeout:
        Seconds for the whole of each HTTP attempt (connect plus read); default ``settings().wechat_http_timeout``.
    clock:
        Returns epoch seconds; tests pass a fake.
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret: str,
        token_cache: TokenCache,
        http: urllib3.PoolManager | None = None,
        timeout: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = secret
        self._token_cache = token_cache
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._http_lock = threading.Lock()
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the secret
        return f"WeChatClient(base_url={self.base_url!r}, app_id={self.app_id!r})"

    # -- public API ------------------------------------------------------------------------------------

    def _exchange_code(self, path: str, code_field: str, code: str) -> tuple[dict[str, Any], str]:
        """The shared authorization-code exchange: WeChat's answer and the openid it must carry."""
        self._require_code(code)
        data = self._call(
            "GET",
            path,
            fields={"appid": self.app_id, "secret": self._secret, code_field: code, "grant_type": "authorization_code"},
        )
        self._raise_for(path, data)
        openid = data.get("openid")
        if not isinstance(openid, str) or not openid:
            self._unexpected(path, "no openid")
        return data, openid

    def code_to_session(self, js_code: str) -> MiniProgramSession:
        """Exchange a wx.login ``code`` for the user's openid (and unionid when the app has one).

        Raises ``AppError``: ``invalid_code`` (invalid, expired or already used), ``wechat_risk_blocked``,
        ``rate_limited``, ``upstream_unavailable``.
        """
        data, openid = self._exchange_code(JSCODE2SESSION_PATH, "js_code", js_code)
        return MiniProgramSession(openid=openid, unionid=data.get("unionid") or None)

    def oauth_access_token(self, code: str) -> OAuthIdentity:
        """Exchange an official-account OAuth ``code`` for the user's identity.

        Raises ``AppError`` as ``code_to_session`` does.
        """
        data, openid = self._exchange_code(OAUTH_ACCESS_TOKEN_PATH, "code", code)
        return OAuthIdentity(
            openid=openid,
            unionid=data.get("unionid") or None,
            scope=str(data.get("scope") or ""),
            is_snapshot_user=_as_int(data.get("is_snapshotuser")) == 1,
        )

    def stable_access_token(self, force_refresh: bool = False) -> str:
        """The app's server access token, from the cache while it has more than ``TOKEN_SAFETY_MARGIN`` left.

        ``force_refresh=True`` skips the cache and asks WeChat to invalidate its current token and issue a new
        one. WeChat allows that 20 times a day, 30 seconds apart, and it invalidates the token every other
        instance holds: ``user_phone_number`` uses it only as a last resort (see ``_refresh_rejected``).
        """
        if not force_refresh:
            cached = self._cache_get()
            if cached is not None:
                return cached
        with self._token_lock:
            if not force_refresh:  # another thread may have refreshed while we waited
                cached = self._cache_get()
                if cached is not None:
                    return cached
            return self._fetch_stable_token(force_refresh)

    def user_phone_number(self, code: str) -> str:
        """Exchange a getPhoneNumber ``code`` for the user's 11-digit mainland mobile number.

        When WeChat rejects the server token (40001/40014/42001), the token is renewed once and the call
        retried once (WeChat checks the token before it looks at the code, so the code is still unused).

        Raises ``AppError``: ``invalid_code``, ``unsupported_phone`` (not a mainland China mobile number),
        ``rate_limited``, ``upstream_unavailable``.
        """
        self._require_code(code)
        token = self.stable_access_token()
        data = self._post_phone(token, code)
        if _as_int(data.get("errcode")) in TOKEN_REJECTED:
            logger.info(
                "wechat access token rejected; renewing once",
                extra={"wechat_path": PHONE_NUMBER_PATH, "errcode": _as_int(data.get("errcode"))},
            )
            token = self._refresh_rejected(token)
            data = self._post_phone(token, code)
            if _as_int(data.get("errcode")) in TOKEN_REJECTED:
                self._raise_for(PHONE_NUMBER_PATH, data, misconfigured=True)  # rejected twice: not a stale cache
        self._raise_for(PHONE_NUMBER_PATH, data)
        info = data.get("phone_info")
        if not isinstance(info, dict):
            self._unexpected(PHONE_NUMBER_PATH, "no phone_info")
        pure = str(info.get("purePhoneNumber") or "")
        country = str(info.get("countryCode") or "")
        if country != "86" or not _MAINLAND_MOBILE.fullmatch(pure):
            logger.info(
                "wechat phone number is not a mainland mobile",
                extra={"wechat_path": PHONE_NUMBER_PATH, "country_code": country},
            )
            raise AppError("unsupported_phone")
        return pure

    def send_message(self, path: str, body: dict[str, Any]) -> int:
        """Send one message (``SUBSCRIBE_SEND_PATH`` or ``TEMPLATE_SEND_PATH``); WeChat's errcode (0: sent).

        A rejected server token (40001/40014/42001) is renewed once and the send retried once (WeChat checks the
        token before anything else, so nothing was sent). Other errcodes are returned for the caller to judge
        (``-1`` busy, ``45009`` quota: later; ``43101`` no subscription, ``47003`` bad data: never). Transport
        failures raise ``AppError("upstream_unavailable")``.
        """
        token = self.stable_access_token()
        data = self._call("POST", path, query={"access_token": token}, json_body=body)
        errcode = _as_int(data.get("errcode")) or 0
        if errcode in TOKEN_REJECTED:
            logger.info("wechat access token rejected; renewing once", extra={"wechat_path": path, "errcode": errcode})
            token = self._refresh_rejected(token)
            data = self._call("POST", path, query={"access_token": token}, json_body=body)
            errcode = _as_int(data.get("errcode")) or 0
        if errcode:
            logger.info("wechat refused the message",
                        extra={"wechat_path": path, "errcode": errcode, "wechat_rid": _rid(data.get("errmsg"))})
        return errcode

    # -- tokens ----------------------------------------------------------------------------------------

    def _cache_get(self) -> str | None:
        try:
            cached = self._token_cache.get(self.app_id)
        except Exception as exc:  # a cache outage must not stop sign-in; WeChat still answers
            logger.warning("wechat token cache read failed", extra={"error_type": type(exc).__name__})
            return None
        if cached is None:
            return None
        token, expires_at = cached
        if token and expires_at - TOKEN_SAFETY_MARGIN > self._clock():
            return token
        return None

    def _fetch_stable_token(self, force_refresh: bool) -> str:
        data = self._call(
            "POST",
            STABLE_TOKEN_PATH,
            json_body={
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )
        # On this endpoint 40001 means a wrong AppSecret, not a stale token: a misconfiguration.
        if _as_int(data.get("errcode")) == INVALID_CREDENTIAL:
            self._raise_for(STABLE_TOKEN_PATH, data, misconfigured=True)
        self._raise_for(STABLE_TOKEN_PATH, data)
        token = data.get("access_token")
        expires_in = _as_int(data.get("expires_in"))
        if not isinstance(token, str) or not token or expires_in is None or expires_in <= 0:
            self._unexpected(STABLE_TOKEN_PATH, "no access_token")
        expires_at = int(self._clock()) + expires_in
        try:
            self._token_cache.put(self.app_id, token, expires_at)
        except Exception as exc:  # the token is still good for this call
            logger.warning("wechat token cache write failed", extra={"error_type": type(exc).__name__})
        logger.info(
            "wechat stable token fetched",
            extra={"wechat_path": STABLE_TOKEN_PATH, "force_refresh": force_refresh, "expires_in": expires_in},
        )
        return token

    def _refresh_rejected(self, rejected: str) -> str:
        """A new token after WeChat rejected ``rejected``.

        First a normal-mode ``stable_token`` call, bypassing our cache: it returns WeChat's current token,
        which fixes the usual cause (our cache held a token that another process force-refreshed away)
        without invalidating anybody's token. Only if WeChat hands back the very token it just rejected do we
        force a refresh. Forcing first would let concurrent instances invalidate each other's tokens in turn
        and burn WeChat's 20-a-day force-refresh allowance.
        """
        with self._token_lock:
            cached = self._cache_get()
            if cached is not None and cached != rejected:  # another thread already renewed it
                return cached
            token = self._fetch_stable_token(force_refresh=False)
            if token == rejected:
                token = self._fetch_stable_token(force_refresh=True)
            return token

    def _post_phone(self, token: str, code: str) -> dict[str, Any]:
        return self._call("POST", PHONE_NUMBER_PATH, query={"access_token": token}, json_body={"code": code})

    # -- HTTP ------------------------------------------------------------------------------------------

    def _pool(self) -> urllib3.PoolManager:
        """The connection pool; through ``WECHAT_EGRESS_PROXY`` when set: official-account APIs answer 40164 to a
        caller whose IP is not on the account's allow-list, and a proxy on a fixed IP is one way to have one (the
        other: ``WeChatEgress=nat`` in ``infra/``)."""
        if self._http is None:
            with self._http_lock:
                if self._http is None:
                    proxy = settings().wechat_egress_proxy
                    self._http = (urllib3.ProxyManager(proxy, num_pools=4, maxsize=10) if proxy
                                  else urllib3.PoolManager(num_pools=4, maxsize=10))
        return self._http

    def _call(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One HTTP exchange; returns the decoded JSON object (errcode not yet checked)."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode(query)
        timeout = self._timeout if self._timeout is not None else settings().wechat_http_timeout
        started = time.monotonic()
        try:
            response = self._pool().request(
                method,
                url,
                fields=fields,
                json=json_body,
                timeout=urllib3.Timeout(total=timeout),
                # Retry only a refused/failed connect (the request never left): a code sent twice is spent.
                retries=urllib3.Retry(total=1, connect=1, read=0, redirect=0, status=0, other=0),
                redirect=False,
            )
        except Urllib3HTTPError as exc:
            # str(exc) holds the URL with its query (secret, code, token): log the class only, chain nothing.
            logger.warning(
                "wechat request failed",
                extra={
                    "wechat_path": path,
                    "error_type": type(getattr(exc, "reason", None) or exc).__name__,
                    "elapsed_ms": int((time.monotonic() - started) * 1000),
                },
            )
            raise AppError("upstream_unavailable") from None
        if response.status != 200:
            logger.warning("wechat http error", extra={"wechat_path": path, "http_status": response.status})
            raise AppError("upstream_unavailable")
        try:
            data = json.loads(response.data)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            self._unexpected(path, "body is not a JSON object")
        return data

    def _raise_for(self, path: str, data: dict[str, Any], misconfigured: bool = False) -> None:
        """Raise the ``AppError`` for a WeChat errcode; return when there is none (absent or 0)."""
        errcode = _as_int(data.get("errcode"))
        if not errcode:
            return
        extra = {"wechat_path": path, "errcode": errcode, "wechat_rid": _rid(data.get("errmsg"))}
        app_code = ERRCODE_TO_APP_ERROR.get(errcode)
        if misconfigured or errcode in MISCONFIGURATION:
            logger.error("wechat rejected our app credentials or configuration", extra=extra)
            raise AppError("upstream_unavailable")
        if app_code is None:
            logger.error("wechat returned an unexpected errcode", extra=extra)
            raise AppError("upstream_unavailable")
        if app_code == "upstream_unavailable":
            logger.warning("wechat is busy", extra=extra)
        else:
            logger.info("wechat refused the request", extra=extra)
        raise AppError(app_code, retry_after=60 if errcode == MINUTE_QUOTA else None)

    @staticmethod
    def _require_code(code: str) -> None:
        if not isinstance(code, str) or not code.strip():
            raise AppError("invalid_code")

    @staticmethod
    def _unexpected(path: str, what: str) -> NoReturn:
        logger.error("wechat answered in an unexpected shape", extra={"wechat_path": path, "problem": what})
        raise AppError("upstream_unavailable")


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rid(errmsg: Any) -> str | None:
    """WeChat's request id from ``errmsg`` (``"invalid code, rid: 652d44d0-..."``), for support tickets."""
    match = _RID.search(errmsg) if isinstance(errmsg, str) else None
    return match.group(1) if match else None


# -- per-process clients built from settings -------------------------------------------------------------


def _default_token_cache() -> TokenCache:
    from chalicelib.core.wechat_token_cache import DynamoTokenCache

    return DynamoTokenCache()


@lru_cache(maxsize=1)
def mini_program_client() -> WeChatClient:
    """The mini-program's client (``WECHAT_MP_APP_ID``/``WECHAT_MP_SECRET``), one per process."""
    s = settings()
    return WeChatClient(
        base_url=s.wechat_api_base,
        app_id=s.wechat_mp_app_id,
        secret=s.wechat_mp_secret,
        token_cache=_default_token_cache(),
        timeout=s.wechat_http_timeout,
    )


@lru_cache(maxsize=1)
def official_account_client() -> WeChatClient:
    """The official account's client (``WECHAT_OA_APP_ID``/``WECHAT_OA_SECRET``), one per process."""
    s = settings()
    return WeChatClient(
        base_url=s.wechat_api_base,
        app_id=s.wechat_oa_app_id,
        secret=s.wechat_oa_secret,
        token_cache=_default_token_cache(),
        timeout=s.wechat_http_timeout,
    )


def reset_clients() -> None:
    """Forget the per-process clients (tests call this after changing settings)."""
    mini_program_client.cache_clear()
    official_account_client.cache_clear()
