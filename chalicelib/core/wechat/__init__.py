"""Our own small WeChat server-API client (mini-program login and phone number, official-account OAuth, messages).

The calls, WeChat's own request and response shapes:

- ``code_to_session``: ``GET /sns/jscode2session`` (wx.login code -> openid, unionid)
- ``oauth_access_token``: ``GET /sns/oauth2/access_token`` (OAuth code -> openid, unionid, scope, snapshot flag)
- ``stable_access_token``: ``POST /cgi-bin/stable_token`` (the app's server token, cached in a ``TokenCache``)
- ``user_phone_number``: ``POST /wxa/business/getuserphonenumber`` (getPhoneNumber code -> mainland number)
- ``send_message``: ``POST /cgi-bin/message/subscribe/send`` (a mini-program subscription message) and
  ``POST /cgi-bin/message/template/send`` (an official-account template message); returns WeChat's errcode

The parts: ``client.py`` (``WeChatClient``: the calls and their HTTP), ``protocol.py`` (paths, errcodes and the
``AppError`` each maps to), ``tokens.py`` (the server token and its cache), ``token_cache.py`` (the cache in the
table). Here: the per-process clients built from settings. Nothing touches the network or builds a connection pool
at import time.
"""

from __future__ import annotations

from functools import lru_cache

from chalicelib.core.config import settings
from chalicelib.core.wechat.client import MiniProgramSession, OAuthIdentity, WeChatClient
from chalicelib.core.wechat.protocol import (
    ERRCODE_TO_APP_ERROR,
    MISCONFIGURATION,
    PHONE_NUMBER_PATH,
    STABLE_TOKEN_PATH,
    SUBSCRIBE_SEND_PATH,
    TEMPLATE_SEND_PATH,
    TOKEN_REJECTED,
)
from chalicelib.core.wechat.tokens import TOKEN_SAFETY_MARGIN, MemoryTokenCache, TokenCache

__all__ = [
    "ERRCODE_TO_APP_ERROR", "MISCONFIGURATION", "PHONE_NUMBER_PATH", "STABLE_TOKEN_PATH", "SUBSCRIBE_SEND_PATH",
    "TEMPLATE_SEND_PATH", "TOKEN_REJECTED", "TOKEN_SAFETY_MARGIN", "MemoryTokenCache", "MiniProgramSession",
    "OAuthIdentity", "TokenCache", "WeChatClient", "mini_program_client", "official_account_client", "reset_clients",
]


def _default_token_cache() -> TokenCache:
    from chalicelib.core.wechat.token_cache import DynamoTokenCache

    return DynamoTokenCache()



def _client(app_id: str, secret: str) -> WeChatClient:
    s = settings()
    return WeChatClient(base_url=s.wechat_api_base, app_id=app_id, secret=secret, token_cache=_default_token_cache(),
                        timeout=s.wechat_http_timeout)


@lru_cache(maxsize=1)
def mini_program_client() -> WeChatClient:
    """The mini-program's client (``WECHAT_MP_APP_ID``/``WECHAT_MP_SECRET``), one per process."""
    return _client(settings().wechat_mp_app_id, settings().wechat_mp_secret)


@lru_cache(maxsize=1)
def official_account_client() -> WeChatClient:
    """The official account's client (``WECHAT_OA_APP_ID``/``WECHAT_OA_SECRET``), one per process."""
    return _client(settings().wechat_oa_app_id, settings().wechat_oa_secret)


def reset_clients() -> None:
    """Forget the per-process clients (tests call this after changing settings)."""
    mini_program_client.cache_clear()
    official_account_client.cache_clear()
