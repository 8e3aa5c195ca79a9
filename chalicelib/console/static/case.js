// The case page: the failed transaction with every attempt, the timeline, the notes and the actions; the member
// beside it (the 360 view). The phone is masked until this agent claims the case (the API records the reveal).
import { call } from "./api.js";
import { ask, fen, flash, h, mount, table, when } from "./dom.js";
import { has, t } from "./i18n.js";
import { CLOSE_AMBER_MS, RESPOND_AMBER_MS, kindLabel, slaCell, tickAll, whatFailed } from "./queue.js";

const RESOLVE = {
  refund: "refunded",
  complete_manually: "completed_manually",
  cancel: "cancelled",
};

function customerOf(caseId) {
  const parts = caseId.split(".");
  return parts.length === 3 ? parts[1] : "";
}

function dl(pairs) {
  return h("dl", {}, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function section(title, ...content) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...content);
}

function memberPanel(item, member) {
  const contact = item.member || {};
  const revealed = contact.contact_revealed && contact.phone;
  const phone = h("span", { id: "member-phone", class: revealed ? "phone revealed" : "phone" },
    revealed ? contact.phone : (contact.phone_masked || "—"));
  const parts = [
    section(t("member"),
      dl([
        [t("col_member"), contact.member_no || (member && member.profile && member.profile.member_no)],
        ["", contact.name],
        [t("phone"), h("span", {}, phone, revealed ? null : h("div", { class: "muted small" }, t("phone_hidden")))],
        [t("tier"), member && member.tier ? `${member.tier.name} (${member.tier.code})` : contact.tier_code],
        [t("plus"), member && member.plus ? plusText(member.plus) : null],
      ])),
  ];
  if (!member) return parts;
  const points = member.points || {};
  parts.push(section(t("points"),
    dl([
      [t("balance"), h("strong", { id: "member-balance" }, String(points.balance ?? "—"))],
      [t("expiring"), points.expiring && points.expiring.points
        ? `${points.expiring.points} (${points.expiring.on})` : t("none")],
    ]),
    h("h3", {}, t("ledger")),
    table([[t("at"), (e) => when(e.created_at)], [t("what"), (e) => e.kind], [t("points"), (e) => signed(e.delta)],
      [t("balance"), (e) => String(e.balance_after)]], member.ledger)));
  parts.push(section(t("redemptions"),
    table([[t("what"), (r) => r.reward_name || r.redemption_id], [t("col_status"), (r) => r.status],
      [t("points"), (r) => String(r.points_spent ?? "")]], member.redemptions)));
  parts.push(section(t("vouchers"),
    table([[t("what"), (v) => v.name || v.voucher_id], [t("col_status"), (v) => v.status],
      [t("at"), (v) => when(v.expires_at)]], member.vouchers)));
  const appointments = member.appointments
    ? [...(member.appointments.upcoming || []), ...(member.appointments.recent || [])] : [];
  parts.push(section(t("appointments"),
    table([[t("at"), (a) => when(a.slot_start)], [t("what"), (a) => [a.store_name, a.service_name].filter(Boolean)
      .join(" · ") || a.appointment_id], [t("col_status"), (a) => a.status]], appointments)));
  if (member.events) {
    // The events area's 360 section: {registrations: [...], invitations: [...]}.
    const events = Array.isArray(member.events) ? member.events
      : [...(member.events.registrations || []), ...(member.events.invitations || [])
        .map((i) => ({ ...i, status: "invited" }))];
    parts.push(section(t("events"),
      table([[t("what"), (e) => e.name || e.title || e.event_id || e.registration_id],
        [t("col_status"), registrationStatus], [t("at"), (e) => when(e.starts_at || e.start || e.created_at)]],
      events)));
  }
  if (member.product_requests) {
    // The C2B area's 360 section: {supports: [{request_id, title, quantity, created_at}]}.
    parts.push(section(t("product_requests"),
      table([[t("what"), (s) => s.title || s.request_id], [t("quantity"), (s) => String(s.quantity ?? "")],
        [t("at"), (s) => when(s.created_at)]], member.product_requests.supports || [])));
  }
  if (Array.isArray(member.surveys)) {
    // The surveys area's 360 section: this case's own survey (once the member answered it: score, first contact,
    // comment) first, then the member's other recent surveys.
    const score = (s) => (s.score === null || s.score === undefined ? t(`survey_${s.status}`)
      : `${s.scale.toUpperCase()} ${s.score}`);
    const own = member.surveys.find((s) => s.subject_id === item.case_id);
    if (own) {
      parts.push(section(t("case_survey"), dl([
        [t("score"), h("strong", { id: "case-survey-score" }, score(own))],
        [t("first_contact"), own.solved_first_contact === null || own.solved_first_contact === undefined ? null
          : t(own.solved_first_contact ? "yes" : "no")],
        [t("note"), own.comment],
      ])));
    }
    parts.push(section(t("surveys"),
      table([[t("what"), (s) => s.title], [t("score"), score], [t("at"), (s) => when(s.answered_at || s.issued_at)]],
        member.surveys)));
  }
  const others = (member.open_cases || []).filter((c) => c.case_id !== item.case_id);
  parts.push(section(t("other_cases"),
    table([[t("case"), (c) => h("a", { href: `#/case/${encodeURIComponent(c.case_id)}` }, whatFailed(c))],
      [t("col_status"), (c) => t(`status_${c.status}`)]], others)));
  return parts;
}

function plusText(plus) {
  if (typeof plus !== "object") return String(plus);
  return [plus.status, plus.plan_id || plus.plan, plus.expires_at || plus.expires_on].filter(Boolean)
    .join(" · ") || "✓";
}

// A registration's status in words; a waitlisted one with its place when the API knows it (never "null").
function registrationStatus(e) {
  if (!e.status) return "";
  if (e.status === "waitlisted" && Number.isInteger(e.waitlist_position)) {
    return t("reg_waitlisted_at", { n: e.waitlist_position });
  }
  const key = `reg_${e.status}`;
  return has(key) ? t(key) : e.status;
}

function signed(n) { return n > 0 ? `+${n}` : String(n); }

function actionText(a) {
  const bits = [a.action];
  if (a.resolution) bits.push(t(`res_${a.resolution}`));
  if (a.ok === true) bits.push(t("ok"));
  if (a.ok === false) bits.push(t("failed"));
  if (a.error) bits.push(a.error);
  if (a.note) bits.push(`“${a.note}”`);
  if (a.detail) bits.push(a.detail);
  return bits.join(" · ");
}

export function caseView(root, caseId, ctx) {
  const me = ctx.me();
  let current = null;
  let member = null;
  let busy = false;
  let stopped = false;
  const path = `/v1/agent/follow-ups/${encodeURIComponent(caseId)}`;

  const buttons = {};
  const actionError = h("p", { class: "error", id: "action-error", role: "alert", hidden: true });
  const noteInput = h("textarea", { id: "note-text", rows: "3", maxlength: "2000", "aria-label": t("note") });

  function button(key, run) {
    buttons[key] = h("button", { type: "button", dataset: { action: key }, onclick: () => act(key, run) }, t(key));
    return buttons[key];
  }

  async function act(key, run) {
    if (busy) return;
    busy = true;
    actionError.hidden = true;
    for (const b of Object.values(buttons)) b.disabled = true;
    try {
      const out = await run();
      if (out === null) return; // the dialog was dismissed
      if (stopped) return;
      current = out;
      if (out.compensation) {
        flash(`${t(key)}: +${out.compensation.points_returned} ${t("points_unit")}`);
      } else if (out.retry) {
        flash(`${t(key)}: ${out.retry.ok ? t("ok") : `${t("failed")} — ${out.retry.error || ""}`}`,
          out.retry.ok ? "info" : "error");
      } else {
        flash(`${t(key)}: ${t("ok")}`);
      }
      await loadMember();
    } catch (err) {
      if (!ctx.fail(err)) {
        actionError.textContent = ctx.message(err);
        actionError.hidden = false;
      }
    } finally {
      busy = false;
      if (!stopped) render();
    }
  }

  const post = (suffix, body) => call("POST", `${path}/${suffix}`, body);

  async function confirmThen(key, extra) {
    const note = h("textarea", { name: "note", rows: "3", maxlength: "2000" });
    const data = await ask({ title: t(`confirm_${key}`),
      body: [h("p", {}, whatFailed(current)), extra ? h("label", {}, t("note"), note) : null] });
    return data;
  }

  const actions = [
    ["claim", () => post("claim")],
    ["release", () => post("release", {})],
    ["retry", async () => ((await confirmThen("retry", false)) ? post("retry") : null)],
    ...Object.entries(RESOLVE).map(([key, resolution]) => [key, async () => {
      const data = await confirmThen(key, true);
      if (!data) return null;
      return post("resolve", { resolution, ...(data.note && data.note.trim() ? { note: data.note.trim() } : {}) });
    }]),
  ];
  const bar = h("div", { class: "actions", role: "toolbar", "aria-label": t("case") },
    actions.map(([key, run]) => button(key, run)));
  const addNote = button("add_note", async () => {
    const text = noteInput.value.trim();
    if (!text) { noteInput.focus(); return null; }
    const out = await post("notes", { text });
    noteInput.value = "";
    return out;
  });

  function enable() {
    const c = current;
    const resolved = c.status === "resolved";
    const mine = c.status === "claimed" && c.claimed_by === me.staff_id;
    for (const [key, b] of Object.entries(buttons)) {
      b.disabled = busy || (key !== "add_note" && resolved) || (key === "claim" && mine);
    }
  }

  function render() {
    const c = current;
    enable();
    const txn = c.transaction || {};
    mount(root, h("div", { class: "case-page" },
      h("div", { class: "case-main" },
        h("p", {}, h("a", { href: "#/queue/open" }, `← ${t("back_to_queue")}`)),
        h("h1", { id: "case-title" }, whatFailed(c)),
        dl([
          [t("col_status"), h("span", { id: "case-status" }, t(`status_${c.status}`),
            c.claimed_by ? ` · ${c.claimed_by}` : "", c.resolution ? ` · ${t(`res_${c.resolution}`)}` : "")],
          [t("col_respond"), slaCell(c.respond_by, c.responded_at, RESPOND_AMBER_MS, t("responded"))],
          [t("col_close"), slaCell(c.close_by, c.resolved_at, CLOSE_AMBER_MS, t("done"))],
          [t("error"), c.last_error],
        ]),
        bar, actionError,
        section(t("transaction"),
          dl([["ID", txn.transaction_id], [t("what"), kindLabel(txn.kind || c.kind)], [t("col_status"), txn.status],
            [t("col_attempts"), String(txn.attempt_count ?? c.attempt_count ?? "")],
            [t("at"), when(txn.created_at)]]),
          h("h3", {}, t("attempts")),
          table([[t("at"), (a) => when(a.at)], [t("where"), (a) => a.where || ""],
            [t("result"), (a) => (a.ok ? t("ok") : t("failed"))], [t("error"), (a) => a.error || ""]], c.attempts)),
        section(t("timeline"), table([[t("at"), (a) => when(a.at)], [t("by"), (a) => a.by],
          [t("what"), actionText]], c.actions)),
        section(t("notes"), table([[t("at"), (n) => when(n.at)], [t("by"), (n) => n.by], [t("note"), (n) => n.text]],
          c.notes), h("div", { class: "note-form" }, noteInput, addNote)),
        c.record ? section(t("record"), dl(Object.entries(c.record)
          .filter(([, v]) => typeof v !== "object")
          .map(([k, v]) => [k, k.endsWith("_fen") ? fen(v) : String(v)]))) : null),
      h("aside", { class: "case-side", id: "member-panel" }, memberPanel(c, member))));
  }

  async function loadMember() {
    try {
      member = await call("GET", `/v1/agent/members/${encodeURIComponent(current.customer_id)}`);
    } catch (err) {
      if (ctx.fail(err)) return;
      member = null;
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || document.getElementById("dialog").open) return;
    if (["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(event.target.tagName)) return;
    if (event.key === "c" && buttons.claim && !buttons.claim.disabled) { event.preventDefault(); buttons.claim.click(); }
  }

  mount(root, h("p", { class: "muted" }, "…"));
  (async () => {
    try {
      const customerId = customerOf(caseId);
      const [item, view] = await Promise.all([
        call("GET", path),
        customerId ? call("GET", `/v1/agent/members/${encodeURIComponent(customerId)}`).catch((err) => {
          if (ctx.fail(err)) throw err;
          return null;
        }) : null,
      ]);
      if (stopped) return;
      current = item;
      member = view;
      render();
    } catch (err) {
      if (!ctx.fail(err) && !stopped) mount(root, h("p", { class: "error", role: "alert" }, ctx.message(err)));
    }
  })();
  const ticker = setInterval(() => tickAll(root), 1000);
  document.addEventListener("keydown", onKey);
  return () => { stopped = true; clearInterval(ticker); document.removeEventListener("keydown", onKey); };
}
