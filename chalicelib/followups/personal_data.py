"""The follow-up cases in the personal-data registry (``core/personal_data.py``)."""

from chalicelib.core.personal_data import Kind

REGISTRY = {
    "FollowUpCaseItem": Kind(
        where=("CASE#",), export="case_id kind status subject opened_at resolved_at resolution",
        erase="member_no message notes last_error resolution_note subject",
        plain="actions attempt_count attempts case_id claimed_at claimed_by close_by customer_id failed_at "
              "first_response_at gsi2pk gsi2sk kind opened_at receive_count reference resolution resolved_at "
              "resolved_by respond_by status tier_code tier_rank transaction_id updated_at"),
}
