"""Operators (role admin): the benefits of each tier, their quotas and voucher validity, the opening gift pack
and birthday benefits (``trigger``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.benefits import definitions
else:  # loaded when a view first runs (core/lazy.py)
    definitions = lazy_module("chalicelib.benefits.definitions")

api = Api(__name__, "admin")



def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


CONFIG_EXAMPLE = {
    "benefit_id": "bn_3f9a1c2b7d6e", "name": "包邮券", "description": "每月 2 张全场包邮券", "kind": "free_shipping",
    "trigger": "claim", "tiers": ["base", "silver"], "quota": {"per_period": 2, "period": "month"},
    "voucher_valid_days": 30, "status": "active", "ver": 1, "created_at": "2026-11-23T03:15:00.000+00:00",
    "created_by": "s_admin", "updated_at": "2026-11-23T03:15:00.000+00:00", "updated_by": "s_admin",
}
BENEFIT_WRITE_ERRORS = ("validation_error", "malformed_json")


@api.route("/v1/admin/benefits", "GET", auth="admin", response="BenefitConfigList",
           errors=(),
           summary="Every benefit (active and disabled), in creation order",
           examples={"response": {"items": [CONFIG_EXAMPLE], "next_cursor": None}})
def list_benefit_configs(ctx: RequestContext) -> dict:
    return {"items": [b.as_dict() for b in definitions.list_for_admin()], "next_cursor": None}


@api.route("/v1/admin/benefits", "POST", auth="admin", status=201, body="BenefitIn",
           response="BenefitConfigOut",
           errors=BENEFIT_WRITE_ERRORS,
           summary="Create a benefit for some tiers with a quota per period (day | week | month | year | lifetime) "
                   "and a voucher validity; trigger opening_gift / birthday issues it automatically",
           examples={"request": {"name": "包邮券", "tiers": ["base", "silver"],
                                 "quota": {"per_period": 2, "period": "month"}, "voucher_valid_days": 30,
                                 "kind": "free_shipping", "description": "每月 2 张全场包邮券"},
                     "response": CONFIG_EXAMPLE})
def create_benefit(ctx: RequestContext) -> dict:
    return definitions.create(ctx.body.model_dump(exclude_none=True), _staff(ctx)).as_dict()


@api.route("/v1/admin/benefits/{benefit_id}", "GET", auth="admin",
           response="BenefitConfigOut",
           errors=("not_found",), summary="One benefit's configuration",
           examples={"response": CONFIG_EXAMPLE})
def get_benefit_config(ctx: RequestContext, benefit_id: str) -> dict:
    return definitions.get_for_admin(benefit_id).as_dict()


@api.route("/v1/admin/benefits/{benefit_id}", "PATCH", auth="admin", body="BenefitPatch",
           response="BenefitConfigOut",
           errors=(*BENEFIT_WRITE_ERRORS, "not_found", "service_unavailable"),
           summary="Change a benefit (fields sent only; quota as a whole); live within 30 seconds everywhere",
           examples={"request": {"quota": {"per_period": 3, "period": "month"}, "tiers": ["silver"]},
                     "response": CONFIG_EXAMPLE})
def update_benefit(ctx: RequestContext, benefit_id: str) -> dict:
    # null leaves a field as it is, except the description (null clears it)
    changes = {k: v for k, v in ctx.body.model_dump(exclude_unset=True).items() if v is not None or k == "description"}
    return definitions.update(benefit_id, changes, _staff(ctx)).as_dict()


@api.route("/v1/admin/benefits/{benefit_id}/disable", "POST", auth="admin",
           response="BenefitConfigOut",
           errors=("not_found", "service_unavailable"),
           summary="Disable a benefit: no longer shown or claimable (vouchers already issued stay valid)",
           examples={"response": {**CONFIG_EXAMPLE, "status": "disabled", "ver": 2}})
def disable_benefit(ctx: RequestContext, benefit_id: str) -> dict:
    return definitions.set_status(benefit_id, "disabled", _staff(ctx)).as_dict()


@api.route("/v1/admin/benefits/{benefit_id}/enable", "POST", auth="admin",
           response="BenefitConfigOut",
           errors=("validation_error", "not_found", "service_unavailable"),
           summary="Enable a disabled benefit again",
           examples={"response": {**CONFIG_EXAMPLE, "ver": 3}})
def enable_benefit(ctx: RequestContext, benefit_id: str) -> dict:
    return definitions.set_status(benefit_id, "active", _staff(ctx)).as_dict()
