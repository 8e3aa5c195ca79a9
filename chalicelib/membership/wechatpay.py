"""WeChat Pay API v3, the parts we need: keys from the stage's configuration, request and JSAPI signatures, and the
checks of a payment notification (signature over ``timestamp\\nnonce\\nbody\\n`` with the platform key, a fresh
timestamp, the ``resource`` decrypted with AEAD_AES_256_GCM under the API v3 key).

Keys come from environment variables: deployed stages resolve them from the stage's secret in Secrets Manager
(``.chalice/config.json``); the local stack generates test keys when it starts (``tools/wechatpay_sim.py``). Nothing
here logs a key, a signature or a decrypted resource.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.core.errors import AppError

MAX_SKEW_SECONDS = 300  # a notification whose timestamp is further from now than this is refused (replays)
ENV = {
    "api_base": "WECHATPAY_API_BASE",
    "mch_id": "WECHATPAY_MCH_ID",
    "app_id": "WECHATPAY_APP_ID",
    "mch_serial": "WECHATPAY_MCH_SERIAL",
    "mch_private_key": "WECHATPAY_MCH_PRIVATE_KEY",
    "platform_serial": "WECHATPAY_PLATFORM_SERIAL",
    "platform_public_key": "WECHATPAY_PLATFORM_PUBLIC_KEY",
    "api_v3_key": "WECHATPAY_API_V3_KEY",
    "notify_url": "WECHATPAY_NOTIFY_URL",
}


@dataclass(frozen=True)
class Keys:
    api_base: str
    mch_id: str
    app_id: str
    mch_serial: str
    mch_private_key: rsa.RSAPrivateKey
    platform_serial: str
    platform_public_key: rsa.RSAPublicKey
    api_v3_key: bytes
    notify_url: str

    def __repr__(self) -> str:  # never print a key
        return f"Keys(mch_id={self.mch_id!r}, app_id={self.app_id!r}, api_base={self.api_base!r})"


def _pem(value: str) -> bytes:
    return value.replace("\\n", "\n").encode()


@lru_cache(maxsize=4)
def _parse(values: tuple[str, ...]) -> Keys:
    raw = dict(zip(ENV, values, strict=True))
    private = serialization.load_pem_private_key(_pem(raw["mch_private_key"]), password=None)
    public = serialization.load_pem_public_key(_pem(raw["platform_public_key"]))
    if not isinstance(private, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay keys must be RSA")
    api_v3_key = raw["api_v3_key"].encode()
    if len(api_v3_key) != 32:
        raise ValueError("the WeChat Pay API v3 key must be 32 bytes")
    return Keys(api_base=raw["api_base"].rstrip("/"), mch_id=raw["mch_id"], app_id=raw["app_id"],
                mch_serial=raw["mch_serial"], mch_private_key=private, platform_serial=raw["platform_serial"],
                platform_public_key=public, api_v3_key=api_v3_key, notify_url=raw["notify_url"])


def keys() -> Keys:
    """The stage's WeChat Pay configuration; 503 ``payments_not_configured`` when it is missing or unusable."""
    values = tuple(os.environ.get(name, "") for name in ENV.values())
    if not all(values):
        raise AppError("payments_not_configured")
    try:
        return _parse(values)
    except ValueError:
        raise AppError("payments_not_configured") from None


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64: WeChat Pay's signature."""
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def authorization(k: Keys, method: str, path: str, body: str, timestamp: int, nonce: str) -> str:
    """The ``Authorization`` header of a request to WeChat Pay (WECHATPAY2-SHA256-RSA2048)."""
    signature = sign(k.mch_private_key, f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{k.mch_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{k.mch_serial}"')


def jsapi_params(k: Keys, prepay_id: str, timestamp: int, nonce: str | None = None) -> dict[str, str]:
    """What the mini-program passes to ``wx.requestPayment``: paySign over appId, timeStamp, nonceStr, package."""
    nonce = nonce or secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    pay_sign = sign(k.mch_private_key, f"{k.app_id}\n{timestamp}\n{nonce}\n{package}\n")
    return {"appId": k.app_id, "timeStamp": str(timestamp), "nonceStr": nonce, "package": package,
            "signType": "RSA", "paySign": pay_sign}


def decrypt(api_v3_key: bytes, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    return AESGCM(api_v3_key).decrypt(nonce.encode(), base64.b64decode(ciphertext, validate=True),
                                      associated_data.encode() if associated_data else None)


SIGNATURE_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")


def require_signature_headers(headers: dict[str, str]) -> None:
    """401 ``payment_signature_invalid`` unless the four signature headers are there (lower-cased names)."""
    if not all(headers.get(name) for name in SIGNATURE_HEADERS) or not headers["wechatpay-timestamp"].isdigit():
        raise AppError("payment_signature_invalid")


def open_notification(k: Keys, headers: dict[str, str], body: bytes, now_epoch: int) -> dict[str, Any]:
    """The decrypted ``resource`` of an authentic, fresh notification, plus its ``event_type``.

    401 ``payment_signature_invalid`` (a forged or altered body, an unknown platform serial), 401
    ``payment_notification_stale`` (more than 5 minutes off), 400 ``payment_notification_invalid``.
    """
    timestamp = headers.get("wechatpay-timestamp", "")
    nonce = headers.get("wechatpay-nonce", "")
    signature = headers.get("wechatpay-signature", "")
    serial = headers.get("wechatpay-serial", "")
    if not (timestamp.isdigit() and nonce and signature) or serial != k.platform_serial:
        raise AppError("payment_signature_invalid")
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    if not verify(k.platform_public_key, message, signature):
        raise AppError("payment_signature_invalid")
    if abs(now_epoch - int(timestamp)) > MAX_SKEW_SECONDS:
        raise AppError("payment_notification_stale")
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError("algorithm")
        plain = decrypt(k.api_v3_key, resource["nonce"], resource.get("associated_data", ""), resource["ciphertext"])
        transaction = json.loads(plain)
        if not isinstance(transaction, dict):
            raise ValueError("resource")
    except (ValueError, KeyError, TypeError, AttributeError, InvalidTag):
        raise AppError("payment_notification_invalid") from None
    return {"event_type": envelope.get("event_type"), "transaction": transaction}
