"""Plus membership's items in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import ACCOUNTING, Kind

REGISTRY = {
    "PlanItem": Kind(none="the Plus plans"),
    # gsi1 (the expiry-day index the renewal reminders read) is no personal data, but it goes at erasure: the
    # membership drops out of every renewal path (Plus is bought per period: no recurring debit to stop)
    "MembershipItem": Kind(where=("M#PLUS",), export="kind plan_id started_at expires_at trial_used",
                           erase="gsi1pk gsi1sk",
                           plain="anchor_day customer_id expires_at kind plan_id started_at trial_used "
                                 "updated_at ver year_start"),
    "OrderItem": Kind(
        where=("H#PLUSORDER#",), export="order_id plan_id plan_name amount_fen status created_at paid_at refunded_at",
        keep="amount_fen order_id paid_at plan_id refund_id refunded_at transaction_id", reason=ACCOUNTING,
        plain="closed_at created_at customer_id gsi1pk gsi1sk pay_by_epoch period plan_name prepay_id refund_status "
              "refunded_by status"),
    "SavingItem": Kind(where=("H#PLUSSAVE#",), export="at kind ref saved_fen", keep="saved_fen ref",
                       reason=ACCOUNTING, plain="at customer_id kind"),
    "SavedTotalItem": Kind(where=("M#PLUSSAVED",), export="by_kind since", plain="by_kind since updated_at"),
    "UseItem": Kind(where=("M#PLUSUSE",), export="last_at last_what uses",
                    plain="customer_id last_at last_ref last_what uses"),
    "MarkerItem": Kind(where=("PLUSTRIAL#", "PLUSREMIND#"), plain="at customer_id"),
}
