"""The mall's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import ACCOUNTING, Kind

REGISTRY = {
    "RewardItem": Kind(none="the rewards catalogue"),
    "StockShardItem": Kind(none="stock counts"),
    "RedeemCountItem": Kind(where=("H#RLIM#",), export="reward_id count", plain="reward_id count"),
    "RedemptionItem": Kind(
        where=("RDM#",), export="redemption_id reward_id reward_name quantity points_spent status created_at vouchers",
        keep="points_spent balance_after ledger_entry_id quantity reward_id", reason=ACCOUNTING,
        plain="channel created_at customer_id fulfillment partner_codes partner_ref redemption_id reward_name shards "
              "status transaction_id updated_at voucher_expires_at vouchers"),
    "RedemptionVoucherItem": Kind(none="an in-house voucher's lookup by code; the member's copy is on the redemption"),
}
