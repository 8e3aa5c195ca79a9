"""Operators publish a new version of the privacy policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.privacy.http.member import POLICY_EXAMPLE

if TYPE_CHECKING:
    from chalicelib.privacy import policy
else:  # loaded when a view first runs (core/lazy.py)
    policy = lazy_module("chalicelib.privacy.policy")

api = Api(__name__, "privacy", schemas="chalicelib.privacy.http.schemas")


@api.route("/v1/admin/privacy/policy", "PUT", auth="admin", body="PolicyIn", response="PolicyOut",
           errors=("validation_error",
                   "malformed_json"),
           summary="Publish a new privacy-policy version (never one published before): members who accepted an "
                   "earlier one are asked to accept it (GET /v1/me privacy_policy.needs_acceptance)",
           examples={"request": {"version": "2027-01", "url": "https://m.example.com/privacy/2027-01"},
                     "response": POLICY_EXAMPLE})
def put_privacy_policy(ctx: RequestContext) -> dict:
    staff = ctx.principal.staff_id or ctx.principal.subject if ctx.principal else ""
    return policy.publish(ctx.body.version, ctx.body.url, staff)
