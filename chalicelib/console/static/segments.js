// Segments: the list with exact sizes, a new segment from the rule builder, and one segment's page (its live size,
// its members a page at a time, and why a member is in it).
import { call } from "./api.js";
import { h, mount, table, when } from "./dom.js";
import { num } from "./format.js";
import { describe, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";
import { ruleBuilder, ruleText } from "./rule_builder.js";

const LIVE_MS = 2000;

function sizeText(segment) {
  return `${num(segment.size)} · ${segment.rebuilding ? t("rebuilding") : t("exact")}`;
}

function newSegmentForm(ctx) {
  const holder = h("div", {}, h("p", { class: "muted" }, t("loading")));
  call("GET", "/v1/admin/segment-facts").then((catalogue) => {
    const builder = ruleBuilder(catalogue);
    const name = h("input", { id: "segment-name", name: "name", required: true, maxlength: "60" });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const button = h("button", { type: "submit", class: "primary" }, t("create"));
    const form = h("form", { id: "segment-form", class: "api-form", onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      button.disabled = true;
      try {
        const made = await call("POST", "/v1/admin/segments", { name: name.value.trim(), rule: builder.rule() });
        window.location.hash = `#/segments/${encodeURIComponent(made.segment_id)}`;
      } catch (err) {
        if (ctx.fail(err)) return;
        error.textContent = describe(err, ctx);
        error.hidden = false;
      } finally { button.disabled = false; }
    } }, h("div", { class: "field" }, h("label", { for: "segment-name" }, t("name")), name), builder.el, error,
    h("div", { class: "actions" }, button));
    holder.replaceChildren(form);
  }).catch((err) => { if (!ctx.fail(err)) holder.replaceChildren(h("p", { class: "error" }, describe(err, ctx))); });
  return holder;
}

function listPage(root, ctx) {
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/segments?limit=100");
    return table([
      [t("name"), (s) => h("a", { href: `#/segments/${encodeURIComponent(s.segment_id)}` }, s.name)],
      [t("size"), (s) => sizeText(s)], [t("rule"), (s) => h("code", {}, ruleText(s.rule))],
      [t("updated"), (s) => when(s.updated_at)],
    ], out.items);
  }, ctx);
  mount(root, h("section", { class: "segments" }, h("h1", {}, t("nav_segments")),
    card(t("segments"), list.box), card(t("new_segment"), newSegmentForm(ctx))));
  return null;
}

function whyPanel(out) {
  return card(t("why"),
    h("dl", {}, h("dt", {}, t("in_segment")), h("dd", { id: "why-in" }, out.in_segment ? t("yes") : t("no")),
      h("dt", {}, t("matches_now")), h("dd", {}, out.matches_now ? t("yes") : t("no")),
      h("dt", {}, t("updated")), h("dd", {}, when(out.evaluated_at))),
    table([[t("fact"), (c) => c.fact], [t("op"), (c) => c.op], [t("value"), (c) => JSON.stringify(c.value)],
      [t("actual"), (c) => JSON.stringify(c.actual)], [t("met"), (c) => (c.met ? "✓" : "✗")]], out.conditions));
}

function detailPage(root, id, ctx) {
  let stopped = false;
  let timer = null;
  const path = `/v1/admin/segments/${encodeURIComponent(id)}`;
  const title = h("h1", { id: "segment-title" }, "…");
  const size = h("strong", { id: "segment-size" }, "…");
  const rule = h("code", { id: "segment-rule" });
  const why = h("div", { id: "why" });
  const members = h("div", { id: "segment-members" });
  const more = h("button", { type: "button", hidden: true }, "›");
  let cursor = null;

  async function explain(member) {
    try { why.replaceChildren(whyPanel(await call("GET", `${path}/members/${encodeURIComponent(member)}/why`))); } catch (err) {
      if (!ctx.fail(err)) why.replaceChildren(h("p", { class: "error", role: "alert" }, describe(err, ctx)));
    }
  }

  async function page(next) {
    const out = await call("GET", `${path}/members?limit=50${next ? `&cursor=${encodeURIComponent(next)}` : ""}`);
    members.replaceChildren(table([
      [t("customer"), (m) => m.member_no || m.customer_id], [t("tier"), (m) => m.tier || "—"],
      [t("entered_at"), (m) => when(m.entered_at)],
      ["", (m) => h("button", { type: "button", class: "why", dataset: { customerId: m.customer_id },
        onclick: () => explain(m.customer_id) }, t("why"))],
    ], out.items));
    cursor = out.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => page(cursor));

  async function refresh() {
    try {
      const segment = await call("GET", path);
      if (stopped) return;
      title.textContent = segment.name;
      size.textContent = sizeText(segment);
      size.dataset.size = String(segment.size);
      size.dataset.rebuilding = String(segment.rebuilding);
      rule.textContent = ruleText(segment.rule);
      if (!segment.rebuilding && !members.dataset.loaded) {
        members.dataset.loaded = "1";
        await page(null);
      }
    } catch (err) {
      if (!ctx.fail(err)) size.textContent = describe(err, ctx);
    }
    if (!stopped) timer = setTimeout(refresh, LIVE_MS);
  }

  mount(root, h("section", { class: "segment" }, h("p", {}, h("a", { href: "#/segments" }, `← ${t("nav_segments")}`)),
    title, card(null, h("dl", {}, h("dt", {}, t("size")), h("dd", {}, size), h("dt", {}, t("rule")), h("dd", {}, rule)),
      h("p", {}, h("a", { href: `#/campaigns/new/${encodeURIComponent(id)}` }, t("new_campaign")))),
    h("div", { class: "split" }, card(t("members"), members, more), why)));
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}

export function segmentsView(root, arg, ctx) {
  return arg ? detailPage(root, arg, ctx) : listPage(root, ctx);
}
