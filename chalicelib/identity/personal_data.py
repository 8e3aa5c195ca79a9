"""The identity area's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

NOT_KEPT = "a short-lived sign-in secret: expires on its own, never kept for the member"
REGISTRY = {
    "CustomerItem": Kind(
        where=("M#PROFILE",),
        export="customer_id member_no name phone birthday gender consents preferences tags unionid identities channels "
               "tier_code created_at created_channel",
        erase="name phone birthday gender preferences tags unionid identities gsi2pk gsi2sk",
        plain="customer_id member_no merged_into closed_at consents channels tier_code created_at created_channel "
              "updated_at gsi1pk gsi1sk"),
    # IDENT#, PHONE#, UNION#, MEMBERNO# keys: named by the profile's identities, phone and unionid (freed at erasure)
    "KeyItem": Kind(plain="customer_id created_at"),
    # moved names the identities the merge moved (openids, the phone): personal; the absorbed ID stays (a pseudonym)
    "MergeRecordItem": Kind(where=("MERGE#",), export="absorbed_customer_id moved", erase="moved",
                            plain="absorbed_customer_id"),
    "OtpItem": Kind(none=NOT_KEPT),
    "OaStateItem": Kind(none=NOT_KEPT),
    "RefreshTokenItem": Kind(none="a session, revoked at erasure through its family; hashed, never exported"),
    "TokenFamilyItem": Kind(none="a revoked session family: no personal data"),
    "StaffItem": Kind(none="staff accounts, not members"),
    "StaffIdItem": Kind(none="which username a staff ID names: staff, not members"),
    "ApiKeyItem": Kind(none="integration keys, not members"),
    "chalicelib.identity.sessions:SpentRefreshTokenItem": Kind(
        none="a session as rotation reads it: the refresh item above with its successor sealed, never exported"),
    "chalicelib.identity.staff_guard:LockoutItem": Kind(none="failed staff sign-ins by username or address"),
    "chalicelib.identity.partition_migration:CheckpointItem": Kind(none="the partition migration's checkpoint"),
    "chalicelib.identity.partition_migration:_RawItem": Kind(none="any item by its keys (a seed's condition)"),
}
