// The points mall: the catalogue with the stock left (summed over its shards), a new reward, and an edit of one
// (terms, paused, stock added or removed). Stock is spread over `stock_shards` counters so a flash sale's redemptions
// do not queue on one item; the API never removes more than is unsold (its refusal is shown, the input kept).
import { call } from "./api.js";
import { h, table, when } from "./dom.js";
import { num } from "./format.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const EDITABLE = ["name", "description", "points_cost", "per_member_limit", "paused"];

// Only what the operator changed (an emptied optional field is cleared: null), with the version they saw.
function changesOf(payload, reward) {
  const body = { ver: reward.ver };
  for (const name of EDITABLE) {
    const value = payload[name] === undefined ? null : payload[name];
    if (value !== (reward[name] === undefined ? null : reward[name])) body[name] = value;
  }
  if (payload.stock_change) body.stock_change = payload.stock_change;
  return body;
}

function editForm(reward, ctx, saved) {
  const shards = h("p", { class: "muted small", id: "reward-shards" }, t("stock_by_shard", {
    left: num(reward.stock_remaining), total: num(reward.stock_total),
    shards: reward.stock_by_shard.map((n) => num(n)).join(" · ") }));
  return apiForm({ id: "reward-edit-form", ctx, label: t("save"), keep: true,
    title: `${t("edit_reward")}: ${reward.reward_id}`,
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 100, value: reward.name },
      { name: "description", label: t("description"), type: "textarea", maxlength: 1000, value: reward.description },
      { name: "points_cost", label: t("points_cost"), type: "number", min: 1, max: 10000000, required: true,
        value: reward.points_cost },
      { name: "per_member_limit", label: t("per_member_limit"), type: "number", min: 1, max: 1000,
        value: reward.per_member_limit },
      { name: "paused", label: t("paused"), type: "checkbox", value: reward.paused },
      { name: "stock_change", label: t("stock_change"), type: "number", min: -10000000, max: 10000000,
        hint: t("stock_change_hint") },
    ],
    extra: shards,
    submit: (payload) => call("PATCH", `/v1/admin/rewards/${encodeURIComponent(reward.reward_id)}`,
      changesOf(payload, reward)),
    done: (result) => saved(result) });
}

export function rewardsSection(body, ctx) {
  const editor = h("div", { id: "reward-editor" }, h("p", { class: "muted" }, t("pick_reward")));
  const open = async (rewardId) => {
    try {
      const reward = await call("GET", `/v1/admin/rewards/${encodeURIComponent(rewardId)}`);
      editor.replaceChildren(editForm(reward, ctx, async (updated) => {
        editor.replaceChildren(editForm(updated, ctx, () => open(rewardId)));
        await list.reload();
      }));
      editor.querySelector("input[name=stock_change]").focus();
    } catch (err) {
      if (!ctx.fail(err)) editor.replaceChildren(h("p", { class: "error", role: "alert" }, ctx.message(err)));
    }
  };
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/rewards?limit=50");
    return table([
      [t("id"), (r) => r.reward_id], [t("name"), (r) => r.name], [t("points_cost"), (r) => num(r.points_cost)],
      [t("stock_remaining"), (r) => num(r.stock_remaining)], [t("fulfillment"), (r) => r.fulfillment],
      [t("per_member_limit"), (r) => (r.per_member_limit ? String(r.per_member_limit) : "—")],
      [t("tier_codes"), (r) => (r.tiers || []).join(", ") || "—"], [t("ends_at"), (r) => when(r.ends_at)],
      [t("status"), (r) => (r.available ? t("available") : t("unavailable"))],
      ["", (r) => h("button", { type: "button", class: "edit-reward", dataset: { reward: r.reward_id },
        "aria-label": `${t("edit")} ${r.name}`, onclick: () => open(r.reward_id) }, t("edit"))],
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
  body.append(card(t("rewards"), list.box), card(t("edit_reward"), editor), card(t("new_reward"), form));
  return null;
}
