// The console's shell: hash routes, the top bar, sign-in, and the way back after an expired session.
import { ApiError, SignedOut, clearSession, rememberReturn, session, signIn, signOut, takeReturn } from "./api.js";
import { caseView } from "./case.js";
import { claimsView } from "./claims.js";
import { h, mount } from "./dom.js";
import { applyStatic, language, setLanguage, t } from "./i18n.js";
import { OPERATOR_PAGES, operatorView } from "./operators.js";
import { queueView } from "./queue.js";

const root = document.getElementById("app");
let cleanup = null;

// Views call this with any error: a lost session goes to sign-in (and back here afterwards); anything else is
// the caller's to show.
function signedOut() {
  rememberReturn(window.location.hash);
  clearSession();
  window.location.hash = "#/sign-in";
}

const ctx = {
  me: () => session(),
  fail(err) {
    if (err instanceof SignedOut) { signedOut(); return true; }
    return false;
  },
  message(err) {
    return err instanceof ApiError ? err.message : String((err && err.message) || err);
  },
};

function signInView() {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const user = h("input", { name: "username", id: "username", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", id: "password", type: "password", autocomplete: "current-password",
    required: true });
  // The authenticator's code: only for staff who enrolled one (the API says when it is needed).
  const code = h("input", { name: "totp", id: "totp", inputmode: "numeric", autocomplete: "one-time-code",
    pattern: "[0-9]{6}", maxlength: "6" });
  const button = h("button", { type: "submit", class: "primary" }, t("sign_in"));
  const form = h("form", { class: "sign-in", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      await signIn(user.value.trim(), pass.value, code.value.trim());
      window.location.hash = takeReturn();
    } catch (err) {
      error.textContent = ctx.message(err);
      error.hidden = false;
      button.disabled = false;
    }
  } },
  h("h1", {}, t("title")),
  sessionStorage.getItem("console.return") ? h("p", { class: "muted" }, t("session_expired")) : null,
  h("label", { for: "username" }, t("username")), user,
  h("label", { for: "password" }, t("password")), pass,
  h("label", { for: "totp" }, t("totp")), code,
  error, button);
  mount(root, form);
  user.focus();
  return null;
}

function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = window.location.hash || "#/queue/open";
  const bar = document.getElementById("bar");
  applyStatic();
  document.getElementById("lang").textContent = t("lang_switch");
  if (hash.startsWith("#/sign-in")) {
    bar.hidden = true;
    cleanup = signInView();
    return;
  }
  const me = session();
  if (!me) { signedOut(); return; }
  bar.hidden = false;
  document.getElementById("who").textContent = me.username || me.staff_id || "";
  const [, page, arg] = hash.split("/");
  // Auditors read the trail and nothing else: no queue to land on.
  if (me.role === "auditor" && !OPERATOR_PAGES.includes(page)) { window.location.hash = "#/audit"; return; }
  // data-role: the roles (space-separated) a navigation entry is shown to.
  for (const link of document.querySelectorAll("[data-role]")) {
    link.hidden = !link.dataset.role.split(" ").includes(me.role);
  }
  if (me.role === "admin") {  // operators: the same console, named for what they do in it
    document.querySelector(".brand").textContent = t("title_ops");
    document.title = t("title_ops");
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    const current = link.dataset.nav === (page === "case" ? "queue" : page);
    link.classList.toggle("current", current);
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (OPERATOR_PAGES.includes(page)) cleanup = operatorView(root, page, hash.split("/").slice(2), ctx);
  else if (page === "case" && arg) cleanup = caseView(root, decodeURIComponent(arg), ctx);
  else if (page === "claims") cleanup = claimsView(root, ctx);
  else cleanup = queueView(root, ["open", "mine", "all"].includes(arg) ? arg : "open", ctx);
}

document.getElementById("lang").addEventListener("click", () => {
  setLanguage(language() === "en" ? "zh" : "en");
  route();
});
document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut();
  sessionStorage.removeItem("console.return");
  window.location.hash = "#/sign-in";
});
window.addEventListener("hashchange", route);
setLanguage(language());
route();
