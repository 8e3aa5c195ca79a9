"""The audit area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

ACCOUNTABILITY = ("the record of what staff did to the member's account and why (PIPL Art. 51, 54: audits of "
                  "personal-information processing); hash-chained, so it cannot be edited without breaking the chain")
REGISTRY = {
    # the body names the member by customer ID (a pseudonym once the identities are erased) and holds the staff's
    # reason, phones masked; exported to the member, kept at erasure
    "chalicelib.core.audit.records:AuditRecordItem": Kind(
        where=("gsi2:AUDITOF#",), export="body", keep="body gsi2pk gsi2sk",
        plain="seq prev hash gsi1pk gsi1sk", reason=ACCOUNTABILITY),
    "chalicelib.core.audit.records:AuditHeadItem": Kind(none="the last record's sequence number and hash of a chain"),
}
