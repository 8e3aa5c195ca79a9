"""Store appointments: stores and services, slots from opening hours, seats per slot (the core's seat ledger), tier
booking windows and reserved seats, hotline bookings with priority, check-in and the day's queue at the store."""

from chalicelib.appointments.errors import ERRORS
from chalicelib.appointments.notices import NOTICES
from chalicelib.core.area import Area, Job

AREA = Area(
    name="appointments",
    member_kinds={"M#APPTSTATE": "one booking state per member; its held slots are the booked appointments still "
                                 "ahead (within the booking window; ended ones are dropped on every write)"},
    moved_kinds={"M#APPT#": "H#APPT#"},
    migrate_seed="chalicelib.appointments.hooks:migrate_seed",
    routes=("member", "admin", "agent", "integrations"),
    errors=ERRORS,
    notices=NOTICES,
    jobs=(Job("appointments_daily_job", "cron(40 16 * * ? *)", "chalicelib.appointments.jobs:run_daily",
              doc="Daily at 00:40 Asia/Shanghai (16:40 UTC): yesterday's appointments still booked are no-shows "
                  "(repeated no-shows suspend self-service booking); tomorrow's appointments get their reminder."),),
    customer_items=True,
    merge="chalicelib.appointments.hooks:merge",
    seeds=("chalicelib.appointments.catalogue:seed_defaults",),
    owned_resources="tests.support.owned.appointments:OWNED",
    member_360="chalicelib.appointments.hooks:member_360",
    personal_data="chalicelib.appointments.personal_data:REGISTRY",
)
