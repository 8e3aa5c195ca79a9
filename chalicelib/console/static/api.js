// The API client: the staff session (sessionStorage, so it ends with the tab), refresh on an expired access token,
// and the error envelope turned into an Error carrying the API's own message.
import { acceptLanguage, t } from "./i18n.js";

const SESSION_KEY = "console.session";
const RETURN_KEY = "console.return";

// The page's <base href> is <the API's base path>/console/: the API is one level up.
export const API_ROOT = new URL("../", document.baseURI);

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

export class SignedOut extends Error {}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
}

function save(tokens, username) {
  const previous = session() || {};
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    staff_id: tokens.staff_id || previous.staff_id,
    role: tokens.role || previous.role,
    username: username || previous.username,
  }));
}

export function clearSession() { sessionStorage.removeItem(SESSION_KEY); }

export function rememberReturn(hash) {
  if (hash && !hash.startsWith("#/sign-in")) sessionStorage.setItem(RETURN_KEY, hash);
}

export function takeReturn() {
  const hash = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return hash || "#/queue/open";
}

async function send(method, path, body, token) {
  const headers = { "Accept-Language": acceptLanguage() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(new URL(path.replace(/^\//, ""), API_ROOT), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network_error", t("network_error"));
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_error", error.message || `HTTP ${response.status}`,
      error.details);
  }
  return data;
}

export async function signIn(username, password, totp = "") {
  const tokens = await send("POST", "/v1/staff/login", { username, password, ...(totp ? { totp } : {}) });
  save(tokens, username);
  return tokens;
}

export async function signOut() {
  const current = session();
  clearSession();
  if (current && current.refresh_token) {
    try { await send("POST", "/v1/auth/logout", { refresh_token: current.refresh_token }); } catch { /* gone */ }
  }
}

let refreshing = null;

async function refresh() {
  const current = session();
  if (!current || !current.refresh_token) throw new SignedOut();
  // One refresh at a time: a spent refresh token revokes its family, so parallel requests must share it.
  refreshing = refreshing || send("POST", "/v1/auth/refresh", { refresh_token: current.refresh_token })
    .then((tokens) => save(tokens))
    .finally(() => { refreshing = null; });
  try {
    await refreshing;
  } catch {
    clearSession();
    throw new SignedOut();
  }
}

const EXPIRED = new Set(["token_expired", "invalid_token", "unauthorized"]);

// A call with the agent's token; an expired token is refreshed once, and a session that cannot be refreshed
// throws SignedOut (the app returns to sign-in, then to the page the agent was on).
export async function call(method, path, body) {
  const current = session();
  if (!current) throw new SignedOut();
  try {
    return await send(method, path, body, current.access_token);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !EXPIRED.has(err.code)) throw err;
  }
  await refresh();
  try {
    return await send(method, path, body, session().access_token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { clearSession(); throw new SignedOut(); }
    throw err;
  }
}
