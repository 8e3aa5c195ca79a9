// Staff IDs shown with their usernames where the reader may list staff accounts (admins); anyone else sees the IDs.
import { call } from "./api.js";

// A promise of the known accounts, staff ID -> username (empty unless the reader is an admin).
export async function staffDirectory(ctx) {
  const me = ctx.me();
  const known = new Map();
  if (!me || me.role !== "admin") return known;
  try {
    const out = await call("GET", "/v1/admin/staff?limit=100");
    for (const account of out.items) known.set(account.staff_id, account.username);
  } catch (err) {
    if (ctx.fail(err)) throw err;  // signed out; any other refusal leaves the IDs as they are
  }
  return known;
}

// "username (staff ID)" when known, else the ID itself.
export function staffLabel(known, id) {
  if (!id) return "—";
  return known.has(id) ? `${known.get(id)} (${id})` : id;
}
