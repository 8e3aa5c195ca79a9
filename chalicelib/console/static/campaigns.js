// Campaigns: a new draft to a segment, the launch behind a confirmation that names the audience, and the results
// (sent, suppressed by reason, offers, and treated against holdout conversions as a chart), followed while it runs.
import { call } from "./api.js";
import { ask, flash, h, mount, table, when } from "./dom.js";
import { draw, seriesOption } from "./charts.js";
import { num, pct } from "./format.js";
import { apiForm, describe, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card, shanghaiLocal } from "./ops_common.js";

const RECENT_KEY = "console.campaigns";
const FOLLOW_MS = 2000;
const REASONS = ["no_consent", "capped", "quiet_hours", "no_grant", "deleted"];

function recent() {
  try { return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"); } catch { return []; }
}

function remember(id) {
  localStorage.setItem(RECENT_KEY, JSON.stringify([id, ...recent().filter((x) => x !== id)].slice(0, 20)));
}

function offerOf({ offer_kind: kind, offer_points: points, offer_benefit: benefit, ...rest }) {
  if (kind === "points") return { ...rest, offer: { kind, points } };
  if (kind === "voucher") return { ...rest, offer: { kind, benefit_id: benefit } };
  return rest;
}

function listPage(root, ctx, segmentId) {
  const list = liveBlock(async () => {
    const items = await Promise.all(recent().map((id) =>
      call("GET", `/v1/admin/campaigns/${encodeURIComponent(id)}`).catch(() => null)));
    return table([
      [t("name"), (c) => h("a", { href: `#/campaigns/${encodeURIComponent(c.campaign_id)}` }, c.name)],
      [t("status"), (c) => t(`camp_${c.status}`)], [t("audience"), (c) => num(c.audience)],
      [t("sent"), (c) => num(c.sent)], [t("launched_at"), (c) => when(c.launched_at)],
    ], items.filter(Boolean));
  }, ctx);
  const holder = h("div", {}, h("p", { class: "muted" }, t("loading")));
  call("GET", "/v1/admin/segments?limit=100").then((segments) => holder.replaceChildren(apiForm({
    id: "campaign-form", ctx, label: t("create"),
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 60 },
      { name: "segment_id", label: t("segment"), type: "select", required: true, value: segmentId,
        options: segments.items.map((s) => [s.segment_id, `${s.name} (${num(s.size)})`]) },
      { name: "message.title", label: t("message_title"), required: true, maxlength: 20 },
      { name: "message.body", label: t("message_body"), type: "textarea", required: true, maxlength: 200 },
      { name: "channels", label: t("channels"), type: "checks", value: ["in_app"],
        options: [["in_app", "in_app"], ["wechat", "wechat"], ["sms", "sms"]] },
      { name: "offer_kind", label: t("offer"), type: "select", value: "",
        options: [["", t("offer_none")], ["points", t("offer_points")], ["voucher", t("offer_voucher")]] },
      { name: "offer_points", label: t("offer_points_n"), type: "number", min: 1, max: 100000 },
      { name: "offer_benefit", label: t("benefit_id"), maxlength: 64 },
      { name: "holdout_percent", label: t("holdout"), type: "number", min: 0, max: 50, value: 5, required: true },
      { name: "starts_at", label: t("starts_at"), type: "datetime", required: true, value: shanghaiLocal(0, 0) },
      { name: "ends_at", label: t("ends_at"), type: "datetime", required: true, value: shanghaiLocal(14, 0) },
    ],
    submit: (payload) => call("POST", "/v1/admin/campaigns", offerOf(payload)),
    done: (made) => { remember(made.campaign_id); window.location.hash = `#/campaigns/${made.campaign_id}`; },
  }))).catch((err) => { if (!ctx.fail(err)) holder.replaceChildren(h("p", { class: "error" }, describe(err, ctx))); });
  const opener = apiForm({ id: "campaign-open", ctx, label: t("load"), keep: true,
    fields: [{ name: "campaign_id", label: t("id"), required: true }],
    submit: async ({ campaign_id: id }) => {
      await call("GET", `/v1/admin/campaigns/${encodeURIComponent(id)}`);
      remember(id);
      window.location.hash = `#/campaigns/${encodeURIComponent(id)}`;
    } });
  mount(root, h("section", { class: "campaigns" }, h("h1", {}, t("nav_campaigns")),
    card(t("recent_campaigns"), list.box, opener), card(t("new_campaign"), holder)));
  return null;
}

function conversionChart(el, c) {
  const treated = Math.max(0, c.audience - c.holdout);
  const rates = [treated ? c.conversions.treated / treated : 0, c.holdout ? c.conversions.holdout / c.holdout : 0];
  const label = `${t("treated")} ${num(c.conversions.treated)}/${num(treated)} (${pct(rates[0])}), `
    + `${t("holdout_group")} ${num(c.conversions.holdout)}/${num(c.holdout)} (${pct(rates[1])})`;
  return draw(el, {
    ...seriesOption([t("treated"), t("holdout_group")], [{ name: t("conversion_rate"), data: rates,
      label: { show: true, position: "top", formatter: (p) => pct(p.value) } }], { format: (v) => pct(v) }),
    title: { text: `${t("conversions")} · ${t("window_days", { n: c.conversions.window_days })}`, textStyle: { fontSize: 14 } },
    legend: { show: false },
  }, label);
}

function detailPage(root, id, ctx) {
  let stopped = false;
  let timer = null;
  let dispose = null;
  const path = `/v1/admin/campaigns/${encodeURIComponent(id)}`;
  const head = h("div", { id: "campaign-head" });
  const results = h("div", { id: "campaign-results" });
  const chart = h("div", { class: "chart", id: "conversion-chart" });
  const error = h("p", { class: "error", role: "alert", id: "campaign-error", hidden: true });

  async function launch(c) {
    const segment = await call("GET", `/v1/admin/segments/${encodeURIComponent(c.segment_ids[0])}`).catch(() => null);
    const done = await ask({
      title: t("confirm_launch"), confirm: t("launch"),
      body: [h("p", {}, c.name), h("p", { id: "launch-note" }, t("launch_note",
        { seg: segment ? segment.name : c.segment_ids.join(", "), n: num(segment ? segment.size : c.audience) }))],
      onConfirm: () => call("POST", `${path}/launch`),
    });
    if (done) { flash(`${t("launch")}: ${c.name}`); refresh(); }
  }

  function render(c) {
    mount(head, h("h1", {}, c.name), h("dl", {},
      h("dt", {}, t("status")), h("dd", { id: "campaign-status" }, t(`camp_${c.status}`)),
      h("dt", {}, t("segment")), h("dd", {}, c.segment_ids.map((s) =>
        h("a", { href: `#/segments/${encodeURIComponent(s)}` }, s))),
      h("dt", {}, t("launched_at")), h("dd", {}, when(c.launched_at))),
    c.status === "draft" ? h("button", { type: "button", class: "primary", id: "launch",
      onclick: () => launch(c) }, t("launch")) : null);
    results.replaceChildren(h("dl", { class: "figures" },
      h("dt", {}, t("audience")), h("dd", { id: "campaign-audience" }, num(c.audience)),
      h("dt", {}, t("holdout_group")), h("dd", { id: "campaign-holdout" }, num(c.holdout)),
      h("dt", {}, t("sent")), h("dd", { id: "campaign-sent" }, num(c.sent)),
      h("dt", {}, t("offers_granted")), h("dd", {}, num(c.offers_granted)),
      h("dt", {}, t("conversions")), h("dd", { id: "campaign-conversions" },
        `${t("treated")} ${num(c.conversions.treated)} · ${t("holdout_group")} ${num(c.conversions.holdout)}`)),
    h("h3", {}, t("suppressed")),
    table([[t("status"), (r) => t(`sup_${r}`)], [t("size"), (r) => h("span", { dataset: { reason: r } },
      num(c.suppressed[r]))]], REASONS));
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const c = await call("GET", path);
      if (stopped) return;
      remember(id);
      render(c);
      if (dispose) dispose();
      dispose = await conversionChart(chart, c);
      if (c.status === "running") timer = setTimeout(refresh, FOLLOW_MS);
    } catch (err) {
      if (ctx.fail(err)) return;
      error.textContent = describe(err, ctx);
      error.hidden = false;
    }
  }

  mount(root, h("section", { class: "campaign" }, h("p", {}, h("a", { href: "#/campaigns" }, `← ${t("nav_campaigns")}`)),
    head, error, h("div", { class: "split" }, card(t("nav_campaigns"), results), card(t("conversions"), chart))));
  refresh();
  return () => { stopped = true; clearTimeout(timer); if (dispose) dispose(); };
}

export function campaignsView(root, arg, ctx, rest) {
  if (!arg) return listPage(root, ctx, "");
  if (arg === "new") return listPage(root, ctx, rest[0] || "");
  return detailPage(root, arg, ctx);
}
