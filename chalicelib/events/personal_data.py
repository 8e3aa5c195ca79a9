"""The community events' items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

# the member's registrations (~#REG) and invitations (~#INV), on gsi2 (registration.mine_keys)
MINE = "gsi2:EVM#"
REGISTRY = {
    "EventItem": Kind(none="an event as the operator or its host set it (a host's events are listed by the host's "
                           "registration)"),
    "WaitlistItem": Kind(none="an event's waitlist counters"),
    "WaitEntryItem": Kind(none="a waiting place: its customer is on the registration"),
    "RegistrationItem": Kind(
        where=(MINE + "~#REG",),
        export="registration_id event_id title kind status starts_at ends_at created_at cancelled_at "
                             "checked_in_at points_awarded revoked_at",
        plain="cancelled_at cancelled_by checked_in_at checked_in_by counted_open created_at customer_id ends_at "
              "event_id gsi2pk gsi2sk kind points_awarded promoted_at registration_id reminded_at revoke_reason "
              "revoked_at revoked_by starts_at status title told_ver updated_at wait_sk"),
    "InvitationItem": Kind(where=(MINE + "~#INV",), export="event_id title invited_at invited_by starts_at",
                           plain="customer_id ends_at event_id gsi2pk gsi2sk invited_at invited_by kind starts_at "
                                 "title"),
}
