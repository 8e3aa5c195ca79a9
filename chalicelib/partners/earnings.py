"""Earning at a partner: points by the partner's rate into the member's ledger (kind ``partner``), once per
(partner, order_no), and a refund that reverses them once.

Each change is the points area's own transaction (``earn_in`` or ``take_back_in`` in ``execute_with``) carrying the
earning item (conditioned on its absence, or on not being refunded yet), the partner's month counters and the
Idempotency-Key record. The partner never sees the member's balance or ID.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from chalicelib.core import clock, idempotency, services
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.results import Result, created, ok
from chalicelib.partners import recognition, settlement
from chalicelib.partners.models import EARN_PREFIX, EARNINGS_INDEX_PREFIX, EarningItem, PartnerItem, partner_pk
from chalicelib.points import public as points_area
from chalicelib.points.public import PointsState

KIND = "partner"
SCOPE = "POST /v1/partners/earnings"


def require_role(partner: PartnerItem, role: str) -> None:
    if role not in partner.roles:
        raise AppError("partner_role_missing", details=[{"field": "roles", "issue": f"needs {role}"}])


def points_for(amount_fen: int, earn_rate_per_yuan: str) -> int:
    """Whole points: ``floor(amount_fen / 100 * rate)``."""
    return int((Decimal(amount_fen) * Decimal(earn_rate_per_yuan) / 100).to_integral_value(rounding=ROUND_FLOOR))


def reference(partner_id: str, what: str, ref: str) -> str:
    """A partner ledger entry's reference: ``<partner_id>:earn|refund|spend:<order_no or redemption_id>``."""
    return f"{partner_id}:{what}:{ref}"


def earning_view(item: EarningItem) -> dict[str, Any]:
    return {"order_no": item.order_no, "amount_fen": int(item.amount_fen), "points_awarded": int(item.points),
            "status": "refunded" if item.refunded_at else "earned", "created_at": item.created_at,
            "refunded_at": item.refunded_at}


def _earning(partner_id: str, order_no: str) -> EarningItem | None:
    try:
        return EarningItem.get(partner_pk(partner_id), f"{EARN_PREFIX}{order_no}", consistent_read=True)
    except EarningItem.DoesNotExist:
        return None


def earn(partner: PartnerItem, token: str, order_no: str, amount_fen: int, key: str | None,
         payload: Any) -> Result:
    """``POST /v1/partners/earnings``: 201 the points awarded; the same order again: 200 the first answer."""
    require_role(partner, "accrual")
    req = idempotency.request(partner_pk(partner.partner_id), SCOPE, key, payload)
    stored = idempotency.get(req)
    if stored is not None:
        return idempotency.replay_response(stored)
    first = _earning(partner.partner_id, order_no)
    if first is not None:
        return ok(earning_view(first))
    customer_id = recognition.member_of_token(partner, token)
    points = points_for(amount_fen, partner.earn_rate_per_yuan)
    month = settlement.month_of(clock.today())
    item = EarningItem(pk=partner_pk(partner.partner_id), sk=f"{EARN_PREFIX}{order_no}", partner_id=partner.partner_id,
                       order_no=order_no, customer_id=customer_id, amount_fen=amount_fen, points=points, month=month,
                       created_at=clock.iso(), gsi2pk=f"{EARNINGS_INDEX_PREFIX}{customer_id}",
                       gsi2sk=f"{clock.iso()}#{partner.partner_id}#{order_no}")
    body = earning_view(item)

    def step(tx: Tx, state: PointsState) -> None:
        points_area.earn_in(tx, state, points, kind=KIND, reference=reference(partner.partner_id, "earn", order_no),
                            reason=partner.name)
        tx.put("earning", item, EarningItem.pk.does_not_exist())
        settlement.count_in(tx, partner.partner_id, month, issued=points)
        idempotency.record_in(tx, req, "created", body)

    try:
        points_area.execute_with(customer_id, step)
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        if "earning" in exc.failed:  # the same order_no under another key, a moment ago
            won = _earning(partner.partner_id, order_no)
            if won is not None:
                return ok(earning_view(won))
        raise
    return created(body)


def refund(partner: PartnerItem, order_no: str) -> Result:
    """``POST /v1/partners/earnings/{order_no}/refund``: 201 the points taken back (what the member no longer holds
    becomes debt, as for any refund); again: 200 the same answer, nothing more reversed."""
    require_role(partner, "accrual")
    earning = _earning(partner.partner_id, order_no)
    if earning is None:
        raise AppError("partner_earning_not_found")
    if earning.refunded_at:
        return ok(earning_view(earning))
    points = int(earning.points)
    on = clock.today()
    at = clock.iso()
    month = settlement.month_of(on)

    def add(tx: Tx) -> None:
        tx.update("earning", EarningItem(pk=earning.pk, sk=earning.sk),
                  [EarningItem.refunded_at.set(at), EarningItem.refund_month.set(month)],
                  EarningItem.refunded_at.does_not_exist())
        settlement.count_in(tx, partner.partner_id, month, reversed_=points)

    reversal = services.Reversal(points, KIND, reference(partner.partner_id, "refund", order_no), earning.month)

    def step(tx: Tx, state: PointsState) -> None:
        points_area.take_back_in(tx, state, (reversal,), reason=partner.name)
        add(tx)

    try:
        points_area.execute_with(earning.customer_id, step)
    except TxCancelled as exc:
        if "earning" in exc.failed:
            again = _earning(partner.partner_id, order_no)
            if again is not None:
                return ok(earning_view(again))
        raise
    earning.refunded_at = at
    return created(earning_view(earning))
