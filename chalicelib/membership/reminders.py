"""Renewal reminders 15 and 3 days before a paid membership expires, each once: the member's statement (what Plus
saved them this membership year) and a renewal voucher, written with the reminder's marker in one transaction.

Members are found through ``gsi1`` (``PLUSEXP#<local expiry day>``: one Query per reminder day), never a Scan. The
marker ``PLUSREMIND#<customer>#<expiry>#<days>`` is conditioned on its absence: a job run twice, or two runs at
once, send one reminder and one voucher. A renewal moves the expiry (and the index entry), so the next period gets
its own reminders.

"Services received" are the follow-up cases resolved for the member this membership year: cases live in the
member's own partition (``CUST#<id>`` / ``CASE#<txn>``), so the count is one more Query per reminder sent
(``followups.cases.resolved_count``), no index.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.benefits import public as benefits
from chalicelib.core import clock, notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.followups import public as followups
from chalicelib.membership import records, rules
from chalicelib.membership.models import EXPIRY_INDEX, REMINDER_PREFIX, MarkerItem, MembershipItem

RENEWAL_VOUCHER_DAYS = 30


def due(day: date) -> list[MembershipItem]:
    """Memberships expiring on the local ``day``: one Query of the expiry index."""
    return [MembershipItem.from_raw_data(r) for r in paging.index_all("gsi1", f"{EXPIRY_INDEX}{day.isoformat()}")]


def send_due(now: datetime | None = None) -> dict[str, int]:
    """Every reminder due today (15 and 3 days before expiry) not sent yet."""
    now = now or clock.now()
    today = business_day(now)
    counts = {"sent": 0, "already_sent": 0, "skipped": 0}
    for days in rules.REMINDER_DAYS:
        for indexed in due(today + timedelta(days=days)):
            outcome = remind(indexed.customer_id, days, now)
            counts[outcome] += 1
    return counts


def remind(customer_id: str, days: int, now: datetime) -> str:
    """One member's reminder ``days`` before expiry: ``sent``, ``already_sent`` or ``skipped`` (not a paid member
    any more, or the expiry moved since the index was read)."""
    items = records.load(customer_id, consistent=True)
    held = records.membership(items.record)
    if held.status(now) != "active" or held.kind != "paid" or held.expires_at is None:
        return "skipped"
    if items.deletion_pending:  # closing the account: no renewal asked of them, no renewal voucher
        return "skipped"
    if business_day(held.expires_at) - business_day(now) != timedelta(days=days):
        return "skipped"
    cid = items.customer_id
    statement = records.savings_view(held, items, now)
    expiry = records.iso(held.expires_at) or ""
    since = datetime.fromisoformat(statement["since"]) if statement["since"] else now
    services = followups.resolved_count(cid, since, now)
    tx = Tx()
    tx.put("marker", MarkerItem(pk=f"{REMINDER_PREFIX}{cid}#{expiry}#{days}", sk="REMINDER", customer_id=cid,
                                at=clock.iso(now)), MarkerItem.pk.does_not_exist())
    voucher = benefits.new_voucher(cid, benefit_id="plus_renewal", name="Plus 续费专享券", kind="plus_renewal",
                                   valid_days=RENEWAL_VOUCHER_DAYS, source="plus_renewal", at=now)
    benefits.put_in(tx, voucher)
    notifications.put_in(tx, cid, "plus_renewal_reminder", _data(held, statement, days, voucher.voucher_id, services))
    try:
        tx.commit()
    except TxCancelled as exc:
        if "marker" in exc.failed:
            return "already_sent"
        raise
    logger.info("plus reminder sent", extra={"customer_id": cid, "days_before": days})
    return "sent"


def _services_texts(resolved: int) -> tuple[str, str]:
    if not resolved:
        return "专属客服全年为您服务", "your dedicated service team is there all year"
    return (f"专属客服本会员年为您服务 {resolved} 次",
            f"your dedicated service helped you {resolved} time{'s' if resolved > 1 else ''} this membership year")


def _data(held: rules.Membership, statement: dict[str, Any], days: int, voucher_id: str,
          services: int) -> dict[str, Any]:
    assert held.expires_at is not None
    zh, en = _services_texts(services)
    return {
        "status": "reminder", "days_left": days, "expires_on": rules.local(held.expires_at).date().isoformat(),
        "saved_fen": statement["total_fen"], "saved_yuan": f"{statement['total_fen'] / 100:.2f}",
        "savings": statement["items"], "voucher_id": voucher_id, "services_resolved": services,
        "services_text": zh, "services_text_en": en,
    }
