"""What members read about their appointments: ``{...}`` are filled from the notification's data (store-local date
and time, the store's name and address, the service), so the member reads where and when without opening it."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "appointment_booked": NoticeSpec(
        "预约成功", "您已预约{date} {time}在{store_name}（{store_address}）的{service_name}，请按时到店。",
        "Appointment booked", "Your {service_name} is booked for {date} at {time} at {store_name} ({store_address}).",
        kind="transaction_appointment_booked",
    ),
    "appointment_moved": NoticeSpec(
        "预约已改期", "您的{service_name}已改到{date} {time}，地点：{store_name}（{store_address}）。",
        "Appointment moved", "Your {service_name} was moved to {date} at {time} at {store_name} ({store_address}).",
        kind="transaction_appointment_moved", urgent_within_hours=48,  # a change within 48 h goes in quiet hours
    ),
    "appointment_cancelled": NoticeSpec(
        "预约已取消", "您{date} {time}在{store_name}的{service_name}已取消，座位已释放，如有疑问请联系客服。",
        "Appointment cancelled", "Your {service_name} on {date} at {time} at {store_name} was cancelled; "
        "contact us with any question.",
        kind="transaction_appointment_cancelled", urgent_within_hours=48,
    ),
    "appointment_reminder": NoticeSpec(
        "明日到店预约提醒",
        "提醒：您明天（{date}）{time}在{store_name}（{store_address}）有{service_name}预约，请按时到店。",
        "Your appointment is tomorrow", "Reminder: your {service_name} is tomorrow, {date} at {time}, at {store_name} "
        "({store_address}).",
        kind="transaction_appointment_reminder",
    ),
}
