"""The benefits zone: benefits per tier with quotas, vouchers, the opening gift pack and birthday privileges."""

from chalicelib.benefits.errors import ERRORS
from chalicelib.core.area import Area, Job

AREA = Area(
    name="benefits",
    member_kinds={"M#QNOW#": "one current counter per benefit (a new period replaces it)",
                  "M#GIFTPACK": "once per member",
                  "M#BDAYNOW": "one: this year's birthday grant (every year's is H#BDAY#<yyyy>)"},
    moved_kinds={"M#QUOTA#": "H#QUOTA#", "M#BDAY#": "H#BDAY#"},
    migrate_seed="chalicelib.benefits.entitlements:migrate_seed",
    routes=("member", "admin", "integrations"),
    errors=ERRORS,
    jobs=(Job("birthday_benefits_job", "cron(20 * * * ? *)", "chalicelib.benefits.birthdays:run", with_context=True,
              doc="Hourly at :20: birthday benefits for members whose birthday month it is (Shanghai), once a "
                  "year each."),),
    customer_items=True,
    merge_keeps="vouchers and quota counters were issued to the absorbed customer and stay with its history; "
                "the birthday index moves with the birthday on the profile",
    enrolment=("chalicelib.benefits.entitlements:opening_gift_hook",),
    seeds=("chalicelib.benefits.definitions:seed_defaults",),
    owned_resources="tests.support.owned.benefits:OWNED",
    member_360="chalicelib.benefits.vouchers:member_360",
    personal_data="chalicelib.benefits.personal_data:REGISTRY",
)
