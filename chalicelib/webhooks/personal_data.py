"""The webhooks area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "EndpointItem": Kind(none="an integrator's endpoint: configuration, not members"),
    "MemberStateItem": Kind(where=("WHSEQ",), plain="seq tier updated_at"),
    "EventItem": Kind(
        where=("H#WHEVT#",), export="event_id type occurred_at",
        erase="body",
        plain="event_id type seq customer_id occurred_at endpoints"),
    # a delivery's state: IDs, counts and the receiver's answers (the body is the event's)
    "DeliveryItem": Kind(plain="delivery_id endpoint_id event_id event_type customer_id seq status attempts in_line "
                               "lease_until last_status_code last_error next_attempt_at replays created_at updated_at "
                               "delivered_at gsi1pk gsi1sk gsi2pk gsi2sk"),
    "LineItem": Kind(none="a delivery's place in line: keys and a delivery ID"),
}
