// Tiers (the whole ladder is replaced at once, as PUT /v1/admin/tiers takes it), the points settings, promotions.
import { call } from "./api.js";
import { h, table, when } from "./dom.js";
import { num } from "./format.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card, shanghaiLocal } from "./ops_common.js";

const CHANNELS = ["app", "miniprogram", "wechat_oa", "store", "hotline"];

export function pointsSection(body, ctx) {
  const tiers = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/tiers");
    const items = out.items.map(({ code, name, badge, rank, metric, threshold, multiplier }) =>
      ({ code, name, badge, rank, metric, threshold, multiplier }));
    return h("div", {}, table([
      [t("id"), (r) => r.code], [t("name"), (r) => r.name], ["rank", (r) => String(r.rank)],
      ["metric", (r) => r.metric], ["threshold", (r) => num(r.threshold)], [t("multiplier"), (r) => `×${r.multiplier}`],
    ], items),
    apiForm({ id: "tiers-form", ctx, keep: true,
      fields: [{ name: "tiers", label: t("tiers_json"), type: "json", value: items, rows: 10, required: true }],
      submit: (payload) => call("PUT", "/v1/admin/tiers", payload), done: () => tiers.reload() }));
  }, ctx);

  const settings = liveBlock(async () => {
    const current = await call("GET", "/v1/admin/points/settings");
    return apiForm({ id: "settings-form", ctx, keep: true,
      fields: [{ name: "settings", label: t("points_settings"), type: "json", value: current, rows: 10, required: true }],
      submit: (payload) => call("PUT", "/v1/admin/points/settings", payload.settings) });
  }, ctx);

  const promotions = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/promotions");
    return table([
      [t("name"), (p) => p.name], [t("multiplier"), (p) => `×${p.multiplier}`],
      [t("starts_at"), (p) => when(p.starts_at)], [t("ends_at"), (p) => when(p.ends_at)],
      [t("channels"), (p) => (p.channels || []).join(", ") || "—"], [t("tier_codes"), (p) => (p.tiers || []).join(", ") || "—"],
      ["", (p) => h("button", { type: "button", onclick: async (event) => {
        event.currentTarget.disabled = true;
        try { await call("DELETE", `/v1/admin/promotions/${encodeURIComponent(p.promotion_id)}`); } catch (err) {
          if (!ctx.fail(err)) window.alert(ctx.message(err));
        }
        promotions.reload();
      } }, t("delete"))],
    ], out.items);
  }, ctx);

  const newPromotion = apiForm({ id: "promotion-form", ctx, label: t("create"), title: null,
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 64 },
      { name: "multiplier", label: t("multiplier"), type: "number", step: "0.1", min: 1, required: true, value: 2 },
      { name: "starts_at", label: t("starts_at"), type: "datetime", required: true, value: shanghaiLocal(1) },
      { name: "ends_at", label: t("ends_at"), type: "datetime", required: true, value: shanghaiLocal(8) },
      { name: "channels", label: t("channels"), type: "checks", options: CHANNELS.map((c) => [c, c]) },
      { name: "tiers", label: t("tier_codes"), type: "list" },
    ],
    submit: (payload) => call("POST", "/v1/admin/promotions", payload), done: () => promotions.reload() });

  body.append(card(t("tiers"), tiers.box), card(t("points_settings"), settings.box),
    card(t("promotions"), promotions.box, newPromotion));
  return null;
}
