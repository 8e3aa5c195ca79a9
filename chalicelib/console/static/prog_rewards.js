// The points mall: the catalogue with the stock left (summed over its shards), and a new reward. Stock is spread over
// `stock_shards` counters so a flash sale's redemptions do not queue on one item; none can oversell.
import { call } from "./api.js";
import { h, table, when } from "./dom.js";
import { num } from "./format.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

export function rewardsSection(body, ctx) {
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/rewards?limit=50");
    return table([
      [t("id"), (r) => r.reward_id], [t("name"), (r) => r.name], [t("points_cost"), (r) => num(r.points_cost)],
      [t("stock_remaining"), (r) => num(r.stock_remaining)], [t("fulfillment"), (r) => r.fulfillment],
      [t("per_member_limit"), (r) => (r.per_member_limit ? String(r.per_member_limit) : "—")],
      [t("tier_codes"), (r) => (r.tiers || []).join(", ") || "—"], [t("ends_at"), (r) => when(r.ends_at)],
    ], out.items);
  }, ctx);
  const form = apiForm({ id: "reward-form", ctx, label: t("create"),
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 100 },
      { name: "points_cost", label: t("points_cost"), type: "number", min: 0, max: 10000000, required: true },
      { name: "stock", label: t("stock"), type: "number", min: 0, max: 10000000, required: true },
      { name: "stock_shards", label: t("stock_shards"), type: "number", min: 1, max: 64 },
      { name: "per_member_limit", label: t("per_member_limit"), type: "number", min: 1 },
      { name: "fulfillment", label: t("fulfillment"), type: "select", value: "in_house",
        options: [["in_house", "in_house"], ["partner", "partner"]] },
      { name: "tiers", label: t("tier_codes"), type: "list" },
      { name: "plus_only", label: t("plus_only"), type: "checkbox" },
      { name: "starts_at", label: t("starts_at"), type: "datetime" },
      { name: "ends_at", label: t("ends_at"), type: "datetime" },
    ],
    submit: (payload) => call("POST", "/v1/admin/rewards", payload), done: () => list.reload() });
  body.append(card(t("rewards"), list.box, h("p", { class: "muted small" }, t("rewards_no_edit"))),
    card(t("new_reward"), form));
  return null;
}
