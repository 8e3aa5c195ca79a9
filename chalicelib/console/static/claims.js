// Back-fill points claims waiting for review: Approve (awards the order's points, confirmed) / Reject (a reason
// the member sees).
import { call } from "./api.js";
import { ask, fen, flash, h, mount, when } from "./dom.js";
import { t } from "./i18n.js";

export function claimsView(root, ctx) {
  let stopped = false;
  const body = h("div", { id: "claims-body" });
  mount(root, h("section", { class: "claims" }, h("h1", {}, t("claims_pending")), body));

  async function decide(button, claim, verb) {
    const note = h("textarea", { name: verb === "approve" ? "note" : "reason", rows: "3", maxlength: "500",
      required: verb === "reject" });
    const data = await ask({
      title: t(`confirm_${verb}`),
      body: [h("p", {}, `${claim.order_no} · ${fen(claim.amount_fen)}`),
        h("label", {}, verb === "approve" ? t("note") : t("reason"), note)],
      validate: (values) => (verb === "reject" && !String(values.reason || "").trim() ? `${t("reason")}?` : null),
    });
    if (!data) return;
    const row = button.closest("tr");
    for (const b of row.querySelectorAll("button")) b.disabled = true;
    const error = row.querySelector(".error");
    error.hidden = true;
    try {
      const payload = verb === "approve"
        ? (data.note && data.note.trim() ? { note: data.note.trim() } : {})
        : { reason: data.reason.trim() };
      const out = await call("POST", `/v1/agent/points-claims/${encodeURIComponent(claim.claim_id)}/${verb}`, payload);
      flash(`${t(verb)}: ${out.order_no}${out.points_awarded ? ` +${out.points_awarded} ${t("points_unit")}` : ""}`);
      await refresh();
    } catch (err) {
      if (ctx.fail(err)) return;
      error.textContent = ctx.message(err);
      error.hidden = false;
      for (const b of row.querySelectorAll("button")) b.disabled = false;
    }
  }

  function render(items) {
    if (items.length === 0) { mount(body, h("p", { class: "muted empty" }, t("no_claims"))); return; }
    mount(body, h("table", { class: "claims-table" },
      h("thead", {}, h("tr", {}, ["created_at", "customer", "order_no", "amount", "purchased_on", "store", "note", ""]
        .map((key) => h("th", { scope: "col" }, key ? t(key) : "")))),
      h("tbody", {}, items.map((claim) => h("tr", { dataset: { claimId: claim.claim_id } },
        h("td", {}, when(claim.created_at)),
        h("td", {}, claim.customer_id),
        h("td", {}, claim.order_no),
        h("td", { class: "num" }, fen(claim.amount_fen)),
        h("td", {}, claim.purchased_on),
        h("td", {}, claim.store_id || "—"),
        h("td", {}, claim.note || ""),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "primary", onclick: (e) => decide(e.currentTarget, claim, "approve") },
            t("approve")),
          h("button", { type: "button", onclick: (e) => decide(e.currentTarget, claim, "reject") }, t("reject")),
          h("p", { class: "error", role: "alert", hidden: true })))))));
  }

  async function refresh() {
    try {
      const page = await call("GET", "/v1/agent/points-claims?status=pending&limit=100");
      if (!stopped) render(page.items);
    } catch (err) {
      if (!ctx.fail(err) && !stopped) mount(body, h("p", { class: "error", role: "alert" }, ctx.message(err)));
    }
  }

  refresh();
  const poller = setInterval(refresh, 30000);
  return () => { stopped = true; clearInterval(poller); };
}
