// Community events: a new brand event, the published ones, and the review queue of member-hosted proposals
// (approve, or reject with a reason the host sees).
import { call } from "./api.js";
import { ask, flash, h, table, when } from "./dom.js";
import { num } from "./format.js";
import { apiForm, describe, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card, shanghaiLocal } from "./ops_common.js";

function eventName(e) { return e.title || e.event_id; }

export function eventsSection(body, ctx) {
  async function review(event, verb, row) {
    const reason = h("textarea", { name: "reason", rows: "3", maxlength: "200", required: verb === "reject" });
    const data = await ask({
      title: t(verb === "approve" ? "approve_event" : "reject_event"),
      body: [h("p", {}, `${eventName(event)} · ${when(event.starts_at)}`),
        h("label", {}, verb === "approve" ? t("note") : t("reject_reason"), reason)],
      validate: (values) => (verb === "reject" && !String(values.reason || "").trim() ? `${t("reject_reason")}?` : null),
      onConfirm: (values) => {
        const text = String(values.reason || "").trim();
        return call("POST", `/v1/admin/events/${encodeURIComponent(event.event_id)}/${verb}`,
          text ? { reason: text } : {});
      },
    }).catch((err) => { if (!ctx.fail(err)) row.querySelector(".error").textContent = describe(err, ctx); });
    if (data) {
      flash(`${t(verb === "approve" ? "approved" : "rejected")}: ${eventName(event)}`);
      queue.reload();
      published.reload();
    }
  }

  const queue = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/events?status=pending_approval&limit=100");
    if (!out.items.length) return h("p", { class: "muted", id: "no-proposals" }, t("no_proposals"));
    return h("table", { id: "review-queue" },
      h("thead", {}, h("tr", {}, [t("title_field"), t("starts_at"), t("venue"), t("capacity"), t("host"), ""]
        .map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, out.items.map((e) => {
        const row = h("tr", { dataset: { eventId: e.event_id } },
          h("td", {}, eventName(e)), h("td", {}, when(e.starts_at)), h("td", {}, e.venue),
          h("td", { class: "num" }, num(e.capacity)), h("td", {}, e.host_customer_id || "—"),
          h("td", { class: "row-actions" },
            h("button", { type: "button", class: "primary", onclick: () => review(e, "approve", row) }, t("approve")),
            h("button", { type: "button", onclick: () => review(e, "reject", row) }, t("reject")),
            h("p", { class: "error", role: "alert" })));
        return row;
      })));
  }, ctx);

  const published = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/events?status=approved&limit=50");
    return table([
      [t("title_field"), eventName], [t("starts_at"), (e) => when(e.starts_at)], [t("venue"), (e) => e.venue],
      [t("capacity"), (e) => `${num(e.remaining)} / ${num(e.capacity)}`],
      [t("host"), (e) => (e.hosted_by_member ? e.host_customer_id : "—")],
    ], out.items);
  }, ctx);

  const form = apiForm({ id: "event-form", ctx, label: t("create"),
    fields: [
      { name: "title", label: t("title_field"), required: true, maxlength: 60 },
      { name: "venue", label: t("venue"), required: true, maxlength: 120 },
      { name: "starts_at", label: t("starts_at"), type: "datetime", required: true, value: shanghaiLocal(14, 19) },
      { name: "ends_at", label: t("ends_at"), type: "datetime", required: true, value: shanghaiLocal(14, 21) },
      { name: "capacity", label: t("capacity"), type: "number", min: 1, max: 5000, required: true, value: 30 },
      { name: "tiers", label: t("tier_codes"), type: "list" },
      { name: "check_in_points", label: t("check_in_points"), type: "number", min: 0 },
    ],
    submit: (payload) => call("POST", "/v1/admin/events", payload), done: () => published.reload() });

  body.append(card(t("review_queue"), queue.box), card(t("events_approved"), published.box),
    card(t("new_event"), form));
  return null;
}
