"""Settings, read lazily from the environment: the one module that reads it (a test checks).

Nothing here runs at import time: ``settings()`` reads the environment on first use and caches it,
and tests call ``reset_settings()`` after changing the environment. The few settings a running process may see
change (tests, ``run_job``, the local stack's fault switches) are read at each use with ``live()``: each is declared
in ``LIVE`` with its default, so that every setting the code reads is named in this file.
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
    # Campaigns (segments/campaign_reach.py): a member's marketing sends at most per Shanghai day and per week
    campaign_cap_per_day: int = 1  # CAMPAIGN_CAP_PER_DAY
    campaign_cap_per_week: int = 3  # CAMPAIGN_CAP_PER_WEEK
    # Segments (segments/rebuild.py): a new or changed definition's rebuild waits this long before it scans, so that
    # every stream worker's cached definitions (segments/store.py: 10 s) know it by then (SEGMENT_REBUILD_DELAY_SECONDS)
    segment_rebuild_delay_seconds: int = 11
    # Notifications (chalicelib/notifications): attempts per channel, the first and the retries (NOTIFY_MAX_ATTEMPTS;
    # below the retry queue's receive count, so a delivery that keeps failing ends ``failed`` and never becomes an
    # agent's case), and marketing messages a member gets a Shanghai day (NOTIFY_MARKETING_PER_DAY)
    notify_max_attempts: int = 3
    notify_marketing_per_day: int = 1
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
        campaign_cap_per_day=_env_int("CAMPAIGN_CAP_PER_DAY", 1),
        campaign_cap_per_week=_env_int("CAMPAIGN_CAP_PER_WEEK", 3),
        segment_rebuild_delay_seconds=min(900, max(0, _env_int("SEGMENT_REBUILD_DELAY_SECONDS", 11))),
        notify_max_attempts=_env_int("NOTIFY_MAX_ATTEMPTS", 3),
        notify_marketing_per_day=_env_int("NOTIFY_MARKETING_PER_DAY", 1),
        events_host_min_tier=_env("EVENTS_HOST_MIN_TIER", "gold"),
    )


def reset_settings() -> None:
    settings.cache_clear()


# Read at each use (``live``): name -> default (an empty value in the environment means the default too).
LIVE: dict[str, str] = {
    # identity: the refresh-token replay grace (seconds; empty: ``sessions.REFRESH_REPLAY_GRACE_SECONDS``)
    "REFRESH_REPLAY_GRACE_SECONDS": "",
    # the member-partition migration job: count only, write nothing; the API reads both layouts meanwhile
    "MEMBER_PARTITION_DRY_RUN": "",
    "MEMBER_PARTITION_MIGRATING": "",
    # WeChat Pay v3 (membership/wechatpay.py): the merchant's keys and the platform's; the last three optional
    "WECHATPAY_API_BASE": "", "WECHATPAY_MCH_ID": "", "WECHATPAY_APP_ID": "", "WECHATPAY_MCH_SERIAL": "",
    "WECHATPAY_MCH_PRIVATE_KEY": "", "WECHATPAY_PLATFORM_SERIAL": "", "WECHATPAY_PLATFORM_PUBLIC_KEY": "",
    "WECHATPAY_API_V3_KEY": "", "WECHATPAY_NOTIFY_URL": "",
    "WECHATPAY_OA_APP_ID": "", "WECHATPAY_OPEN_APP_ID": "", "WECHATPAY_PLATFORM_KEYS": "",
    # Plus: points earned x this multiplier; what a point is worth to a member (fen), for the savings shown
    "PLUS_POINTS_MULTIPLIER": "1.5",
    "PLUS_POINT_VALUE_FEN": "1",
    # C2B: the default support threshold of a request; proposals a member may make a day
    "C2B_DEFAULT_THRESHOLD": "100",
    "C2B_PROPOSALS_PER_DAY": "5",
    # privacy: the cooling-off days before a requested deletion runs
    "DELETION_COOLING_OFF_DAYS": "7",
    # the retry queue's redelivery backoff (seconds; empty: by stage), the follow-up dead-letter queue
    "RETRY_BACKOFF_BASE_SECONDS": "",
    "RETRY_BACKOFF_MAX_SECONDS": "",
    "FOLLOWUP_DLQ_NAME": "member-portal-followup-dlq",
    # local stage: the day the reminder jobs take as today (``YYYY-MM-DD``)
    "REMINDERS_ON": "",
    # set by Lambda's runtime; tracing is on in a Lambda unless switched off
    "AWS_LAMBDA_FUNCTION_NAME": "",
    "POWERTOOLS_TRACE_DISABLED": "",
    # the table's stream, for the stream handler's declaration (infra/resources.json fills in the real one)
    "MEMBER_TABLE_STREAM_ARN": "arn:aws:dynamodb:ap-east-1:123456789012:table/member-portal/stream/placeholder",
}


def live(name: str) -> str:
    """A setting of ``LIVE``, read now; a name not declared there is a bug (KeyError)."""
    default = LIVE[name]
    return os.environ.get(name) or default


def live_flag(name: str) -> bool:
    """A switch of ``LIVE``: on unless empty, ``0`` or ``false``."""
    return live(name).lower() not in ("", "0", "false")
