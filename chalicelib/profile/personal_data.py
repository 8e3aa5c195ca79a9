"""The notifications inbox (items the core writes, the profile area shows) in the personal-data registry."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "chalicelib.core.notifications:NotificationItem": Kind(
        where=("N#",), export="notification_id kind title body created_at read",
        erase="title body title_en body_en data",
        plain="notification_id customer_id kind created_at read template deliveries dispatched_at"),
}
