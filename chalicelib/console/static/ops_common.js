// What the operators' pages share: a card, the tier codes of the programme, Shanghai datetime-local values.
import { call } from "./api.js";
import { h } from "./dom.js";

export function card(title, ...children) {
  return h("section", { class: "panel" }, title ? h("h2", {}, title) : null, children);
}

let tierCache = null;

// The programme's tiers as [code, name] options (read once per page load).
export async function tierOptions() {
  if (!tierCache) {
    tierCache = call("GET", "/v1/admin/tiers").then((out) => (out.items || out.tiers || [])
      .map((tier) => [tier.code, `${tier.name} (${tier.code})`]))
      .catch((err) => { tierCache = null; throw err; });
  }
  return tierCache;
}

// A datetime-local value (Shanghai wall clock) `days` from now at `hour`:00.
export function shanghaiLocal(days, hour = 10) {
  const d = new Date(Date.now() + days * 86400000 + 8 * 3600000);
  return `${d.toISOString().slice(0, 10)}T${String(hour).padStart(2, "0")}:00`;
}
