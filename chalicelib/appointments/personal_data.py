"""The appointments area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

APPOINTMENT_PLAIN = ("appointment_id booked_by cancelled_at channel checked_in_at counted_open created_at "
                     "customer_id day gsi1pk gsi1sk gsi2pk gsi2sk overrides priority service_id slot_end slot_key "
                     "slot_start status store_id updated_at no_show_at no_show_by no_show_reason")
REGISTRY = {
    "StoreConfigItem": Kind(none="stores and services"),
    "AppointmentItem": Kind(
        where=("H#APPT#",),
        export="appointment_id store_id service_id day slot_start slot_end status channel created_at cancelled_at "
               "checked_in_at no_show_at",
        plain=APPOINTMENT_PLAIN),
    # the reminder job's view of the same items (exported and erased as AppointmentItem): no place of its own
    "chalicelib.appointments.jobs:_Reminded": Kind(plain=f"{APPOINTMENT_PLAIN} reminded_at"),
    "BookingStateItem": Kind(where=("M#APPTSTATE",), export="no_shows suspended_until",
                             plain="held lift_reason lifted_by no_shows suspended_until ver"),
}
