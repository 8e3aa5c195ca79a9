"""The member's data rights: the privacy policy, consent receipts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result, accepted

if TYPE_CHECKING:
    from chalicelib.privacy import consents, deletion, exports, policy
else:  # loaded when a view first runs (core/lazy.py)
    deletion = lazy_module("chalicelib.privacy.deletion")
    exports = lazy_module("chalicelib.privacy.exports")
    consents = lazy_module("chalicelib.privacy.consents")
    policy = lazy_module("chalicelib.privacy.policy")

api = Api(__name__, "privacy", schemas="chalicelib.privacy.http.schemas")

MEMBER_ERRORS = ("not_found",)  # and the authentication errors every member route has
POLICY_EXAMPLE = {"version": "2027-01", "published_at": "2027-01-05T10:00:00.000+00:00",
                  "url": "https://m.example.com/privacy/2027-01"}
RECEIPT_EXAMPLE = {"receipt_id": "cr_3f9a0c1d2e4b5a69", "purpose": "marketing", "granted": True,
                   "policy_version": "2027-01", "channel": "miniprogram", "at": "2027-01-06T02:00:00.000+00:00"}


@api.route("/v1/privacy/policy", "GET", auth="public", response="PolicyOut", errors=(),
           summary="The privacy policy in force: its version, when it was published and where to read it",
           examples={"response": POLICY_EXAMPLE})
def get_privacy_policy(ctx: RequestContext) -> dict:
    return policy.current().view()


@api.route("/v1/me/consents", "POST", auth="member", status=201, body="ConsentIn", response="Receipt",
           # consent_required and birthday_locked are the profile change's own rules, never met by a consent alone
           errors=(*MEMBER_ERRORS, "validation_error", "malformed_json", "policy_version_outdated",
                   "concurrent_update", "consent_required", "birthday_locked"),
           summary="Give or withdraw one consent (marketing, profiling, partner_sharing) or accept the privacy policy, "
                   "against the policy version shown (an earlier one: 409 policy_version_outdated); the receipt is "
                   "kept. Withdrawing profiling erases the extended profile",
           examples={"request": {"purpose": "marketing", "granted": True, "policy_version": "2027-01"},
                     "response": RECEIPT_EXAMPLE})
def give_consent(ctx: RequestContext) -> Result:
    body = ctx.body
    return consents.give(ctx.customer_id, body.purpose, body.granted, body.policy_version, ctx.channel)


@api.route("/v1/me/consents", "GET", auth="member", query="ReceiptsQuery", response="ConsentsOut",
           errors=(*MEMBER_ERRORS, "validation_error"),
           summary="My consents now, the policy I accepted against the one in force, and every consent receipt, "
                   "newest first (paged)",
           examples={"response": {"current": {"marketing": True, "profiling": False, "partner_sharing": False},
                                  "policy": {"version": "2027-01", "accepted_version": "2026-01",
                                             "needs_acceptance": True},
                                  "items": [RECEIPT_EXAMPLE], "next_cursor": None}})
def list_consents(ctx: RequestContext) -> dict:
    return consents.listing(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


EXPORT_EXAMPLE = {"export_id": "exp_3f9a0c1d2e4b5a69", "status": "ready", "ready_at": "2027-01-06T02:00:20.000+00:00",
                  "expires_at": "2027-01-13T02:00:20.000+00:00"}


@api.route("/v1/me/exports", "POST", auth="member", status=202, response="ExportOut", idempotent=True,
           errors=(*MEMBER_ERRORS, "idempotency_key_required", "idempotency_key_reused", "export_in_progress",
                   "service_unavailable"),
           summary="Ask for a copy of all my data (one at a time): prepared within a minute, kept 7 days",
           examples={"response": {"export_id": "exp_3f9a0c1d2e4b5a69", "status": "preparing", "ready_at": None,
                                  "expires_at": None}})
def request_export(ctx: RequestContext) -> Result:
    return exports.request(ctx.customer_id, ctx.idempotency_key)


@api.route("/v1/me/exports/{export_id}", "GET", auth="member", response="ExportOut", errors=MEMBER_ERRORS,
           summary="Where my copy stands: preparing, ready (until expires_at) or expired",
           examples={"response": EXPORT_EXAMPLE})
def get_export(ctx: RequestContext, export_id: str) -> dict:
    return exports.status(ctx.customer_id, export_id)


@api.route("/v1/me/exports/{export_id}/data", "GET", auth="member", response="ExportBundle",
           errors=(*MEMBER_ERRORS, "export_not_ready", "export_expired"),
           summary="My copy: every area's items of mine (top-level keys by area, then by kind of item)",
           examples={"response": {"export_id": "exp_3f9a0c1d2e4b5a69", "customer_id": "c_8f14e45fceea167a5a36",
                                  "generated_at": "2027-01-06T02:00:20.000+00:00",
                                  "areas": {"privacy": {"ConsentReceiptItem": [
                                      {k: v for k, v in RECEIPT_EXAMPLE.items()}]}}}})
def get_export_data(ctx: RequestContext, export_id: str) -> dict:
    return exports.data(ctx.customer_id, export_id)


DELETION_EXAMPLE = {"status": "cooling_off", "requested_at": "2027-01-06T02:00:00.000+00:00",
                    "effective_at": "2027-01-13T02:00:00.000+00:00", "reason": None}


@api.route("/v1/me/deletion/preview", "GET", auth="member", response="DeletionPreview", errors=MEMBER_ERRORS,
           summary="Before closing my account: the points and Plus days I give up, what is still open, and what "
                   "stops the deletion (a transaction still being completed)",
           examples={"response": {"points_balance": 1200, "points_expiring_30d": 0,
                                  "plus": {"active": True, "days_left": 200},
                                  "open": {"appointments": 1, "registrations": 0, "pledges": 2, "cases": 0,
                                           "transactions_retrying": 0}, "blocking": []}})
def preview_deletion(ctx: RequestContext) -> dict:
    return deletion.preview(ctx.customer_id)


@api.route("/v1/me/deletion", "POST", auth="member", status=202, body="DeletionIn", response="DeletionOut",
           errors=(*MEMBER_ERRORS, "validation_error", "malformed_json", "deletion_blocked"),
           summary="Close my account: it is erased when the cooling-off ends (DELETION_COOLING_OFF_DAYS, 7 days); "
                   "until then I can sign in, read and cancel, but not spend points or book (409 deletion_pending)",
           examples={"request": {"confirm": True, "reason": "不再使用"}, "response": DELETION_EXAMPLE})
def request_deletion(ctx: RequestContext) -> Result:
    return accepted(deletion.request(ctx.customer_id, ctx.body.reason, ctx.channel))


@api.route("/v1/me/deletion", "GET", auth="member", response="DeletionOut", errors=MEMBER_ERRORS,
           summary="My account deletion request, if any, and when it takes effect",
           examples={"response": DELETION_EXAMPLE})
def get_deletion(ctx: RequestContext) -> dict:
    return deletion.status(ctx.customer_id)


@api.route("/v1/me/deletion", "DELETE", auth="member", status=204,
           errors=(*MEMBER_ERRORS, "deletion_not_cancellable"),
           summary="Cancel my account deletion while it cools off")
def cancel_deletion(ctx: RequestContext) -> Reply:
    deletion.cancel(ctx.customer_id)
    return Reply(None, 204)
