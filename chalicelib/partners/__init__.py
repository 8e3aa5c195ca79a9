"""Alliance merchants (联盟商家): the member's phone is their pass at partner shops.

- Operators register partners with roles (accrual, redemption), a cost per point and an earn rate, and issue keys
  shown once and stored as digests (``registry.py``); a partner key opens the partner routes only (auth level
  ``partner`` in ``core/http/routing.py``).
- Recognition without disclosure (``recognition.py``): tier and benefits only with the member's ``partner_sharing``
  consent (the privacy area's), else the stranger's answer, byte for byte; a sealed token names the member to that
  partner for 10 minutes.
- Earning (``earnings.py``) and spending confirmed by the member (``redemptions.py``) are ledger entries of kind
  ``partner`` written with the partner's month counters, so a statement (``settlement.py``) is one read and agrees
  with the ledger to the point.
"""

from chalicelib.core.area import Area
from chalicelib.partners.errors import ERRORS

AREA = Area(
    name="partners",
    routes=("admin", "integrations", "member"),
    errors=ERRORS,
    seeds=("chalicelib.partners.seeds:seed_demo_partner",),
    owned_resources="tests.support.owned.partners:OWNED",
    member_360_none="a partner's requests are short-lived (5 minutes) and the member's partner activity is in the "
                    "points section's ledger (kind partner)",
    personal_data="chalicelib.partners.personal_data:REGISTRY",
)
