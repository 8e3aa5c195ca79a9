"""What members read about events: ``{...}`` are filled from the notification's data (title, Shanghai date and
time, venue, the waitlist position), so the member knows what, when and where without opening it."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "event_registered": NoticeSpec(
        "活动报名成功", "您已报名{date} {time}在{venue}举行的「{title}」，期待您的到来。",
        "You are registered", "You are registered for {title} on {date} at {time}, {venue}.",
        kind="event_registered",
    ),
    "event_waitlisted": NoticeSpec(
        "已加入活动候补", "「{title}」名额已满，您在候补第 {waitlist_position} 位，有空位时将自动为您报名并通知您。",
        "You are on the waitlist", "{title} is full: you are number {waitlist_position} on the waitlist; you will be "
        "registered automatically when a seat frees up.",
        kind="event_waitlisted",
    ),
    "event_promoted": NoticeSpec(
        "候补成功，已为您报名", "「{title}」有空位了，您已从候补转为正式报名：{date} {time}，{venue}。",
        "You are in", "A seat freed up: you are now registered for {title} on {date} at {time}, {venue}.",
        kind="event_promoted", urgent=True,  # a waitlist promotion goes out at once, even in quiet hours
    ),
    "event_registration_cancelled": NoticeSpec(
        "活动报名已取消", "您已取消「{title}」（{date} {time}）的报名。",
        "Registration cancelled", "Your registration for {title} ({date} {time}) is cancelled.",
        kind="event_registration_cancelled",
    ),
    "event_cancelled": NoticeSpec(
        "活动已取消", "很抱歉，{date} {time}的「{title}」已取消：{reason}",
        "Event cancelled", "We are sorry: {title} on {date} at {time} is cancelled: {reason}",
        kind="event_cancelled", urgent_within_hours=48, starts_field="starts_at",  # within 48 h: even in quiet hours
    ),
    "event_changed": NoticeSpec(
        "活动信息有变更", "您报名的「{title}」有变更，现为{date} {time}，地点：{venue}。",
        "Event changed", "{title}, which you registered for, changed: it is now on {date} at {time}, {venue}.",
        kind="event_changed", urgent_within_hours=48, starts_field="starts_at",
    ),
    "event_reminder": NoticeSpec(
        "明日活动提醒", "提醒：您报名的「{title}」将于明天（{date}）{time}在{venue}举行，签到码请在现场获取。",
        "Your event is tomorrow", "Reminder: {title} is tomorrow, {date} at {time}, {venue}; the check-in code is "
        "shown at the venue.",
        kind="event_reminder",
    ),
    "event_checked_in": NoticeSpec(
        "活动签到成功", "您已在「{title}」签到，获得 {points} 积分。",
        "Checked in", "You checked in at {title} and earned {points} points.",
        kind="event_checked_in",
    ),
    "event_invited": NoticeSpec(
        "您收到一份活动邀请", "您受邀参加{date} {time}在{venue}举行的「{title}」，可在“我的邀请”中报名。",
        "You are invited", "You are invited to {title} on {date} at {time}, {venue}: register from your invitations.",
        kind="event_invited",
    ),
    "event_approved": NoticeSpec(
        "您发起的活动已通过审核", "您发起的「{title}」已通过审核，现在可以邀请会员了。",
        "Your event is approved", "Your event {title} is approved: you can invite members now.",
        kind="event_approved",
    ),
    "event_rejected": NoticeSpec(
        "您发起的活动未通过审核", "您发起的「{title}」未通过审核：{reason}",
        "Your event was not approved", "Your event {title} was not approved: {reason}",
        kind="event_rejected",
    ),
}
