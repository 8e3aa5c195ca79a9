"""The segments area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "too_many_segments": ErrorSpec(409, "分群数量已达上限，请先删除不用的分群",
                                   "The most segments allowed are defined: delete one you no longer use"),
    "segment_changed": ErrorSpec(409, "该分群刚被他人修改，请刷新后重试",
                                 "The segment was changed by someone else meanwhile: reload it and try again"),
    "campaign_not_draft": ErrorSpec(409, "活动已启动，不能再修改", "The campaign has been launched: it cannot change"),
    "campaign_window_closed": ErrorSpec(409, "活动已过结束时间，不能启动",
                                        "The campaign's end has passed: it cannot be launched"),
    "call_task_claimed_by_other": ErrorSpec(409, "该外呼任务已被其他坐席领取",
                                            "Another agent has claimed this call task"),
    "call_task_done": ErrorSpec(409, "该外呼任务已有结果", "This call task already has its outcome"),
    "call_task_not_claimed": ErrorSpec(409, "请先领取该外呼任务", "Claim this call task before recording its outcome"),
    "call_task_limit": ErrorSpec(409, "您在该活动中领取的外呼任务已达上限，请先完成手头的任务",
                                 "You hold the most call tasks this campaign allows: finish one first"),
}
