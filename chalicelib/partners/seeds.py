"""The local stack's demo partner: a café with both roles and a fixed key (``LOCAL_KEY``), created when absent."""

from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.partners import registry
from chalicelib.partners.models import KEY_PREFIX, PARTNER_SK, PARTNERS_INDEX, PartnerItem, PartnerKeyItem, partner_pk

PARTNER_ID = "ptlocalcafe"
KEY_ID = "local1"
SECRET = "local-partner-secret"
LOCAL_KEY = f"{registry.KEY_PREFIX_TEXT}{PARTNER_ID}_{KEY_ID}_{SECRET}"


def seed_demo_partner() -> None:
    at = clock.iso()
    tx = Tx()
    tx.put("partner", PartnerItem(
        pk=partner_pk(PARTNER_ID), sk=PARTNER_SK, partner_id=PARTNER_ID, name="街角咖啡（联盟商家）",
        roles=["accrual", "redemption"], cost_per_point_fen=5, earn_rate_per_yuan="1",
        benefits_by_tier={"base": ["饮品 95 折"], "silver": ["饮品 9 折"], "gold": ["饮品 85 折", "免费升杯"]},
        created_at=at, gsi1pk=PARTNERS_INDEX, gsi1sk=f"{at}#{PARTNER_ID}"), PartnerItem.pk.does_not_exist())
    tx.put("key", PartnerKeyItem(pk=partner_pk(PARTNER_ID), sk=f"{KEY_PREFIX}{KEY_ID}", partner_id=PARTNER_ID,
                                 key_id=KEY_ID, digest=registry.digest(SECRET), created_at=at),
           PartnerKeyItem.pk.does_not_exist())
    try:
        tx.commit()
    except TxCancelled:  # seeded before
        return
