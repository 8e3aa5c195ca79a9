// Plus plans: the list (price shown as yuan; put on or off sale) and a new plan.
import { call } from "./api.js";
import { h, table } from "./dom.js";
import { yuan } from "./format.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

export function plusSection(body, ctx) {
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/membership/plans");
    return table([
      [t("plan_id"), (p) => p.plan_id], [t("name"), (p) => p.name], [t("price"), (p) => yuan(p.price_fen)],
      [t("period"), (p) => p.period], [t("active"), (p) => (p.active ? t("yes") : t("no"))],
      ["", (p) => h("button", { type: "button", onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          await call("PATCH", `/v1/admin/membership/plans/${encodeURIComponent(p.plan_id)}`, { active: !p.active });
        } catch (err) { if (!ctx.fail(err)) window.alert(ctx.message(err)); }
        list.reload();
      } }, p.active ? t("disable") : t("enable"))],
    ], out.items);
  }, ctx);
  const form = apiForm({ id: "plan-form", ctx, label: t("create"),
    fields: [
      { name: "plan_id", label: t("plan_id"), required: true, maxlength: 40, pattern: "[a-z][a-z0-9_]*" },
      { name: "name", label: t("name"), required: true, maxlength: 40 },
      { name: "price_fen", label: t("price_fen"), type: "number", min: 1, max: 1000000, required: true },
      { name: "period", label: t("period"), type: "select", options: [["month", "month"], ["year", "year"]],
        value: "year" },
    ],
    submit: (payload) => call("POST", "/v1/admin/membership/plans", payload), done: () => list.reload() });
  body.append(card(t("plans"), list.box), card(t("new_plan"), form));
  return null;
}
