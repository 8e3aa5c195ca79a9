"""The three push channels behind one call: ``send(channel, recipient, message) -> Outcome``.

An outcome is ``sent``, ``retry`` (WeChat busy ``-1``, quota ``45009``/``45011``, a transport failure, the SMS
provider down: the retry pipeline tries again with backoff) or ``failed`` (no subscription ``43101``, bad data
``47003``, not following the official account ``43004``...: the next channel takes over). WeChat's rejected
token (``40001``) is renewed and the send retried inside the client (``core.wechat.WeChatClient.send_message``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.core import faults, sms, wechat
from chalicelib.core.config import settings
from chalicelib.core.errors import AppError
from chalicelib.notifications import rules

TRANSIENT_ERRCODES = frozenset({-1, 45009, 45011, *wechat.TOKEN_REJECTED})


@dataclass(frozen=True)
class Message:
    """One notification rendered for the channels."""

    ref: str  # notification_id
    template_id: str
    oa_template_id: str
    wechat_data: dict[str, dict[str, str]]
    oa_data: dict[str, dict[str, str]]
    sms_text: str
    page: str


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "retry", "failed"]
    error: str | None = None
    content: Any = None


def _dev_faults() -> dict[str, Any]:
    if not settings().is_local:
        return {}
    return faults.faults()


def _wechat(client: wechat.WeChatClient, path: str, body: dict[str, Any]) -> Outcome:
    try:
        errcode = client.send_message(path, body)
    except AppError as exc:
        return Outcome("retry", exc.code, body["data"])
    if errcode == 0:
        return Outcome("sent", None, body["data"])
    return Outcome("retry" if errcode in TRANSIENT_ERRCODES else "failed", f"wechat_{errcode}", body["data"])


def send(channel: str, recipient: rules.Recipient, message: Message) -> Outcome:
    """Send ``message`` to ``recipient`` on ``channel`` once."""
    if channel == rules.WECHAT_SUBSCRIBE and recipient.mp_openid:
        return _wechat(wechat.mini_program_client(), wechat.SUBSCRIBE_SEND_PATH, {
            "touser": recipient.mp_openid, "template_id": message.template_id, "page": message.page,
            "data": message.wechat_data, "miniprogram_state": "formal", "lang": "zh_CN"})
    if channel == rules.WECHAT_TEMPLATE and recipient.oa_openid:
        return _wechat(wechat.official_account_client(), wechat.TEMPLATE_SEND_PATH, {
            "touser": recipient.oa_openid, "template_id": message.oa_template_id,
            "miniprogram": {"appid": settings().wechat_mp_app_id, "pagepath": message.page},
            "data": message.oa_data, "client_msg_id": message.ref})
    if channel == rules.SMS and recipient.phone:
        if _dev_faults().get("sms_down"):
            return Outcome("retry", "sms_unavailable", message.sms_text)
        try:
            sms.sms_sender().send_text(recipient.phone, message.sms_text, f"{message.ref}#sms")
        except sms.SmsUnavailable:
            return Outcome("retry", "sms_unavailable", message.sms_text)
        except Exception as exc:  # the gateway's own storage or client failed: claimed already, so retry, not raise
            return Outcome("retry", f"sms_error:{type(exc).__name__}", message.sms_text)
        return Outcome("sent", None, message.sms_text)
    return Outcome("failed", "no_address")
