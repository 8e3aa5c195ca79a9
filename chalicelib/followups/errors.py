"""The followups area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "case_not_claimed": ErrorSpec(409, "请先认领该工单", "Claim the case first"),
    "case_claimed_by_other": ErrorSpec(409, "该工单已由其他客服认领", "Another agent has claimed this case"),
    "case_already_resolved": ErrorSpec(409, "该工单已处理完毕", "This case has already been resolved"),
    "case_transaction_settled": ErrorSpec(
        409, "该交易已有结果，无需再处理", "The case's transaction has already been settled"
    ),
    "case_not_refundable": ErrorSpec(409, "该类交易不支持退回", "This kind of transaction cannot be refunded here"),
    "case_not_retryable": ErrorSpec(409, "该类交易不支持立即重试", "This kind of transaction cannot be retried now"),
}
