"""The points mall: rewards with sharded stock, redemptions (in-house vouchers or a partner), flash sales."""

from chalicelib.core.area import Area, FollowUpHooks
from chalicelib.mall.errors import ERRORS

AREA = Area(
    name="mall",
    moved_kinds={"M#RLIM#": "H#RLIM#"},
    routes=("member", "admin", "dev"),
    errors=ERRORS,
    retry_handlers={"redemption_fulfillment": "chalicelib.mall.partner_fulfilment:retry_fulfilment"},
    followups={"redemption_fulfillment": FollowUpHooks(
        settle="chalicelib.mall.hooks:settle_in",
        compensate="chalicelib.mall.hooks:refund",
        describe="chalicelib.mall.hooks:describe",
    )},
    customer_items=True,
    merge_keeps="redemptions and their transactions are the absorbed customer's history, found by their own IDs",
    seeds=("chalicelib.mall.rewards:seed_defaults",),
    owned_resources="tests.support.owned.mall:OWNED",
    member_360="chalicelib.mall.redemption_views:member_360",
    personal_data="chalicelib.mall.personal_data:REGISTRY",
)
