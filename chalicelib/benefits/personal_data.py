"""The benefits area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "BenefitItem": Kind(none="the benefits catalogue"),
    "QuotaCounterItem": Kind(where=("M#QNOW#", "H#QUOTA#"), export="benefit_id count period_key",
                             plain="benefit_id count period_key"),
    "VoucherItem": Kind(where=("V#",), export="voucher_id benefit_id name kind status created_at expires_at used_at",
                        plain="benefit_id channel created_at customer_id expires_at expires_epoch gsi1pk gsi1sk kind "
                              "name period_key source status used_at used_by used_order_no voucher_id"),
    "GiftMarkerItem": Kind(where=("M#GIFTPACK", "M#BDAYNOW", "H#BDAY#"), export="year issued vouchers created_at",
                           plain="created_at issued vouchers year"),
}
