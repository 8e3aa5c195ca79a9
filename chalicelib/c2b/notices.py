"""What members read about the product requests they proposed or support: ``{...}`` are filled from the
notification's data (the request's title, the status, the operators' note, the voucher)."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "c2b_threshold_reached": NoticeSpec(
        "心愿达成目标", "您参与的需求「{title}」需求量已达到 {threshold} 件，品牌正在评估，结果会第一时间通知您。",
        "Target reached", "The request \"{title}\" reached its target of {threshold} units; the brand is deciding and "
        "will tell you what happens next.",
        kind="c2b_threshold_reached",
    ),
    "c2b_status_changed": NoticeSpec(
        "需求进展更新", "您参与的需求「{title}」有新进展：{status_zh}。{note}",
        "Request update", "The request \"{title}\" moved on: {status_en}. {note}",
        kind="c2b_status_changed",
    ),
    "c2b_launched": NoticeSpec(
        "新品上市啦", "您支持的需求「{title}」已上市！感谢参与，{voucher_name}已放入您的券包。{note}",
        "It launched", "\"{title}\", which you supported, has launched. Thank you: a {voucher_name} is in your "
        "vouchers. {note}",
        kind="c2b_launched",
    ),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "under_review": ("品牌评估中", "under review"),
    "accepted": ("已采纳", "accepted"),
    "in_production": ("生产中", "in production"),
    "launched": ("已上市", "launched"),
    "declined": ("已婉拒", "declined"),
    "hidden": ("已下架", "hidden by moderation"),
}
