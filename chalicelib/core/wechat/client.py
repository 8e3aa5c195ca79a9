"""The WeChat client: one app's sign-in code exchanges, phone number and messages, over its own HTTP pool.

Transport failures (timeouts, refused connections, HTTP 5xx, bodies that are not JSON) become
``upstream_unavailable``; errcodes are mapped in ``protocol.py``; the server token is ``tokens.py``'s.

Secrets, codes, ``session_key``, tokens and phone numbers never reach a log line or an exception message:
the request URL carries the secret and the code in its query, so only the path is ever logged, and urllib3's
exceptions (whose text includes the full URL) are never chained into what we raise (``from None``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.wechat import protocol
from chalicelib.core.wechat.protocol import (
    JSCODE2SESSION_PATH,
    OAUTH_ACCESS_TOKEN_PATH,
    PHONE_NUMBER_PATH,
    TOKEN_REJECTED,
    as_int,
    raise_for,
    rid,
)
from chalicelib.core.wechat.tokens import ServerToken, TokenCache

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


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
        self._http = http
        self._timeout = timeout
        self._http_lock = threading.Lock()
        self._server_token = ServerToken(app_id, secret, token_cache, self._call, clock)

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
        raise_for(path, data)
        openid = data.get("openid")
        if not isinstance(openid, str) or not openid:
            protocol.unexpected(path, "no openid")
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
            is_snapshot_user=as_int(data.get("is_snapshotuser")) == 1,
        )

    def stable_access_token(self, force_refresh: bool = False) -> str:
        """The app's server access token, from the cache while it has more than ``TOKEN_SAFETY_MARGIN`` left.

        ``force_refresh=True`` skips the cache and asks WeChat to invalidate its current token and issue a new
        one. WeChat allows that 20 times a day, 30 seconds apart, and it invalidates the token every other
        instance holds: ``user_phone_number`` uses it only as a last resort (see ``ServerToken.renew_rejected``).
        """
        return self._server_token.get(force_refresh)

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
        if as_int(data.get("errcode")) in TOKEN_REJECTED:
            logger.info(
                "wechat access token rejected; renewing once",
                extra={"wechat_path": PHONE_NUMBER_PATH, "errcode": as_int(data.get("errcode"))},
            )
            token = self._server_token.renew_rejected(token)
            data = self._post_phone(token, code)
            if as_int(data.get("errcode")) in TOKEN_REJECTED:
                raise_for(PHONE_NUMBER_PATH, data, misconfigured=True)  # rejected twice: not a stale cache
        raise_for(PHONE_NUMBER_PATH, data)
        info = data.get("phone_info")
        if not isinstance(info, dict):
            protocol.unexpected(PHONE_NUMBER_PATH, "no phone_info")
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
        errcode = as_int(data.get("errcode")) or 0
        if errcode in TOKEN_REJECTED:
            logger.info("wechat access token rejected; renewing once", extra={"wechat_path": path, "errcode": errcode})
            token = self._server_token.renew_rejected(token)
            data = self._call("POST", path, query={"access_token": token}, json_body=body)
            errcode = as_int(data.get("errcode")) or 0
        if errcode:
            logger.info("wechat refused the message",
                        extra={"wechat_path": path, "errcode": errcode, "wechat_rid": rid(data.get("errmsg"))})
        return errcode

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
            protocol.unexpected(path, "body is not a JSON object")
        return data

    @staticmethod
    def _require_code(code: str) -> None:
        if not isinstance(code, str) or not code.strip():
            raise AppError("invalid_code")
