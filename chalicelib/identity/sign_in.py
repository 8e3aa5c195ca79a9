"""Sign-in use cases for each channel. Each returns the token body of the API outline.

DynamoDB calls on the success path (measured in ``bench/``):
- app login, returning member: identity lookup + one transaction (code consumed + refresh token) = 2;
- mini-program login, returning member: identity lookup + profile read (``phone_bound``) + token = 3;
- official-account login, returning member: identity lookup + one transaction (token + state claimed) = 2.
A first sign-in reads the directory, unionid and phone keys in one call, then writes the customer, its
keys and the refresh token (and the code or state) in one transaction; joining an existing customer
reads its profile in between (3 calls).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import Principal
from chalicelib.core.observability import logger, metrics
from chalicelib.core.redaction import mask_phone
from chalicelib.core.sms import SmsSender
from chalicelib.identity import customer_resolution, directory, merges, otp, sessions
from chalicelib.identity.directory import Identity
from chalicelib.identity.models import OaStateItem

APP_ID_APP = "app"
OA_STATE_TTL = 600
OA_CODE_REPLAY_WINDOW = 300
OA_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"


class MiniProgramPort(Protocol):
    def code_to_session(self, js_code: str) -> Any: ...
    def user_phone_number(self, code: str) -> str: ...


class OfficialAccountPort(Protocol):
    def oauth_access_token(self, code: str) -> Any: ...


def _signed_in(resolved: customer_resolution.Resolved, pending: sessions.PendingTokens, **extra: Any) -> dict[str, Any]:
    metrics.add_metric(name="SignIn", unit="Count", value=1)
    if resolved.new_member:
        metrics.add_metric(name="MemberEnrolled", unit="Count", value=1)
    logger.append_keys(customer_id=resolved.customer_id)
    return pending.body(new_member=resolved.new_member, **extra)


def _sign_in_with_tokens(
    ident: Identity,
    *,
    unionid: str | None = None,
    phone: str | None = None,
    channel: str | None = None,
    before_commit: Any = None,
    need_profile: bool = False,
) -> tuple[customer_resolution.Resolved, sessions.PendingTokens]:
    """Resolve the customer and store a refresh token, in as few writes as the path allows.

    ``before_commit(tx, customer_id, new_member)`` adds the caller's own items (the OTP consumption,
    the OAuth state's answer) to the transaction that writes the refresh token.
    """
    holder: dict[str, sessions.PendingTokens] = {}

    def extra(tx: Tx, customer_id: str, new_member: bool) -> None:  # a phone sign-in verified it; else unknown
        holder["pending"] = sessions.prepare(sessions.member_principal(customer_id, mergeable=phone is None))
        sessions.add_to(tx, holder["pending"])
        if before_commit:
            before_commit(tx, customer_id, new_member)

    resolved = customer_resolution.find_or_create(
        ident, unionid=unionid, phone=phone, channel=channel, extra=extra, need_profile=need_profile
    )
    if not resolved.extra_written and before_commit is None:  # returning, only the token to write
        has_phone = phone is not None or bool(resolved.customer and resolved.customer.phone)
        holder["pending"] = sessions.prepare(sessions.member_principal(resolved.customer_id, mergeable=not has_phone))
        sessions.save(holder["pending"])
    elif not resolved.extra_written:  # returning: the token and the caller's items, together
        tx = Tx()
        extra(tx, resolved.customer_id, False)
        tx.commit()
    return resolved, holder["pending"]


# --- app: phone + SMS code ---------------------------------------------------------------------


def request_otp(phone: str, client_ip: str, sms: SmsSender) -> None:
    otp.send(phone, client_ip, sms)
    logger.info("otp sent", extra={"phone_masked": mask_phone(phone)})


def app_login(phone: str, code: str, client_ip: str, channel: str | None) -> dict[str, Any]:
    try:
        resolved, pending = _sign_in_with_tokens(
            Identity("app", APP_ID_APP, phone),
            phone=phone,
            channel=channel or "app",
            before_commit=lambda tx, _cid, _new: otp.consume_in(tx, phone, code, client_ip),
        )
    except TxCancelled as exc:
        otp.raise_for_failure(exc, phone, client_ip)
        raise AppError("service_unavailable") from None
    return _signed_in(resolved, pending)


# --- mini-program ------------------------------------------------------------------------------


def miniprogram_login(code: str, client: MiniProgramPort, channel: str | None) -> dict[str, Any]:
    session = client.code_to_session(code)
    ident = Identity("wechat_mp", settings().wechat_mp_app_id, session.openid)
    resolved, pending = _sign_in_with_tokens(
        ident, unionid=session.unionid, channel=channel or "miniprogram", need_profile=True
    )
    return _signed_in(resolved, pending, phone_bound=bool(resolved.customer and resolved.customer.phone))


def miniprogram_bind_phone(customer_id: str, code: str, client: MiniProgramPort) -> dict[str, Any]:
    phone = client.user_phone_number(code)
    customer = directory.load_customer(customer_id)
    if customer is None:
        raise AppError("not_found")
    live, merged = merges.bind_verified_phone(customer, phone)
    body: dict[str, Any] = {"customer_id": live.customer_id, "phone_masked": mask_phone(phone), "merged": merged}
    if merged:
        # The caller's tokens name the absorbed customer: hand over a pair for the survivor.
        body["tokens"] = sessions.issue(sessions.member_principal(live.customer_id), new_member=False)  # has the phone
    return body


# --- official account (H5) ---------------------------------------------------------------------


def _check_redirect(redirect_uri: str) -> None:
    parts = urlsplit(redirect_uri)
    local_hosts = {"127.0.0.1", "localhost"}
    ok = parts.scheme == "https" or (settings().is_local and parts.scheme == "http" and parts.hostname in local_hosts)
    if not ok or not parts.hostname:
        raise AppError("validation_error", details=[{"field": "redirect_uri", "issue": "must be an https URL"}])


def oa_authorize_url(redirect_uri: str, scope: str) -> dict[str, str]:
    _check_redirect(redirect_uri)
    state = secrets.token_hex(16)
    now = clock.epoch()
    OaStateItem(
        pk=f"OASTATE#{state}", sk="OASTATE", redirect_uri=redirect_uri, scope=scope, expires_at=now + OA_STATE_TTL,
        ttl=now + OA_STATE_TTL + OA_CODE_REPLAY_WINDOW + 60,
    ).save(OaStateItem.pk.does_not_exist(), add_version_condition=False)
    url = (
        f"{OA_AUTHORIZE_URL}?appid={quote(settings().wechat_oa_app_id)}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope={scope}&state={state}#wechat_redirect"
    )
    return {"url": url, "state": state}


def _state_key(state: str) -> str:
    return f"OASTATE#{state}"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _replayed_answer(state: str, code: str) -> dict[str, Any] | None:
    """The answer already given for this state and code: WeChat may call the callback twice."""
    try:
        item = OaStateItem.get(_state_key(state), "OASTATE", consistent_read=True)
    except OaStateItem.DoesNotExist:
        return None
    fresh = item.used_at is not None and item.used_at > clock.epoch() - OA_CODE_REPLAY_WINDOW
    if item.code_hash != _digest(code) or not item.customer_id or not fresh:
        return None
    return sessions.issue(sessions.member_principal(item.customer_id), new_member=bool(item.new_member))


def oa_login(code: str, state: str, client: OfficialAccountPort, channel: str | None) -> dict[str, Any]:
    """Exchange the code, then claim the state in the same transaction that signs the member in.

    The state is checked there (it exists, is unexpired and unused) so a valid sign-in costs no
    separate write for it. A code WeChat reports as used is the second callback of a sign-in we
    already answered: the state remembers that answer for 5 minutes.
    """
    try:
        result = client.oauth_access_token(code)
    except AppError as err:
        replay = _replayed_answer(state, code) if err.code == "invalid_code" else None
        if replay is None:
            raise
        return replay
    if result.is_snapshot_user:
        raise AppError("snapshot_user")
    ident = Identity("wechat_oa", settings().wechat_oa_app_id, result.openid)
    now = clock.epoch()

    def claim_state(tx: Tx, customer_id: str, new_member: bool) -> None:
        tx.update(
            "oa_state",
            OaStateItem(pk=_state_key(state), sk="OASTATE"),
            [
                OaStateItem.used_at.set(now),
                OaStateItem.code_hash.set(_digest(code)),
                OaStateItem.customer_id.set(customer_id),
                OaStateItem.new_member.set(new_member),
            ],
            OaStateItem.pk.exists() & OaStateItem.used_at.does_not_exist() & (OaStateItem.expires_at > now),
        )

    try:
        resolved, pending = _sign_in_with_tokens(
            ident, unionid=result.unionid, channel=channel or "wechat_oa", before_commit=claim_state
        )
    except TxCancelled as exc:
        if "oa_state" in exc.failed:
            raise AppError("invalid_state") from None
        raise
    return _signed_in(resolved, pending)


# --- tokens ------------------------------------------------------------------------------------


def refresh(refresh_token: str) -> dict[str, Any]:
    return sessions.rotate(refresh_token, resolve_customer=directory.resolve_customer_id)


def logout(refresh_token: str) -> None:
    sessions.logout(refresh_token)


def staff_tokens(staff_id: str, role: str, username: str, session_gen: int = 0) -> dict[str, Any]:
    return sessions.issue(Principal(subject=username, role=role, staff_id=staff_id), staff_gen=session_gen)
