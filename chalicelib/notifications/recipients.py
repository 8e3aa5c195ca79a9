"""What a delivery reads: the notice's wording (``spec_of``), the recipient (profile, settings and the template's
grants in one BatchGetItem), and the message each channel sends (``render``)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.dynamo import batch, keys
from chalicelib.core.notice_spec import NoticeSpec
from chalicelib.core.notifications import TEMPLATES, NotificationItem
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.notifications import channels, rules
from chalicelib.notifications.models import GRANT_PREFIX, STATE_SK, GrantItem, NotifyStateItem


def spec_of(item: NotificationItem) -> NoticeSpec:
    name = item.template or ""
    if name in TEMPLATES:
        return TEMPLATES[name]
    return NoticeSpec(item.title, item.body, item.title_en or item.title, item.body_en or item.body, kind=item.kind)


def _openid(identities: list[str], provider: str) -> str | None:
    for label in identities:
        parts = label.split("#")
        if len(parts) == 3 and parts[0] == provider:
            return parts[2]
    return None


def _clock_time(value: str | None, default: time) -> time:
    try:
        return time.fromisoformat(value) if value else default
    except ValueError:
        return default


def recipient_keys(customer_id: str, template_id: str) -> list[tuple[str, str]]:
    """The items a recipient is read from: the profile, the settings (``M#NOTIFY``) and the template's grants."""
    pk = keys.customer_pk(customer_id)
    return [(pk, sk) for sk in (PROFILE_SK, STATE_SK, f"{GRANT_PREFIX}{template_id}")]


def load_recipient(customer_id: str, template_id: str) -> rules.Recipient:
    """One BatchGetItem of ``recipient_keys``."""
    found = batch.batch_get(recipient_keys(customer_id, template_id), consistent=False)
    return recipient_of(list(found.values()), template_id)


def recipient_of(found_raw: list[dict[str, Any]], template_id: str) -> rules.Recipient:
    """The recipient from the raw items of ``recipient_keys`` that exist (the campaigns read them with their own)."""
    found = {raw["sk"]["S"]: raw for raw in found_raw}
    grant_sk = f"{GRANT_PREFIX}{template_id}"
    profile = CustomerItem.from_raw_data(found[PROFILE_SK]) if PROFILE_SK in found else None
    state = NotifyStateItem.from_raw_data(found[STATE_SK]) if STATE_SK in found else None
    grant = GrantItem.from_raw_data(found[grant_sk]) if grant_sk in found else None
    if profile is None:
        return rules.Recipient()
    identities = list(profile.identities or [])
    quiet = state.quiet_hours if state is not None else None
    return rules.Recipient(
        mp_openid=_openid(identities, "wechat_mp"), oa_openid=_openid(identities, "wechat_oa"), phone=profile.phone,
        marketing_consent=bool(profile.consents.marketing) if profile.consents else False,
        grants=int(grant.remaining or 0) if grant is not None else 0,
        channels=dict((state.channels or {}) if state is not None else {}),
        quiet=(_clock_time(quiet.start if quiet else None, rules.DEFAULT_QUIET[0]),
               _clock_time(quiet.end if quiet else None, rules.DEFAULT_QUIET[1])),
    )


def render(item: NotificationItem, spec: NoticeSpec) -> channels.Message:
    created = datetime.fromisoformat(item.created_at).astimezone(SHANGHAI)
    values = {**(item.data or {}), "title": item.title, "body": item.body,
              "created_at_local": created.replace(tzinfo=None).isoformat(timespec="minutes")}
    return channels.Message(
        ref=item.notification_id, template_id=spec.wechat_template, oa_template_id=spec.oa_template_id,
        wechat_data=rules.wechat_data(spec.wechat_fields, values), oa_data=rules.wechat_data(spec.oa_field_map, values),
        sms_text=rules.sms_text(spec.sms, values), page=f"{spec.page}?id={item.notification_id}",
    )
