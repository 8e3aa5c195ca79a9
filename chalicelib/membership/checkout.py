"""Which WeChat Pay product a member pays with, from the channel the order comes from (``X-Channel``).

- ``miniprogram``: JSAPI under the mini-program's app ID, paid by the member's openid of that mini-program.
- ``wechat_oa``: JSAPI under the official account's app ID, paid by the member's openid of that account (from the
  OAuth sign-in).
- ``app``: APP pay under the native app's open-platform app ID (the WeChat OpenSDK's ``PayReq``; no openid).
- anything else (a browser, a store's screen): H5 when the client asks for it (a mobile browser outside WeChat),
  else Native (a QR code scanned with WeChat), under the official account's app ID (or the mini-program's).

A channel that cannot pay is 409 naming what is missing: ``wechat_sign_in_required`` (no openid of the paying app:
WeChat Pay would answer PARAM_ERROR), ``payment_channel_unsupported`` (the stage has no app ID for that channel, or
the hotline, where nobody can scan or tap). Never a retryable error: asking again cannot change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from chalicelib.core.errors import AppError
from chalicelib.membership.wechatpay import Keys

IDENTITY_PROVIDER = {"miniprogram": "wechat_mp", "wechat_oa": "wechat_oa"}
CHANNEL_NAMES = {"miniprogram": "mini-program", "wechat_oa": "official account", "app": "app",
                 "hotline": "hotline"}


class PaymentRoute(NamedTuple):
    kind: str  # jsapi | app | h5 | native
    app_id: str
    openid: str | None = None


def openid_of(identities: Iterable[str], provider: str, app_id: str) -> str | None:
    """The member's openid under ``app_id`` (identity labels are ``<provider>#<app_id>#<openid>``)."""
    prefix = f"{provider}#{app_id}#"
    return next((label[len(prefix):] for label in identities if label.startswith(prefix)), None)


def _unsupported(channel: str, why: str) -> AppError:
    return AppError("payment_channel_unsupported", details=[{"field": "X-Channel", "issue": why}])


def route(k: Keys, channel: str | None, identities: Iterable[str], asked: str | None = None) -> PaymentRoute:
    """The product for an order from ``channel``; ``asked`` is the client's ``payment_kind`` (h5 | native) for
    channels without a WeChat or app context of their own."""
    if channel in IDENTITY_PROVIDER:
        app_id = k.app_id if channel == "miniprogram" else k.oa_app_id
        if not app_id:
            raise _unsupported(channel, f"WeChat Pay is not set up for the {CHANNEL_NAMES[channel]} on this stage")
        openid = openid_of(identities, IDENTITY_PROVIDER[channel], app_id)
        if openid is None:
            raise AppError("wechat_sign_in_required", details=[
                {"field": "X-Channel", "issue": f"no WeChat openid of this {CHANNEL_NAMES[channel]}: sign in with "
                                                f"WeChat in it first"}])
        return PaymentRoute("jsapi", app_id, openid)
    if channel == "app":
        if not k.open_app_id:
            raise _unsupported(channel, "the app's WeChat open-platform app ID is not set up on this stage")
        return PaymentRoute("app", k.open_app_id)
    if channel == "hotline":
        raise _unsupported(channel, "a hotline order cannot be paid on the phone: pay in the app or in WeChat")
    return PaymentRoute("h5" if asked == "h5" else "native", k.oa_app_id or k.app_id)
