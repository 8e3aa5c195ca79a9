"""The CSV files finance and operators open in a spreadsheet: UTF-8 with a BOM (Excel on Windows reads a file
without one as GBK and garbles the Chinese headers), CRLF rows (RFC 4180), one header row naming each column in
Chinese and English."""

from __future__ import annotations

import csv
import io
from typing import Any

CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


def render(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return BOM + out.getvalue()


def headers(filename: str) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "Content-Disposition": f'attachment; filename="{filename}"'}


CLOSE_ROWS = (
    ("outstanding_points", "未兑换积分"), ("issued", "本月发放积分"), ("redeemed", "本月兑换积分"),
    ("expired", "本月过期积分"), ("reversed", "本月冲回积分"), ("breakage_rate", "积分沉淀率"),
    ("expected_redemption_rate", "预计兑换率"), ("point_value_fen", "每积分价值（分）"),
    ("deferred_revenue_fen", "递延收益（分）"))


def close_csv(close: dict[str, Any]) -> str:
    rows: list[list[Any]] = [["项目 item", "值 value"], ["月份 month", close["month"]],
                             ["状态 status", close["status"]]]
    rows += [[f"{zh} {name}", close.get(name)] for name, zh in CLOSE_ROWS]
    for entry in close.get("expiring_by_month") or []:
        rows.append([f"到期积分 expiring {entry['month']}", entry["points"]])
    reconciled = close.get("reconciled") or {}
    rows += [["台账合计 ledger_sum", reconciled.get("ledger_sum")],
             ["积分桶合计 buckets_sum", reconciled.get("buckets_sum")],
             ["差额 difference", reconciled.get("difference")]]
    return render(rows)


HEALTH_COLUMNS = (
    ("month", "月份"), ("members", "会员数"), ("active_members", "活跃会员"), ("active_member_rate", "活跃率"),
    ("checkin_members", "签到会员"), ("checkin_rate", "签到率"), ("points_issued", "发放积分"),
    ("points_redeemed", "兑换积分"), ("redemption_rate", "积分兑换率"), ("redemptions", "兑换次数"),
    ("plus_started", "Plus开通"), ("plus_renewed", "Plus续费"), ("plus_lapsed", "Plus到期未续"),
    ("plus_refunded", "Plus退款"), ("plus_renewal_rate", "Plus续费率"), ("plus_trials", "Plus试用"),
    ("plus_trial_converted", "试用转付费"), ("plus_trial_lapsed", "试用到期未转"),
    ("plus_trial_conversion_rate", "试用转化率"), ("appointments_booked", "预约数"),
    ("appointments_attended", "到店数"), ("appointments_no_show", "爽约数"), ("appointment_no_show_rate", "爽约率"),
    ("event_registrations", "活动报名"), ("event_check_ins", "活动签到"), ("event_attendance_rate", "活动出席率"))
GROUP_COLUMNS = (
    ("csat", "answers", "满意度答卷"), ("csat", "satisfied", "满意（4-5分）"), ("csat", "rate", "满意率 CSAT"),
    ("nps", "answers", "NPS答卷"), ("nps", "promoters", "推荐者"), ("nps", "detractors", "贬损者"),
    ("nps", "score", "净推荐值 NPS"), ("campaign_uplift", "campaigns", "营销活动数"),
    ("campaign_uplift", "treated", "活动触达"), ("campaign_uplift", "treated_conversions", "触达转化"),
    ("campaign_uplift", "holdout", "对照组"), ("campaign_uplift", "holdout_conversions", "对照组转化"),
    ("campaign_uplift", "uplift", "活动增益"))


def health_csv(health: dict[str, Any]) -> str:
    tiers = sorted({b["tier"] for m in health["months"] for b in m["benefit_usage_rate"]})
    rows: list[list[Any]] = [[f"{zh} {name}" for name, zh in HEALTH_COLUMNS]
                             + [f"{zh} {group}_{name}" for group, name, zh in GROUP_COLUMNS]
                             + [f"权益使用率 benefit_usage_rate_{t}" for t in tiers]]
    for month in health["months"]:
        usage = {b["tier"]: b["rate"] for b in month["benefit_usage_rate"]}
        rows.append([month[name] for name, _ in HEALTH_COLUMNS]
                    + [month[group][name] for group, name, _ in GROUP_COLUMNS] + [usage.get(t) for t in tiers])
    return render(rows)
