// Small DOM helpers: elements are built with textContent only (never innerHTML), so API data cannot inject markup.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(root, ...children) {
  root.replaceChildren();
  append(root, children);
}

// Times are the business's: Shanghai's, whatever the zone of the agent's browser, and say so.
const SHANGHAI = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(SHANGHAI.formatToParts(d).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} UTC+8`;
}

export function fen(amount) {
  return amount === undefined || amount === null ? "" : `¥${(Number(amount) / 100).toFixed(2)}`;
}

export function table(columns, rows, empty) {
  if (!rows || rows.length === 0) return h("p", { class: "muted" }, empty || t("none"));
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map(([label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))))));
}

let flashTimer = null;

export function flash(text, kind = "info") {
  const el = document.getElementById("flash");
  el.textContent = text;
  el.className = `flash ${kind}`;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { el.textContent = ""; el.className = "flash"; }, 8000);
}

// A modal dialog: resolves with the form's values on Confirm, null on Back or Escape.
export function ask({ title, body = [], confirm = t("confirm"), validate = null, onConfirm = null }) {
  const dialog = document.getElementById("dialog");
  const error = document.getElementById("dialog-error");
  const ok = document.getElementById("dialog-ok");
  const back = document.getElementById("dialog-back");
  document.getElementById("dialog-title").textContent = title;
  mount(document.getElementById("dialog-body"), body);
  ok.textContent = confirm;
  back.textContent = t("back");
  error.hidden = true;
  ok.disabled = false;
  return new Promise((resolve) => {
    const form = document.getElementById("dialog-form");
    const values = () => Object.fromEntries(new FormData(form).entries());
    const submit = async (event) => {
      if (event.submitter !== ok) return; // Back closes the dialog by itself
      event.preventDefault();
      const data = values();
      const problem = validate ? validate(data) : null;
      if (problem) { error.textContent = problem; error.hidden = false; return; }
      if (!onConfirm) { finish(data); return; }
      ok.disabled = true;
      try {
        const result = await onConfirm(data);
        finish(result === undefined ? data : result);
      } catch (err) {
        error.textContent = err.message || String(err);
        error.hidden = false;
        ok.disabled = false;
      }
    };
    const closed = () => finish(null);
    const finish = (value) => {
      form.removeEventListener("submit", submit);
      dialog.removeEventListener("close", closed);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener("close", closed);
    dialog.showModal();
    ok.focus();
  });
}
