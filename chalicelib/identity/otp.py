"""SMS one-time codes for the app: 6 digits, 5 minutes, stored as an HMAC, at most 5 tries.

Sending is one transaction: the per-phone and per-IP counters and the code itself (refused if the
previous code, still unused, was sent less than a minute ago). Verifying is folded into the caller's sign-in
transaction (``consume_in``): the code item is marked used only if the hash matches, it is fresh and
fewer than 5 tries were made, so a correct code works once and a wrong one changes nothing but the
try counter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, rate_limits
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.sms import SmsSender
from chalicelib.identity.models import OtpItem

SK = "OTP"
TTL_SECONDS = 300
RESEND_AFTER = 60
MAX_TRIES = 5
_LOCAL_SECRET = "local-otp-secret"


def _key(phone: str) -> str:
    return f"OTP#{phone}"


def keys_of(phone: str, since: int) -> list[tuple[str, str]]:
    """The items keyed by the phone itself (its code, its sending counters of the windows since ``since``, epoch
    seconds): what an erasure deletes."""
    return [(_key(phone), SK), *rate_limits.OTP_PER_PHONE_DAY.keys_since(phone, since)]


def _secret() -> bytes:
    cfg = settings()
    if cfg.otp_secret:
        return cfg.otp_secret.encode()
    if cfg.is_local:
        return _LOCAL_SECRET.encode()
    raise RuntimeError("OTP_SECRET is not set")


def code_hash(phone: str, code: str) -> str:
    return hmac.new(_secret(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _rate_limited(failed: set[str] | frozenset[str], *limits: rate_limits.Limit) -> AppError:
    """``rate_limited`` with ``retry_after`` = the seconds until the refusing fixed window ends (the longest wait
    when several refused)."""
    now = clock.epoch()
    waits = [limit.window - now % limit.window for limit in limits if limit.label() in failed]
    return AppError("rate_limited", retry_after=max(waits) if waits else None)


def send(phone: str, client_ip: str, sms: SmsSender) -> None:
    now = clock.epoch()
    code = f"{secrets.randbelow(10**6):06d}"
    tx = Tx()
    rate_limits.count_in(tx, rate_limits.OTP_PER_PHONE_DAY, phone)
    rate_limits.count_in(tx, rate_limits.OTP_PER_IP_HOUR, client_ip)
    tx.put(
        "otp",
        OtpItem(
            pk=_key(phone), sk=SK, code_hash=code_hash(phone, code), expires_at=now + TTL_SECONDS, sent_at=now,
            attempts=0, ttl=now + TTL_SECONDS + 3600,
        ),
        OtpItem.pk.does_not_exist() | (OtpItem.sent_at <= now - RESEND_AFTER) | OtpItem.used.exists(),
    )
    try:
        tx.commit()
    except TxCancelled as exc:
        if "otp" in exc.failed:
            raise AppError("otp_resend_too_soon", retry_after=RESEND_AFTER) from None
        if exc.failed:
            raise _rate_limited(exc.failed, rate_limits.OTP_PER_PHONE_DAY, rate_limits.OTP_PER_IP_HOUR) from None
        raise AppError("service_unavailable") from None
    try:
        sms.send_code(phone, code)
    except Exception:
        logger.exception("sms send failed")
        raise AppError("service_unavailable") from None
    metrics.add_metric(name="OtpSent", unit="Count", value=1)


def consume_in(tx: Tx, phone: str, code: str, client_ip: str) -> None:
    """Add "this code is right, fresh, untried too often: mark it used" to ``tx`` (label ``otp``)."""
    now = clock.epoch()
    rate_limits.check_in(tx, rate_limits.LOGIN_FAILURES_PER_IP_HOUR, client_ip)
    tx.update(
        "otp",
        OtpItem(pk=_key(phone), sk=SK),
        [OtpItem.used.set(True), OtpItem.ttl.set(now + 60)],
        (OtpItem.code_hash == code_hash(phone, code))
        & (OtpItem.attempts < MAX_TRIES)
        & (OtpItem.expires_at > now)
        & OtpItem.used.does_not_exist(),
    )


def raise_for_failure(exc: TxCancelled, phone: str, client_ip: str) -> None:
    """Turn a failed sign-in transaction into the right error, counting the wrong try."""
    if rate_limits.LOGIN_FAILURES_PER_IP_HOUR.label() in exc.failed:
        raise _rate_limited(exc.failed, rate_limits.LOGIN_FAILURES_PER_IP_HOUR) from None
    if "otp" not in exc.failed:
        return
    rate_limits.count(rate_limits.LOGIN_FAILURES_PER_IP_HOUR, client_ip)
    try:
        item = OtpItem(pk=_key(phone), sk=SK)
        item.update(actions=[OtpItem.attempts.add(1)], condition=OtpItem.pk.exists())
        tries = int(item.attempts)
    except UpdateError:  # no code was ever sent (or it expired and was removed)
        raise AppError("invalid_otp") from None
    metrics.add_metric(name="OtpRejected", unit="Count", value=1)
    raise AppError("otp_attempts_exceeded" if tries >= MAX_TRIES else "invalid_otp") from None
