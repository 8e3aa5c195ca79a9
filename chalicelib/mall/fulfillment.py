"""Fulfilment of redemptions: in-house vouchers, partners behind a provider port, run-time faults, and the retry
port that hands failed work to the retry pipeline.

* **In-house vouchers** are items written in the redemption's own transaction (``issue_vouchers_in``): nothing can
  fail after the points are taken.
* **Partners** (a video-membership code, a shipment) sit behind ``PartnerProvider.fulfil(order)``, which must be
  idempotent on ``order.order_ref`` (the redemption ID): asking twice gives the same codes, never two shipments.
  The local stack's ``SimulatedPartner`` derives its codes from the order reference and fails the share of calls
  set by ``PUT /v1/dev/faults``.
* **Faults**: the partner's failure rate is a knob of the local stage's faults item (``core/faults.py``), which
  every process of the local stack sees within a second.
* **The retry port** (``retry_port()``): ``record_in(tx, txn)`` puts the transaction's outbox entry in the caller's
  transaction, ``enqueue(txn)`` sends the retry message to SQS and clears the outbox entry. If the send fails the
  entry stays on the ``OUTBOX`` index for a sweeper (``sweep_outbox``) to send again: nothing accepted is lost.
  The retry pipeline behind it (backoff, follow-up cases) belongs to the next issue; callers only see the port.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from chalicelib.core import clock, faults
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx
from chalicelib.mall.models import VOUCHER_PREFIX, VOUCHER_SK, RedemptionVoucherItem

# --- faults (local stage) ---------------------------------------------------------------------------------------


def failure_rate() -> float:
    return float(faults.faults().get("fulfillment_failure_rate", 0.0) or 0.0)


# --- in-house vouchers --------------------------------------------------------------------------------------------

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(12))


def issue_vouchers_in(
    tx: Tx, *, customer_id: str, redemption_id: str, reward_id: str, codes: list[str], valid_days: int
) -> str:
    """Put one voucher item per code in ``tx`` (labels ``voucher:<i>``, each new); returns their expiry."""
    now = clock.now()
    expires_at = clock.iso(now + timedelta(days=valid_days))
    for i, code in enumerate(codes):
        tx.put(
            f"voucher:{i}",
            RedemptionVoucherItem(
                pk=f"{VOUCHER_PREFIX}{code}", sk=VOUCHER_SK, code=code, customer_id=customer_id,
                redemption_id=redemption_id, reward_id=reward_id, status="available", expires_at=expires_at,
                created_at=clock.iso(now),
            ),
            RedemptionVoucherItem.pk.does_not_exist(),
        )
    return expires_at


# --- partners (the provider port) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FulfilmentOrder:
    order_ref: str  # the redemption ID: the partner's idempotency key
    reward_id: str
    reward_name: str
    quantity: int
    customer_id: str


@dataclass(frozen=True)
class FulfilmentResult:
    partner_ref: str
    codes: list[str] = field(default_factory=list)


class PartnerUnavailable(Exception):
    """The partner could not fulfil now (down, timed out, refused transiently): retry later."""


class PartnerProvider(Protocol):
    name: str

    def fulfil(self, order: FulfilmentOrder) -> FulfilmentResult:
        """Fulfil ``order``; idempotent on ``order.order_ref``. Raises ``PartnerUnavailable``."""
        ...


class SimulatedPartner:
    """The local stack's partner: codes derived from the order reference (so a repeat gives the same codes),
    failing the share of calls set by ``PUT /v1/dev/faults``."""

    name = "simulated_partner"
    SECRET = b"simulated-partner-local-only"

    def fulfil(self, order: FulfilmentOrder) -> FulfilmentResult:
        rate = failure_rate()
        if rate > 0 and random.random() < rate:
            raise PartnerUnavailable(f"simulated partner failure (rate {rate:g})")
        digest = hmac.new(self.SECRET, order.order_ref.encode(), hashlib.sha256).hexdigest()
        codes = [f"VIP-{digest[8 * i:8 * i + 8].upper()}" for i in range(order.quantity)]
        return FulfilmentResult(partner_ref=f"sim-{digest[:16]}", codes=codes)


PROVIDERS: dict[str, PartnerProvider] = {SimulatedPartner.name: SimulatedPartner()}


def provider(name: str | None) -> PartnerProvider:
    """The partner adapter of a reward (unknown names fall back to the simulated partner only locally)."""
    found = PROVIDERS.get(name or SimulatedPartner.name)
    if found is None:
        if settings().is_local:
            return PROVIDERS[SimulatedPartner.name]
        raise LookupError(f"no partner adapter named {name!r}")
    return found


# --- the retry port -----------------------------------------------------------------------------------------------




















