"""The privacy area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "PolicyItem": Kind(none="the published privacy policy"),
    "PrivacyStateItem": Kind(where=("M#PRIVACY",), export="partner_sharing accepted_version",
                             erase="deletion_reason deletion_verification",
                             plain="accepted_version open_export partner_sharing updated_at deletion_requested_at "
                                   "deletion_effective_at deletion_channel deletion_recorded_by erased_at "
                                   "overdue_case_at gsi1pk gsi1sk"),
    "ExportItem": Kind(where=("H#EXPORT#",), plain="export_id status requested_at ready_at expires_at parts"),
    "ExportPartItem": Kind(where=("H#EXPORTPART#",), erase="data"),
    "ConsentReceiptItem": Kind(where=("H#CONSENT#",), export="receipt_id purpose granted policy_version channel at",
                               keep="at channel granted policy_version purpose receipt_id",
                               reason="evidence of consent (PIPL Art. 14, 15): receipts carry no identity"),
}
