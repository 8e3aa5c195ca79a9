"""The campaigns' template: the operator's title and body, a marketing message (consent, caps, quiet hours)."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "campaign_message": NoticeSpec(
        "{title}", "{body}", "{title}", "{body}", kind="campaign_message", category="marketing",
        sms="【会员中心】{title}：{body} 回T退订",
    ),
}
