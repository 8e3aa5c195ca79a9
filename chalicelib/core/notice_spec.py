"""What a notification template says, and how it travels: its title and body in Chinese and English, the kind members
read, and (all optional, with defaults) its category, whether it is urgent, and its WeChat and SMS renderings.

Areas declare their templates in their manifest (``Area.notices``); ``core.notifications`` assembles them with its
own into one catalogue, the way ``core.errors`` assembles error codes. A template that names no WeChat mapping is
sent with the generic one (``GENERIC_WECHAT_FIELDS``: its title, its body and when it happened), so an area only
adds what it wants to say differently.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Category = Literal["service", "marketing"]

#: WeChat subscription-message (and category template-message) data keys -> the text that fills them (``{field}``
#: from the notification's data; ``{title}``, ``{body}`` and ``{created_at_local}`` are always there). The key's
#: prefix is its WeChat type (``thing``, ``time``, ``number``, ``phrase``, ``character_string``, ``amount``, ``date``):
#: the delivery truncates or reformats each value the way WeChat accepts that type.
WeChatFields = tuple[tuple[str, str], ...]

GENERIC_WECHAT_TEMPLATE = "tmpl_member_notice"
GENERIC_WECHAT_FIELDS: WeChatFields = (("thing1", "{title}"), ("thing2", "{body}"), ("time3", "{created_at_local}"))
GENERIC_SMS = "【会员中心】{title}：{body}"


class NoticeSpec(NamedTuple):
    """``{field}`` in a text is filled from the notification's data; ``kind`` defaults to the template's name.

    ``category``: ``service`` messages go whatever the marketing consent says, ``marketing`` ones only with it (and
    at most one a day per member). ``urgent``: sent at once even in the member's quiet hours; ``urgent_within_hours``
    with ``starts_field``: urgent when the data's ``starts_field`` (an ISO time) is that close (a change to an
    appointment or event within 48 hours). ``wechat_template``/``wechat_fields``: the mini-program subscription
    template and its data; ``oa_template``/``oa_fields`` the official account's template message (default: the same
    fields); ``sms``: the SMS text; ``page``: the mini-program page the message opens.
    """

    title: str
    body: str
    title_en: str
    body_en: str
    kind: str = ""
    category: Category = "service"
    urgent: bool = False
    urgent_within_hours: int = 0
    starts_field: str = "slot_start"
    wechat_template: str = GENERIC_WECHAT_TEMPLATE
    wechat_fields: WeChatFields = GENERIC_WECHAT_FIELDS
    oa_template: str = ""
    oa_fields: WeChatFields = ()
    sms: str = GENERIC_SMS
    page: str = "pages/notifications/index"

    @property
    def oa_template_id(self) -> str:
        return self.oa_template or f"oa_{self.wechat_template}"

    @property
    def oa_field_map(self) -> WeChatFields:
        return self.oa_fields or self.wechat_fields
