// Benefits by tier with their quotas: the list (enable / disable) and a new benefit.
import { call } from "./api.js";
import { h, table } from "./dom.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card, tierOptions } from "./ops_common.js";

const PERIODS = ["day", "week", "month", "year", "lifetime"];

export function benefitsSection(body, ctx) {
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/benefits");
    return table([
      [t("id"), (b) => b.benefit_id], [t("name"), (b) => b.name], [t("tier_codes"), (b) => (b.tiers || []).join(", ")],
      [t("quota"), (b) => `${b.quota.per_period} / ${b.quota.period}`], [t("valid_days"), (b) => String(b.voucher_valid_days)],
      [t("plus_only"), (b) => (b.plus_only ? t("yes") : t("no"))],
      [t("status"), (b) => t(b.status === "disabled" ? "disabled" : "enabled")],
      ["", (b) => h("button", { type: "button", onclick: async (event) => {
        const verb = b.status === "disabled" ? "enable" : "disable";
        event.currentTarget.disabled = true;
        try { await call("POST", `/v1/admin/benefits/${encodeURIComponent(b.benefit_id)}/${verb}`); } catch (err) {
          if (!ctx.fail(err)) window.alert(ctx.message(err));
        }
        list.reload();
      } }, b.status === "disabled" ? t("enable") : t("disable"))],
    ], out.items);
  }, ctx);
  const holder = h("div", {}, h("p", { class: "muted" }, t("loading")));
  tierOptions().then((tiers) => holder.replaceChildren(apiForm({ id: "benefit-form", ctx, label: t("create"),
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 64 },
      { name: "tiers", label: t("tier_codes"), type: "checks", options: tiers },
      { name: "quota.per_period", label: t("per_period"), type: "number", min: 0, max: 1000, required: true, value: 1 },
      { name: "quota.period", label: t("period"), type: "select", options: PERIODS.map((p) => [p, p]), value: "month" },
      { name: "voucher_valid_days", label: t("valid_days"), type: "number", min: 1, max: 3660, required: true, value: 30 },
      { name: "plus_only", label: t("plus_only"), type: "checkbox" },
    ],
    submit: (payload) => call("POST", "/v1/admin/benefits", payload), done: () => list.reload() })))
    .catch((err) => { if (!ctx.fail(err)) holder.replaceChildren(h("p", { class: "error" }, ctx.message(err))); });
  body.append(card(t("benefits"), list.box), card(t("new_benefit"), holder));
  return null;
}
