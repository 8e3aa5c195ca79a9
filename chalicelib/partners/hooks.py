"""Where the partner hears of a decision on its redemption (confirmed or declined): today it polls
``GET /v1/partners/redemptions/{id}``; the partner webhook (the contract's webhooks) plugs in here."""

from __future__ import annotations

from chalicelib.partners.models import PartnerRedemptionItem


def redemption_decided(item: PartnerRedemptionItem) -> None:
    """Called after the decision committed. No webhook is wired yet: nothing to do."""
