"""The app's server access token (``POST /cgi-bin/stable_token``): kept in a ``TokenCache`` shared by every instance,
renewed before it expires, and renewed without invalidating anybody's token when WeChat rejects it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.core.observability import logger
from chalicelib.core.wechat.protocol import INVALID_CREDENTIAL, STABLE_TOKEN_PATH, as_int, raise_for, unexpected

#: A cached server token is used until this many seconds before it expires. WeChat itself renews a stable
#: token 5 minutes before expiry (a normal-mode call then returns a new one), so this matches its rhythm.
TOKEN_SAFETY_MARGIN = 300


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


class ServerToken:
    """One app's server token. ``call`` is the client's HTTP exchange (``WeChatClient._call``)."""

    def __init__(self, app_id: str, secret: str, cache: TokenCache, call: Callable[..., dict[str, Any]],
                 clock: Callable[[], float]) -> None:
        self._app_id = app_id
        self._secret = secret
        self._cache = cache
        self._call = call
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, force_refresh: bool = False) -> str:
        """See ``WeChatClient.stable_access_token``."""
        if not force_refresh:
            cached = self._cache_get()
            if cached is not None:
                return cached
        with self._lock:
            if not force_refresh:  # another thread may have refreshed while we waited
                cached = self._cache_get()
                if cached is not None:
                    return cached
            return self._fetch(force_refresh)

    def renew_rejected(self, rejected: str) -> str:
        """A new token after WeChat rejected ``rejected``.

        First a normal-mode ``stable_token`` call, bypassing our cache: it returns WeChat's current token,
        which fixes the usual cause (our cache held a token that another process force-refreshed away)
        without invalidating anybody's token. Only if WeChat hands back the very token it just rejected do we
        force a refresh. Forcing first would let concurrent instances invalidate each other's tokens in turn
        and burn WeChat's 20-a-day force-refresh allowance.
        """
        with self._lock:
            cached = self._cache_get()
            if cached is not None and cached != rejected:  # another thread already renewed it
                return cached
            token = self._fetch(force_refresh=False)
            if token == rejected:
                token = self._fetch(force_refresh=True)
            return token

    def _cache_get(self) -> str | None:
        try:
            cached = self._cache.get(self._app_id)
        except Exception as exc:  # a cache outage must not stop sign-in; WeChat still answers
            logger.warning("wechat token cache read failed", extra={"error_type": type(exc).__name__})
            return None
        if cached is None:
            return None
        token, expires_at = cached
        if token and expires_at - TOKEN_SAFETY_MARGIN > self._clock():
            return token
        return None

    def _fetch(self, force_refresh: bool) -> str:
        data = self._call(
            "POST",
            STABLE_TOKEN_PATH,
            json_body={
                "grant_type": "client_credential",
                "appid": self._app_id,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )
        # On this endpoint 40001 means a wrong AppSecret, not a stale token: a misconfiguration.
        if as_int(data.get("errcode")) == INVALID_CREDENTIAL:
            raise_for(STABLE_TOKEN_PATH, data, misconfigured=True)
        raise_for(STABLE_TOKEN_PATH, data)
        token = data.get("access_token")
        expires_in = as_int(data.get("expires_in"))
        if not isinstance(token, str) or not token or expires_in is None or expires_in <= 0:
            unexpected(STABLE_TOKEN_PATH, "no access_token")
        expires_at = int(self._clock()) + expires_in
        try:
            self._cache.put(self._app_id, token, expires_at)
        except Exception as exc:  # the token is still good for this call
            logger.warning("wechat token cache write failed", extra={"error_type": type(exc).__name__})
        logger.info(
            "wechat stable token fetched",
            extra={"wechat_path": STABLE_TOKEN_PATH, "force_refresh": force_refresh, "expires_in": expires_in},
        )
        return token
