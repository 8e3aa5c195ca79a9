"""The C2B area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "request_closed": ErrorSpec(
        409, "该需求已结束（已上市、已婉拒或已下架），不再接受支持或撤回",
        "This request is closed (launched, declined or hidden): supports can no longer change",
    ),
    "poll_closed": ErrorSpec(409, "该投票已结束", "This poll is closed"),
    "supporters_only": ErrorSpec(
        403, "仅支持该需求的会员可参与此投票", "Only the request's supporters may vote in this poll"
    ),
    "status_move_not_allowed": ErrorSpec(
        409, "当前状态不能变更为该状态", "The request cannot move from its current status to that one"
    ),
    "too_many_polls": ErrorSpec(409, "该需求的投票数量已达上限", "This request already has the most polls allowed"),
}
