// C2B product requests: open one by its ID (members share it), then move it through its lifecycle or change the
// group threshold. Hiding a request is the moderation step (status `hidden`).
import { call } from "./api.js";
import { h } from "./dom.js";
import { num } from "./format.js";
import { apiForm } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const STATUSES = ["under_review", "accepted", "in_production", "launched", "declined", "hidden"];

export function c2bSection(body, ctx) {
  const detail = h("div", { id: "c2b-detail" });

  function show(request) {
    const path = `/v1/admin/product-requests/${encodeURIComponent(request.request_id)}`;
    detail.replaceChildren(card(`${t("request_id")} ${request.request_id}`,
      h("dl", {}, h("dt", {}, t("status")), h("dd", { id: "c2b-status" }, request.status),
        h("dt", {}, t("supporters")), h("dd", {}, num(request.support_count)),
        h("dt", {}, t("threshold")), h("dd", {}, num(request.threshold))),
      apiForm({ id: "c2b-status-form", ctx, label: t("save"), title: t("move_to"),
        fields: [
          { name: "status", label: t("status"), type: "select", options: STATUSES.map((s) => [s, s]) },
          { name: "note", label: t("note"), type: "textarea", required: true, maxlength: 500 },
          { name: "voucher.name", label: t("launch_voucher"), maxlength: 40 },
        ],
        submit: (payload) => call("POST", `${path}/status`, payload),
        done: () => open(request.request_id) }),
      apiForm({ id: "c2b-threshold-form", ctx, label: t("save"), keep: true,
        fields: [{ name: "threshold", label: t("threshold"), type: "number", min: 1, value: request.threshold }],
        submit: (payload) => call("PATCH", path, payload), done: () => open(request.request_id) })));
  }

  async function open(id) { show(await call("GET", `/v1/admin/product-requests/${encodeURIComponent(id)}`)); }

  const finder = apiForm({ id: "c2b-open", ctx, label: t("load"), keep: true,
    fields: [{ name: "request_id", label: t("request_id"), required: true, hint: t("c2b_hint") }],
    submit: (payload) => open(payload.request_id) });
  body.append(card(t("sec_c2b"), finder), detail);
  return null;
}
