"""What members read about their surveys: the invitation after a service (a service message: it belongs to the
service just received, whatever the marketing consent says; held in quiet hours like any non-urgent message)."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "survey_issued": NoticeSpec(
        "邀请您评价本次服务", "感谢您使用{service}。请在{expires_on}前花一分钟评价，完成可得{points}积分。",
        "How was your service?", "Thank you for choosing {service}. Rate it by {expires_on} and earn {points} points.",
        kind="service_survey", wechat_template="tmpl_service_survey",
        wechat_fields=(("thing1", "{service}"), ("number2", "{points}"), ("date3", "{expires_on}")),
        sms="【会员中心】感谢您使用{service}，请在{expires_on}前评价，可得{points}积分。",
        page="pages/surveys/index",
    ),
}
