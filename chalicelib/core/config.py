"""Settings, read lazily from the environment.

Nothing here runs at import time: ``settings()`` reads the environment on first use and caches it,
and tests call ``reset_settings()`` after changing the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


class Settings(NamedTuple):
    stage: str
    region: str
    table_name: str
    dynamodb_endpoint: str | None
    sqs_endpoint: str | None
    retry_queue_name: str
    followup_queue_name: str
    jwt_secret: str
    jwt_issuer: str
    access_token_ttl: int
    refresh_token_ttl: int
    otp_secret: str
    sms_provider: str
    wechat_api_base: str
    wechat_mp_app_id: str
    wechat_mp_secret: str
    wechat_oa_app_id: str
    wechat_oa_secret: str
    wechat_http_timeout: float
    wechat_egress_proxy: str | None  # an HTTP(S) proxy on an allow-listed IP for WeChat's APIs (else direct)
    max_body_bytes: int
    survey_valid_days: int  # how long a service survey may be answered (SURVEY_VALID_DAYS)
    staff_mfa_required: bool = False  # STAFF_MFA_REQUIRED: admins sign in with a TOTP code (identity/staff_mfa.py)
    # Maker-checker (points/approvals.py): a staff change of more points, or money, than this waits for a second staff
    approval_threshold_points: int = 500  # APPROVAL_THRESHOLD_POINTS
    approval_threshold_fen: int = 20000  # APPROVAL_THRESHOLD_FEN
    # Webhooks for integrators (chalicelib/webhooks): how long a rotated secret still signs (WEBHOOK_SECRET_OVERLAP_
    # SECONDS), attempts before a delivery is dead, the backoff between them, the receiver's time to answer, whether
    # http://localhost URLs are accepted (the local stage; WEBHOOK_ALLOW_HTTP_LOCALHOST elsewhere), endpoints at most
    webhook_secret_overlap_seconds: int = 24 * 3600
    webhook_max_attempts: int = 12
    webhook_backoff_base_seconds: float = 10.0
    webhook_backoff_max_seconds: float = 900.0
    webhook_timeout_seconds: float = 5.0
    webhook_allow_http_localhost: bool = False
    webhook_max_endpoints: int = 20
    events_host_min_tier: str = "gold"  # EVENTS_HOST_MIN_TIER: the lowest held tier that may host events (and above)

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


@lru_cache(maxsize=1)
def settings() -> Settings:
    stage = _env("STAGE", "local")
    return Settings(
        stage=stage,
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "ap-east-1")),
        table_name=_env("TABLE_NAME", "member-portal"),
        dynamodb_endpoint=_env("DYNAMODB_ENDPOINT") or None,
        sqs_endpoint=_env("SQS_ENDPOINT") or None,
        retry_queue_name=_env("RETRY_QUEUE_NAME", "member-portal-retry"),
        followup_queue_name=_env("FOLLOWUP_QUEUE_NAME", "member-portal-followup"),
        jwt_secret=_env("JWT_SECRET"),
        jwt_issuer=_env("JWT_ISSUER", "member-portal"),
        access_token_ttl=_env_int("ACCESS_TOKEN_TTL", 900),
        refresh_token_ttl=_env_int("REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        otp_secret=_env("OTP_SECRET"),
        sms_provider=_env("SMS_PROVIDER", "outbox" if stage == "local" else "sns"),
        wechat_api_base=_env("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        wechat_mp_app_id=_env("WECHAT_MP_APP_ID", "wx-local-miniprogram"),
        wechat_mp_secret=_env("WECHAT_MP_SECRET"),
        wechat_oa_app_id=_env("WECHAT_OA_APP_ID", "wx-local-official-account"),
        wechat_oa_secret=_env("WECHAT_OA_SECRET"),
        wechat_http_timeout=float(_env("WECHAT_HTTP_TIMEOUT", "3")),
        wechat_egress_proxy=_env("WECHAT_EGRESS_PROXY") or None,
        max_body_bytes=_env_int("MAX_BODY_BYTES", 64 * 1024),
        survey_valid_days=max(1, _env_int("SURVEY_VALID_DAYS", 14)),
        staff_mfa_required=_env("STAFF_MFA_REQUIRED").lower() in ("1", "true", "yes", "on"),
        approval_threshold_points=_env_int("APPROVAL_THRESHOLD_POINTS", 500),
        approval_threshold_fen=_env_int("APPROVAL_THRESHOLD_FEN", 20000),
        webhook_secret_overlap_seconds=max(0, _env_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)),
        webhook_max_attempts=max(1, _env_int("WEBHOOK_MAX_ATTEMPTS", 12)),
        webhook_backoff_base_seconds=float(_env("WEBHOOK_BACKOFF_BASE_SECONDS") or (1 if stage == "local" else 10)),
        webhook_backoff_max_seconds=float(_env("WEBHOOK_BACKOFF_MAX_SECONDS") or (30 if stage == "local" else 900)),
        webhook_timeout_seconds=float(_env("WEBHOOK_TIMEOUT_SECONDS") or 5),
        webhook_allow_http_localhost=(_env("WEBHOOK_ALLOW_HTTP_LOCALHOST") or str(stage == "local")).lower()
        in ("1", "true", "yes", "on"),
        webhook_max_endpoints=max(1, _env_int("WEBHOOK_MAX_ENDPOINTS", 20)),
        events_host_min_tier=_env("EVENTS_HOST_MIN_TIER", "gold"),
    )


def reset_settings() -> None:
    settings.cache_clear()
