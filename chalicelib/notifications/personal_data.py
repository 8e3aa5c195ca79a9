"""The notification deliveries in the personal-data registry (``core/personal_data.py``); the notifications
themselves (``core.notifications``) are the profile area's."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "DeliveryItem": Kind(where=("ND#",), export="notification_id channel status created_at",
                         erase="content to error",
                         plain="attempts channel created_at customer_id grant_used notification_id notification_sk "
                               "status template_id updated_at"),
    "NotifyStateItem": Kind(where=("M#NOTIFY",), export="channels quiet_hours",
                            plain="channels quiet_hours unread updated_at"),
    "GrantItem": Kind(where=("WXSUB#",), export="template_id remaining", plain="remaining template_id updated_at"),
    "HoldItem": Kind(where=("NHOLD#",), plain="customer_id gsi1pk gsi1sk notification_id notification_sk release_at"),
    "MarketingDayItem": Kind(where=("NMKT#",), plain="sent"),
    "chalicelib.notifications.reminders:ReminderMarkerItem": Kind(where=("NREM#",), plain="created_at"),
}
