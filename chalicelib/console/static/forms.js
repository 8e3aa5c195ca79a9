// Forms over the admin API: fields described once (name, label, type, the API's bounds as HTML constraints), the
// body built from them, and the API's refusal shown under the form with every input kept as typed.
import { flash, h } from "./dom.js";
import { t } from "./i18n.js";

let serial = 0;

function control(spec, id) {
  const common = { id, name: spec.name, required: spec.required, "aria-describedby": spec.hint ? `${id}-hint` : null };
  const type = spec.type || "text";
  if (type === "select") {
    return h("select", common, (spec.options || []).map(([value, label]) =>
      h("option", { value, selected: String(spec.value ?? "") === String(value) }, label)));
  }
  if (type === "textarea" || type === "json") {
    const area = h("textarea", { ...common, rows: spec.rows || (type === "json" ? 6 : 3), maxlength: spec.maxlength,
      spellcheck: type === "json" ? "false" : null, class: type === "json" ? "code" : null });
    area.defaultValue = type === "json" && spec.value !== undefined ? JSON.stringify(spec.value, null, 2)
      : spec.value ?? "";
    return area;
  }
  if (type === "checkbox") return h("input", { ...common, type: "checkbox", checked: Boolean(spec.value) });
  if (type === "checks") {
    return h("span", { class: "checks", id, role: "group" }, spec.options.map(([value, label]) => h("label", {},
      h("input", { type: "checkbox", name: spec.name, value, checked: (spec.value || []).includes(value) }), label)));
  }
  const input = h("input", { ...common, type: type === "list" ? "text" : type === "datetime" ? "datetime-local" : type,
    min: spec.min, max: spec.max, step: spec.step, maxlength: spec.maxlength, pattern: spec.pattern,
    placeholder: spec.placeholder, inputmode: type === "number" ? "numeric" : null });
  if (spec.value !== undefined && spec.value !== null) input.defaultValue = String(spec.value);
  return input;
}

export function fieldRow(spec) {
  serial += 1;
  const id = `f${serial}-${spec.name.replace(/[^a-z0-9]/gi, "-")}`;
  const hint = spec.hint || { list: t("list_hint"), datetime: t("time_hint"), json: t("json_hint") }[spec.type];
  const withHint = { ...spec, hint };
  const el = control(withHint, id);
  if (spec.type === "checkbox") {
    return h("div", { class: "field check" }, el, h("label", { for: id }, spec.label));
  }
  // "optional" is for the eye, beside the label (the label is the control's name); `required` says it to
  // assistive technology
  const optional = !spec.required && !["select", "checks"].includes(spec.type);
  return h("div", { class: "field" }, h("span", {}, h("label", { for: id }, spec.label), optional ?
    h("span", { class: "muted small", "aria-hidden": "true" }, ` (${t("optional")})`) : null), el,
  hint ? h("span", { class: "muted small", id: `${id}-hint` }, hint) : null);
}

function setPath(target, path, value) {
  const keys = path.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) at = at[key] = at[key] || {};
  at[keys[keys.length - 1]] = value;
}

class InputProblem extends Error {}

function valueOf(form, spec) {
  const type = spec.type || "text";
  if (type === "checks") {
    return [...form.querySelectorAll(`input[name="${spec.name}"]:checked`)].map((box) => box.value);
  }
  const el = form.elements.namedItem(spec.name);
  if (type === "checkbox") return el.checked;
  const raw = el.value.trim();
  if (raw === "") return undefined;
  if (type === "number") return Number(raw);
  if (type === "list") return raw.split(/[,，]/).map((part) => part.trim()).filter(Boolean);
  if (type === "datetime") return `${raw.length === 16 ? `${raw}:00` : raw}+08:00`;
  if (type === "json") {
    try { return JSON.parse(raw); } catch { throw new InputProblem(`${spec.label}: ${t("bad_json")}`); }
  }
  return raw;
}

// The request body: each field under its (dotted) name; empty optional fields are left out.
export function bodyOf(form, fields) {
  const body = {};
  for (const spec of fields) {
    const value = valueOf(form, spec);
    if (value !== undefined) setPath(body, spec.name, value);
  }
  return body;
}

export function describe(err, ctx) {
  const details = (err.details || []).map((d) => [d.field, d.issue].filter(Boolean).join(": ")).filter(Boolean);
  return [ctx.message(err), ...details].join(" · ");
}

// A form that sends `submit(body)`; on success `done(result, form)` (the form is cleared unless `keep`), on a
// refusal the API's message (and its field details) in the form's alert, the inputs untouched.
export function apiForm({ id, title, fields, submit, done, ctx, label = t("save"), keep = false, extra = null }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, label);
  const form = h("form", { class: "api-form", id, novalidate: false }, title ? h("h2", {}, title) : null,
    h("div", { class: "fields" }, fields.map(fieldRow)), extra, error, h("div", { class: "actions" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const result = await submit(bodyOf(form, fields), form);
      if (!keep) form.reset();
      flash(t("saved"));
      if (done) await done(result, form);
    } catch (err) {
      if (!(err instanceof InputProblem) && ctx.fail(err)) return;
      error.textContent = err instanceof InputProblem ? err.message : describe(err, ctx);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// A section's list that reloads itself: `load()` gives the element to show (or throws: its message is shown).
export function liveBlock(load, ctx) {
  const box = h("div", { class: "live" }, h("p", { class: "muted" }, t("loading")));
  const reload = async () => {
    try {
      box.replaceChildren(await load());
    } catch (err) {
      if (!ctx.fail(err)) box.replaceChildren(h("p", { class: "error", role: "alert" }, describe(err, ctx)));
    }
  };
  reload();
  return { box, reload };
}

export const TIER_HINT = "base, silver, gold, platinum";
