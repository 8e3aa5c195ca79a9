// The segment rule builder: "all" or "any" of conditions, each a fact, one of that fact's operators and a value,
// all offered from GET /v1/admin/segment-facts (the API's own rule language). `rule()` gives the API's shape.
import { h } from "./dom.js";
import { t } from "./i18n.js";

function parseOne(type, text) {
  if (type === "number") return text === "" ? NaN : Number(text);
  if (type === "flag") return text === "true";
  return text;
}

function valueOf(fact, op, text) {
  const raw = String(text).trim();
  if (op === "in" || op === "between") {
    return raw.split(/[,，]/).map((part) => part.trim()).filter(Boolean).map((part) => parseOne(fact.type, part));
  }
  return parseOne(fact.type, raw);
}

export function ruleBuilder(catalogue, initial = null) {
  const facts = new Map(catalogue.facts.map((fact) => [fact.fact, fact]));
  const mode = h("select", { name: "mode", id: "rule-mode", "aria-label": t("rule") },
    h("option", { value: "all" }, t("match_all")), h("option", { value: "any" }, t("match_any")));
  const rows = h("div", { class: "conditions" });

  function valueControl(fact, op, value) {
    const label = t("value");
    if (fact.values && (op === "eq" || op === "ne")) {
      return h("select", { class: "cond-value", "aria-label": label }, fact.values.map((v) =>
        h("option", { value: String(v), selected: String(v) === String(value) }, String(v))));
    }
    const hint = op === "in" || op === "between" ? t("list_hint") : fact.values ? fact.values.join(", ") : "";
    return h("input", { class: "cond-value", "aria-label": label, value: value ?? "", placeholder: hint,
      inputmode: fact.type === "number" && op !== "in" && op !== "between" ? "numeric" : null });
  }

  function addRow(cond = {}) {
    const row = h("div", { class: "condition" });
    const factSelect = h("select", { class: "cond-fact", "aria-label": t("fact") },
      catalogue.facts.map((f) => h("option", { value: f.fact, selected: f.fact === cond.fact }, f.fact)));
    const opSelect = h("select", { class: "cond-op", "aria-label": t("op") });
    let valueEl = null;
    const fillOps = (op) => {
      const fact = facts.get(factSelect.value);
      opSelect.replaceChildren(...fact.ops.map((o) => h("option", { value: o, selected: o === op }, o)));
    };
    const fillValue = (value) => {
      const next = valueControl(facts.get(factSelect.value), opSelect.value, value);
      if (valueEl) valueEl.replaceWith(next); else row.append(next);
      valueEl = next;
    };
    factSelect.addEventListener("change", () => { fillOps(); fillValue(); });
    opSelect.addEventListener("change", () => fillValue(valueEl ? valueEl.value : ""));
    row.append(factSelect, opSelect);
    fillOps(cond.op);
    fillValue(Array.isArray(cond.value) ? cond.value.join(", ") : cond.value);
    row.append(h("button", { type: "button", class: "link", onclick: () => row.remove() }, t("remove")));
    rows.append(row);
  }

  const key = initial && ("any" in initial ? "any" : "all");
  if (key) mode.value = key;
  for (const cond of (key ? initial[key] : [{}])) addRow(cond);

  const el = h("fieldset", { class: "rule-builder" }, h("legend", {}, t("rule")), mode, rows,
    h("button", { type: "button", id: "add-condition", onclick: () => addRow() }, t("add_condition")));

  function rule() {
    const conditions = [...rows.querySelectorAll(".condition")].map((row) => {
      const fact = facts.get(row.querySelector(".cond-fact").value);
      const op = row.querySelector(".cond-op").value;
      return { fact: fact.fact, op, value: valueOf(fact, op, row.querySelector(".cond-value").value) };
    });
    return { [mode.value]: conditions };
  }

  return { el, rule };
}

export function ruleText(rule) {
  const key = "any" in rule ? "any" : "all";
  const joiner = key === "any" ? " OR " : " AND ";
  return (rule[key] || []).map((c) => ("fact" in c ? `${c.fact} ${c.op} ${JSON.stringify(c.value)}` : `(${ruleText(c)})`))
    .join(joiner);
}
