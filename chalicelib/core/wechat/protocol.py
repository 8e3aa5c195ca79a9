"""WeChat's own vocabulary: the API paths we call, its errcodes, and what each errcode means to us.

WeChat answers HTTP 200 with ``{"errcode": N, "errmsg": "..., rid: ..."}`` on failure; ``raise_for`` maps those to
``AppError`` codes (``ERRCODE_TO_APP_ERROR``), logging only the path, the errcode and WeChat's request id.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger

JSCODE2SESSION_PATH = "/sns/jscode2session"
OAUTH_ACCESS_TOKEN_PATH = "/sns/oauth2/access_token"
STABLE_TOKEN_PATH = "/cgi-bin/stable_token"
PHONE_NUMBER_PATH = "/wxa/business/getuserphonenumber"
SUBSCRIBE_SEND_PATH = "/cgi-bin/message/subscribe/send"
TEMPLATE_SEND_PATH = "/cgi-bin/message/template/send"

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


def as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rid(errmsg: Any) -> str | None:
    """WeChat's request id from ``errmsg`` (``"invalid code, rid: 652d44d0-..."``), for support tickets."""
    match = _RID.search(errmsg) if isinstance(errmsg, str) else None
    return match.group(1) if match else None


def raise_for(path: str, data: dict[str, Any], misconfigured: bool = False) -> None:
    """Raise the ``AppError`` for a WeChat errcode; return when there is none (absent or 0)."""
    errcode = as_int(data.get("errcode"))
    if not errcode:
        return
    extra = {"wechat_path": path, "errcode": errcode, "wechat_rid": rid(data.get("errmsg"))}
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


def unexpected(path: str, what: str) -> NoReturn:
    logger.error("wechat answered in an unexpected shape", extra={"wechat_path": path, "problem": what})
    raise AppError("upstream_unavailable")
