// A member's journey as the mini-program team writes it, typed only by what openapi-typescript generates from the
// OpenAPI document (./api.d.ts, written next to this file by tests/unit/contract/test_contract_clients.py). `tsc --strict`
// over it must pass: a field the contract leaves untyped or undeclared shows up here as a type error.
import type { components, paths } from "./api";

type Schemas = components["schemas"];
export type Redemption = Schemas["RedemptionOut"];
type Json<R> = R extends { content: { "application/json": infer B } } ? B : never;
type ErrorEnvelope = Schemas["ErrorEnvelope"];

const BASE = "http://127.0.0.1:8000";

async function call<T>(method: string, path: string, body?: unknown, token?: string,
                       headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(BASE + path, {
    method,
    headers: { "content-type": "application/json", "x-channel": "miniprogram", ...headers,
               ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

function failed(error: ErrorEnvelope): string {
  return `${error.error.code}: ${error.error.message} (${error.error.request_id})`;
}

export async function journey(phone: string, code: string): Promise<string[]> {
  const shown: string[] = [];

  type OtpIn = paths["/v1/auth/app/otp"]["post"]["requestBody"]["content"]["application/json"];
  const otp: OtpIn = { phone };
  await call<Json<paths["/v1/auth/app/otp"]["post"]["responses"][202]>>("POST", "/v1/auth/app/otp", otp);

  type LoginIn = paths["/v1/auth/app/login"]["post"]["requestBody"]["content"]["application/json"];
  const login: LoginIn = { phone, otp: code };
  const tokens = await call<Schemas["TokenResponse"]>("POST", "/v1/auth/app/login", login);
  const token: string = tokens.body.access_token;
  const expiresIn: number = tokens.body.expires_in;
  shown.push(`signed in for ${expiresIn}s`);

  const me = await call<Json<paths["/v1/me"]["get"]["responses"][200]>>("GET", "/v1/me", undefined, token);
  const badge: string = me.body.tier.badge;
  const balance: number = me.body.points.balance;
  const nextTier: string | null = me.body.tier_progress.next_tier;
  shown.push(`${badge} ${balance} points, next ${nextTier ?? "none"}, Plus ${me.body.plus?.status ?? "none"}`);

  const zone = await call<Json<paths["/v1/benefits"]["get"]["responses"][200]>>("GET", "/v1/benefits", undefined,
                                                                              token);
  const zoneTier: string = zone.body.tier.code;
  for (const benefit of zone.body.items) {
    shown.push(`${zoneTier}: ${benefit.name}`);
  }

  const rewards = await call<Json<paths["/v1/rewards"]["get"]["responses"][200]>>("GET", "/v1/rewards");
  const reward = rewards.body.items[0];
  if (reward === undefined) {
    return shown;
  }
  type RedeemIn = paths["/v1/redemptions"]["post"]["requestBody"]["content"]["application/json"];
  const redeem: RedeemIn = { reward_id: reward.reward_id, quantity: 1 };
  type Redeemed = paths["/v1/redemptions"]["post"]["responses"];
  const redeemed = await call<Json<Redeemed[201]> | Json<Redeemed[202]> | ErrorEnvelope>(
    "POST", "/v1/redemptions", redeem, token, { "idempotency-key": `redeem-${reward.reward_id}` });
  if (redeemed.status === 202) {
    const accepted = redeemed.body as Json<Redeemed[202]>;
    const status: "retrying" = accepted.status;
    const txn = await call<Json<paths["/v1/me/transactions/{transaction_id}"]["get"]["responses"][200]>>(
      "GET", `/v1/me/transactions/${accepted.transaction_id}`, undefined, token);
    shown.push(`${status}: ${txn.body.status} after ${txn.body.attempts} attempts`);
  } else if (redeemed.status === 201) {
    const done = redeemed.body as Redemption;
    const channel: string | null | undefined = done.channel;
    shown.push(`${done.redemption_id} ${done.status} from ${channel ?? "?"}, ${done.balance_after} left`);
    for (const voucher of done.vouchers ?? []) {
      shown.push(`voucher ${voucher.code} until ${voucher.expires_at ?? "no end"}`);
    }
  } else {
    shown.push(failed(redeemed.body as ErrorEnvelope));
  }

  type Claim = paths["/v1/me/points/claims"]["post"];
  const claim: Claim["requestBody"]["content"]["application/json"] = {
    order_no: "SO-1", amount_fen: 25900, purchased_on: "2026-11-20",
  };
  const claimed = await call<Json<Claim["responses"][201]>>("POST", "/v1/me/points/claims", claim, token);
  const owner: string = claimed.body.customer_id;
  shown.push(`claim ${claimed.body.claim_id} for ${owner}: ${claimed.body.status}`);

  const inbox = await call<Json<paths["/v1/me/notifications"]["get"]["responses"][200]>>(
    "GET", "/v1/me/notifications", undefined, token);
  for (const notice of inbox.body.items) {
    const fields = Object.entries(notice.data).map(([key, value]) => `${key}=${String(value)}`);
    shown.push(`${notice.read ? " " : "*"} ${notice.title}: ${notice.body} [${fields.join(", ")}]`);
  }
  return shown;
}
