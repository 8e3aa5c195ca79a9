"""Community events: targeted circles, a waitlist that moves by itself, check-in that pays once, member-hosted events.

Key design choices (the README's "Community events" says the same for readers of the API):

* **One partition per event** (``EV#<id>``, see ``models``): the event, its seat counter (the core's seat ledger,
  ``core.capacity``, with the counter kept in the event's partition), its waitlist state and places, every
  registration and invitation, and registrations' idempotency records. Registering is one Query of it plus one
  TransactWriteItems; the event page is one BatchGetItem; the listing is a Query of an index (``gsi1`` ``EVLIST``),
  never a Scan; a member's registrations and invitations are a Query of ``gsi2`` (``EVM#<customer_id>``).
* **Seats and waitlist** (``registration``): a free seat is taken in the ledger (``taken < capacity``); otherwise a
  waiting place gets the next ticket of the event's waitlist counter, conditioned on the waitlist's version in the
  same transaction, with a check that every seat is still taken. The order is ``first_come`` or ``tiers_first``
  (the event's priority tiers first, then first come), configurable per event; a position is 1 + the places ahead,
  exact and gap-free whoever leaves (nothing to renumber). A registered member leaving hands their seat to the first
  waiting member in the same transaction (told by a notification in it); nobody registers or is promoted once
  registration closes.
* **Check-in** (``checkin``): the venue's code (rotatable, stored as a salted hash, compared in constant time,
  never logged), from an hour before the start to the end; the registration's change and the points go in one
  transaction through ``points.earn_in`` (so racing check-ins award once), and the event's tags go on the
  member's profile in it too, with the profiling consent as its condition.
* **Audience** (``rules``): tiers and/or profile tags, or invite-only; another circle's event is 404 (never
  listed); invitations (by the host, by member number) open an event to the invited.
* **Member-hosted events** (``proposals``): a held tier of ``EVENTS_HOST_MIN_TIER`` (default gold) or above;
  ``pending_approval`` (seen by the host only) until an operator approves or rejects it with a reason.
* **Notifications** in the transaction of every change of a member's status (registered, waitlisted, promoted,
  cancelled, the event cancelled, checked in, invited); the daily job reminds tomorrow's registered members once.
* **Revoking a check-in** (``revocation``): an agent, with a reason; the check-in's points and its survey's taken back
  in one transaction (the surveys area's ``service_voided`` part).
* **Merges** (``members.merge``): registrations follow the survivor; if both were registered for one event, the
  survivor's stays and the other leaves the way a cancel does.
"""

from chalicelib.core.area import Area, Job
from chalicelib.events.errors import ERRORS
from chalicelib.events.notices import NOTICES

AREA = Area(
    name="events",
    routes=("member", "admin", "agent"),
    errors=ERRORS,
    notices=NOTICES,
    jobs=(Job("events_daily_job", "cron(0 2 * * ? *)", "chalicelib.events.jobs:run_daily",
              doc="Daily at 10:00 Asia/Shanghai (02:00 UTC): everyone registered for tomorrow's events is reminded "
                  "once."),),
    customer_items=True,
    merge="chalicelib.events.hooks:merge",
    seeds=("chalicelib.events.seeds:seed_defaults",),
    owned_resources="tests.support.owned.events:OWNED",
    member_360="chalicelib.events.hooks:member_360",
    personal_data="chalicelib.events.personal_data:REGISTRY",
)
