// The queue: open / claimed by me / all, in the API's order (highest tier, then oldest), with the time left to
// respond (15 min) and to close (24 h); refreshes itself; cases can be grouped by failure cause and resolved
// in bulk with one note. Keys: j/k move, Enter opens, c claims.
import { call } from "./api.js";
import { ask, flash, h, mount } from "./dom.js";
import { has, t } from "./i18n.js";

const REFRESH_MS = 15000;
export const RESPOND_AMBER_MS = 5 * 60 * 1000;
export const CLOSE_AMBER_MS = 4 * 60 * 60 * 1000;
const GROUP_KEY = "console.grouped";

export function kindLabel(kind) { return has(`kind_${kind}`) ? t(`kind_${kind}`) : kind; }

export function whatFailed(item) {
  const subject = item.subject || {};
  const parts = [kindLabel(item.kind)];
  if (subject.name) parts.push(subject.name);
  if (subject.quantity && subject.quantity > 1) parts.push(`×${subject.quantity}`);
  if (subject.points !== undefined && subject.points !== null) parts.push(`${subject.points} ${t("points_unit")}`);
  if (subject.amount_fen !== undefined && subject.amount_fen !== null) {
    parts.push(`¥${(subject.amount_fen / 100).toFixed(2)}`);
  }
  if (subject.score !== undefined && subject.score !== null) {  // a survey's callback: the member's score
    parts.push(`${(subject.scale || "").toUpperCase()} ${subject.score}`);
  }
  if (!subject.name && item.reference) parts.push(item.reference);
  return parts.join(" · ");
}

function span(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`;
}

// A countdown: green, amber within `amber` ms of the target, red once passed; "done" once met.
export function slaCell(due, doneAt, amber, doneLabel) {
  const el = h("span", { class: "sla",
    dataset: { due: due || "", done: doneAt || "", amber: String(amber), label: doneLabel } });
  tickCell(el, Date.now());
  return el;
}

function tickCell(el, now) {
  const due = Date.parse(el.dataset.due);
  const done = el.dataset.done ? Date.parse(el.dataset.done) : null;
  if (Number.isNaN(due)) { el.textContent = "—"; return; }
  if (done !== null) {
    const late = done > due;
    el.className = `sla ${late ? "late" : "met"}`;
    el.textContent = late ? `${t("overdue")} ${span(done - due)}` : el.dataset.label;
    return;
  }
  const left = due - now;
  el.className = `sla ${left < 0 ? "late" : left < Number(el.dataset.amber) ? "warn" : "fine"}`;
  el.textContent = left < 0 ? `${t("overdue")} ${span(left)}` : span(left);
}

export function tickAll(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll(".sla")) tickCell(el, now);
}

async function load(view, me) {
  const list = (status) => call("GET", `/v1/agent/follow-ups?status=${status}&limit=100`).then((page) => page.items);
  if (view === "open") return list("open");
  if (view === "mine") return (await list("claimed")).filter((item) => item.claimed_by === me.staff_id);
  const [open, claimed, resolved] = await Promise.all([list("open"), list("claimed"), list("resolved")]);
  return [...open, ...claimed, ...resolved];
}

function causeOf(item) { return `${item.kind}\u0000${item.last_error || ""}`; }

export function queueView(root, view, ctx) {
  const me = ctx.me();
  let items = [];
  let selectedId = null;
  let grouped = localStorage.getItem(GROUP_KEY) === "1";
  let stopped = false;

  const updated = h("span", { class: "muted", id: "updated" });
  const body = h("div", { id: "queue-body" });
  const results = h("div", { id: "bulk-results" });
  const groupToggle = h("input", { type: "checkbox", id: "group-toggle", checked: grouped, onchange: () => {
    grouped = groupToggle.checked;
    localStorage.setItem(GROUP_KEY, grouped ? "1" : "0");
    render();
  } });
  const tabs = h("nav", { class: "tabs", "aria-label": t("nav_queue") },
    ["open", "mine", "all"].map((name) => h("a", {
      href: `#/queue/${name}`, class: name === view ? "current" : "", "aria-current": name === view ? "page" : null,
    }, t(`view_${name}`))));
  mount(root,
    h("section", { class: "queue" },
      h("div", { class: "toolbar" }, tabs,
        h("label", { class: "toggle" }, groupToggle, t("group_by_cause")),
        h("span", { class: "spacer" }),
        updated,
        h("button", { type: "button", onclick: () => refresh() }, t("refresh"))),
      h("p", { class: "muted keys" }, t("keys_help")),
      results, body));

  function open(id) { window.location.hash = `#/case/${encodeURIComponent(id)}`; }

  function row(item) {
    const selected = item.case_id === selectedId;
    return h("tr", {
      class: `case-row ${selected ? "selected" : ""}`, dataset: { caseId: item.case_id }, tabindex: "0",
      "aria-selected": selected ? "true" : "false",
      onclick: () => open(item.case_id),
    },
    h("td", {}, h("a", { href: `#/case/${encodeURIComponent(item.case_id)}`, class: "member-no" },
      item.member_no || item.customer_id)),
    h("td", {}, h("span", { class: `tier tier-${item.priority.tier_code || "none"}` }, item.priority.tier_code || "—")),
    h("td", { class: "what" }, whatFailed(item), h("div", { class: "muted small" }, item.last_error || "")),
    h("td", { class: "num" }, String(item.attempt_count ?? "")),
    h("td", {}, slaCell(item.respond_by, item.responded_at, RESPOND_AMBER_MS, t("responded"))),
    h("td", {}, slaCell(item.close_by, item.resolved_at, CLOSE_AMBER_MS, t("done"))),
    h("td", {}, t(`status_${item.status}`), item.claimed_by ? h("div", { class: "muted small" }, item.claimed_by) : null));
  }

  function header() {
    return h("thead", {}, h("tr", {},
      ["col_member", "col_tier", "col_what", "col_attempts", "col_respond", "col_close", "col_status"]
        .map((key) => h("th", { scope: "col" }, t(key)))));
  }

  function groupHeader(members) {
    const first = members[0];
    const open = members.filter((item) => item.status !== "resolved");
    return h("tr", { class: "group" }, h("th", { colspan: "7", scope: "colgroup" },
      h("span", {}, `${kindLabel(first.kind)} — ${first.last_error || "?"}`),
      h("span", { class: "count" }, ` (${members.length} ${t("cases")})`),
      open.length ? h("button", { type: "button", class: "bulk", onclick: (event) => bulk(event.currentTarget, open) },
        t("resolve_group")) : null));
  }

  function render() {
    if (items.length === 0) { mount(body, h("p", { class: "muted empty" }, t("empty_queue"))); return; }
    if (!items.some((item) => item.case_id === selectedId)) selectedId = items[0].case_id;
    let rows;
    if (grouped) {
      const groups = new Map();
      for (const item of items) {
        if (!groups.has(causeOf(item))) groups.set(causeOf(item), []);
        groups.get(causeOf(item)).push(item);
      }
      rows = [...groups.values()].map((members) => [groupHeader(members), members.map(row)]);
    } else {
      rows = items.map(row);
    }
    mount(body, h("table", { class: "cases" }, header(), h("tbody", {}, rows)));
  }

  async function refresh() {
    try {
      items = await load(view, me);
      if (stopped) return;
      updated.textContent = `${t("refreshed")} ${new Date().toLocaleTimeString(document.documentElement.lang, { hour12: false })}`;
      render();
    } catch (err) {
      if (!ctx.fail(err) && !stopped) flash(ctx.message(err), "error");
    }
  }

  async function bulk(button, members) {
    const note = h("textarea", { name: "note", rows: "3", required: true, maxlength: "2000" });
    const choice = h("select", { name: "resolution" },
      ["refunded", "completed_manually", "cancelled"].map((value) => h("option", { value }, t(`res_${value}`))));
    const data = await ask({
      title: t("confirm_bulk", { n: members.length }),
      body: [h("label", {}, t("resolution"), choice), h("label", {}, t("note"), note)],
      validate: (values) => (values.note.trim() ? null : `${t("note")}?`),
    });
    if (!data) return;
    button.disabled = true;
    try {
      const out = await call("POST", "/v1/agent/follow-ups/bulk-resolve",
        { case_ids: members.map((item) => item.case_id), resolution: data.resolution, note: data.note.trim() });
      flash(t("bulk_done", { ok: out.resolved, failed: out.failed }), out.failed ? "error" : "info");
      const failures = out.results.filter((r) => !r.ok);
      mount(results, failures.length ? h("ul", { class: "error" },
        failures.map((r) => h("li", {}, `${r.case_id}: ${r.error.message}`))) : null);
      await refresh();
    } catch (err) {
      if (!ctx.fail(err)) flash(ctx.message(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  async function claimSelected() {
    if (!selectedId) return;
    const id = selectedId;
    try {
      await call("POST", `/v1/agent/follow-ups/${encodeURIComponent(id)}/claim`);
      flash(`${t("claim")}: ${id}`);
      await refresh();
    } catch (err) {
      if (!ctx.fail(err)) flash(ctx.message(err), "error");
    }
  }

  function move(step) {
    if (items.length === 0) return;
    const order = [...body.querySelectorAll("tr.case-row")].map((tr) => tr.dataset.caseId);
    const at = Math.max(0, order.indexOf(selectedId));
    selectedId = order[Math.min(order.length - 1, Math.max(0, at + step))];
    for (const tr of body.querySelectorAll("tr.case-row")) {
      const on = tr.dataset.caseId === selectedId;
      tr.classList.toggle("selected", on);
      tr.setAttribute("aria-selected", on ? "true" : "false");
      if (on) tr.scrollIntoView({ block: "nearest" });
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.getElementById("dialog").open) return;
    if (["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(event.target.tagName)) return;
    if (event.key === "Enter" && event.target.closest("a")) return;  // a focused link (the navigation) goes there
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "Enter" && selectedId) open(selectedId);
    else if (event.key === "c") claimSelected();
    else return;
    event.preventDefault();
  }

  const ticker = setInterval(() => tickAll(body), 1000);
  const poller = setInterval(() => { if (!document.getElementById("dialog").open) refresh(); }, REFRESH_MS);
  document.addEventListener("keydown", onKey);
  refresh();
  return () => {
    stopped = true;
    clearInterval(ticker);
    clearInterval(poller);
    document.removeEventListener("keydown", onKey);
  };
}
