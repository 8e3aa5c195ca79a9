// Stores (opening hours, closed dates, booking windows by tier) and their services (capacity, reserved seats).
import { call } from "./api.js";
import { table } from "./dom.js";
import { apiForm, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const HOURS = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "10:00", closes: "22:00" }));

export function storesSection(body, ctx) {
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/stores");
    return table([
      [t("store_id"), (s) => s.store_id], [t("name"), (s) => s.name], [t("city"), (s) => s.city],
      [t("address"), (s) => s.address],
      [t("services"), (s) => (s.services || []).map((v) => v.name || v.service_id || v).join(", ") || "—"],
      [t("closed_dates"), (s) => (s.closed_dates || []).join(", ") || "—"],
    ], out.items);
  }, ctx);
  const store = apiForm({ id: "store-form", ctx, label: t("create"),
    fields: [
      { name: "name", label: t("name"), required: true, maxlength: 64 },
      { name: "city", label: t("city"), required: true, maxlength: 32 },
      { name: "address", label: t("address"), required: true, maxlength: 200 },
      { name: "opening_hours", label: t("opening_hours"), type: "json", value: HOURS, required: true, rows: 4 },
      { name: "closed_dates", label: t("closed_dates"), type: "list", placeholder: "2027-01-28, 2027-01-29" },
      { name: "booking_days_by_tier", label: t("booking_days_by_tier"), type: "json", rows: 2 },
    ],
    submit: (payload) => call("POST", "/v1/admin/stores", payload), done: () => list.reload() });
  const service = apiForm({ id: "service-form", ctx, label: t("create"),
    fields: [
      { name: "store_id", label: t("store_id"), required: true },
      { name: "name", label: t("name"), required: true, maxlength: 64 },
      { name: "duration_minutes", label: t("duration"), type: "number", min: 5, max: 720, required: true, value: 60 },
      { name: "capacity", label: t("capacity"), type: "number", min: 1, max: 1000, required: true, value: 4 },
      { name: "reserved_seats", label: t("reserved_seats"), type: "number", min: 0 },
      { name: "tiers", label: t("tier_codes"), type: "list" },
    ],
    submit: ({ store_id: id, ...payload }) => call("POST", `/v1/admin/stores/${encodeURIComponent(id || "")}/services`,
      payload),
    done: () => list.reload() });
  body.append(card(t("stores"), list.box), card(t("new_store"), store), card(t("new_service"), service));
  return null;
}
