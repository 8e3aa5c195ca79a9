// The operators' pages (role admin): one entry per navigation item. Any other role sees a refusal here, and the
// API refuses their calls anyway (every route behind these pages is `auth="admin"`).
import { campaignsView } from "./campaigns.js";
import { dashboardView } from "./dashboard.js";
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { monthEndView } from "./month_end.js";
import { programmeView } from "./programme.js";
import { segmentsView } from "./segments.js";
import { staffView } from "./staff.js";

const VIEWS = {
  dashboard: dashboardView,
  programme: programmeView,
  segments: segmentsView,
  campaigns: campaignsView,
  "month-end": monthEndView,
  staff: staffView,
};

export const OPERATOR_PAGES = Object.keys(VIEWS);

// `args`: the hash's parts after the page's name (#/segments/<id> → [id]), still URI-encoded.
export function operatorView(root, page, args, ctx) {
  const me = ctx.me();
  if (!me || me.role !== "admin") {
    mount(root, h("p", { class: "error", role: "alert", id: "not-allowed" }, t("not_allowed")));
    return null;
  }
  const [arg = "", ...rest] = args.map((part) => decodeURIComponent(part));
  return VIEWS[page](root, arg, ctx, rest) || null;
}
