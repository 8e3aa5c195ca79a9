"""WeChat Pay API v3, the parts we need: keys from the stage's configuration (the merchant's, and the platform keys by
serial: the WeChat Pay public key's ``PUB_KEY_ID_...`` and platform certificates, as WeChat rotates them), request,
JSAPI and APP signatures, and the checks of what WeChat Pay signs, a notification or an answer (signature over
``timestamp\\nnonce\\nbody\\n`` under the key of its ``Wechatpay-Serial``; for a notification also a fresh
timestamp and the ``resource`` decrypted with AEAD_AES_256_GCM under the API v3 key).

Keys come from environment variables: deployed stages resolve them from the stage's secret in Secrets Manager
(``.chalice/config.json``); the local stack generates test keys when it starts (``tools/simulators/``). Nothing
here logs a key, a signature or a decrypted resource.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.core.config import live
from chalicelib.core.errors import AppError

MAX_SKEW_SECONDS = 300  # a notification whose timestamp is further from now than this is refused (replays)
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"  # the WeChat Pay public key's ID; a platform certificate's serial is hex
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
#: Optional: the official account's and the native app's (open platform) app IDs bound to the merchant, and more
#: verification keys (``{serial: PEM public key or certificate}``: the next platform certificate, or the public key
#: and the certificates side by side while WeChat moves a merchant from one to the other).
OPTIONAL_ENV = {
    "oa_app_id": "WECHATPAY_OA_APP_ID",
    "open_app_id": "WECHATPAY_OPEN_APP_ID",
    "platform_keys": "WECHATPAY_PLATFORM_KEYS",
}


@dataclass(frozen=True)
class Keys:
    api_base: str
    mch_id: str
    app_id: str  # the mini-program's
    mch_serial: str
    mch_private_key: rsa.RSAPrivateKey
    platform_serial: str
    platform_public_key: rsa.RSAPublicKey
    api_v3_key: bytes
    notify_url: str
    oa_app_id: str | None = None
    open_app_id: str | None = None
    verifiers: Mapping[str, rsa.RSAPublicKey] = field(default_factory=dict)  # serial -> key, the primary included

    def __repr__(self) -> str:  # never print a key
        return f"Keys(mch_id={self.mch_id!r}, app_id={self.app_id!r}, api_base={self.api_base!r})"

    @property
    def public_key_id(self) -> str | None:
        """The WeChat Pay public key's ID when the merchant is in public-key mode (sent as ``Wechatpay-Serial``)."""
        if self.platform_serial.startswith(PUBLIC_KEY_ID_PREFIX):
            return self.platform_serial
        return next((s for s in self.verifiers if s.startswith(PUBLIC_KEY_ID_PREFIX)), None)

    @property
    def app_ids(self) -> frozenset[str]:
        """Every app ID the merchant takes payments for (a notification must name one of them)."""
        return frozenset(a for a in (self.app_id, self.oa_app_id, self.open_app_id) if a)


def _pem(value: str) -> bytes:
    return value.replace("\\n", "\n").encode()


def public_key_of(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from a PEM public key or X.509 certificate (a platform certificate)."""
    data = _pem(pem)
    key = (x509.load_pem_x509_certificate(data).public_key() if b"CERTIFICATE" in data
           else serialization.load_pem_public_key(data))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay keys must be RSA")
    return key


@lru_cache(maxsize=4)
def _parse(values: tuple[str, ...], optional: tuple[str, ...]) -> Keys:
    raw = dict(zip(ENV, values, strict=True))
    more = dict(zip(OPTIONAL_ENV, optional, strict=True))
    private = serialization.load_pem_private_key(_pem(raw["mch_private_key"]), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("WeChat Pay keys must be RSA")
    public = public_key_of(raw["platform_public_key"])
    api_v3_key = raw["api_v3_key"].encode()
    if len(api_v3_key) != 32:
        raise ValueError("the WeChat Pay API v3 key must be 32 bytes")
    extra = json.loads(more["platform_keys"]) if more["platform_keys"] else {}
    if not isinstance(extra, dict):
        raise ValueError("WECHATPAY_PLATFORM_KEYS must be a JSON object")
    verifiers = {str(serial): public_key_of(str(pem)) for serial, pem in extra.items()}
    verifiers[raw["platform_serial"]] = public
    return Keys(api_base=raw["api_base"].rstrip("/"), mch_id=raw["mch_id"], app_id=raw["app_id"],
                mch_serial=raw["mch_serial"], mch_private_key=private, platform_serial=raw["platform_serial"],
                platform_public_key=public, api_v3_key=api_v3_key, notify_url=raw["notify_url"],
                oa_app_id=more["oa_app_id"] or None, open_app_id=more["open_app_id"] or None,
                verifiers=MappingProxyType(verifiers))


def keys() -> Keys:
    """The stage's WeChat Pay configuration; 503 ``payments_not_configured`` when it is missing or unusable."""
    values = tuple(live(name) for name in ENV.values())
    if not all(values):
        raise AppError("payments_not_configured")
    optional = tuple(live(name) for name in OPTIONAL_ENV.values())
    try:
        return _parse(values, optional)
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


def jsapi_params(k: Keys, app_id: str, prepay_id: str, timestamp: int, nonce: str | None = None) -> dict[str, str]:
    """What ``wx.requestPayment`` (mini-program) or ``WeixinJSBridge`` (official account) takes: paySign over
    appId, timeStamp, nonceStr, package, with the app ID the order was placed under."""
    nonce = nonce or secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    pay_sign = sign(k.mch_private_key, f"{app_id}\n{timestamp}\n{nonce}\n{package}\n")
    return {"appId": app_id, "timeStamp": str(timestamp), "nonceStr": nonce, "package": package,
            "signType": "RSA", "paySign": pay_sign}


def app_params(k: Keys, app_id: str, prepay_id: str, timestamp: int, nonce: str | None = None) -> dict[str, str]:
    """What the WeChat OpenSDK's ``PayReq`` takes in the native app: sign over appid, timestamp, noncestr, prepayid
    (the bare prepay_id: APP pay's package is the constant ``Sign=WXPay``)."""
    nonce = nonce or secrets.token_hex(16)
    signature = sign(k.mch_private_key, f"{app_id}\n{timestamp}\n{nonce}\n{prepay_id}\n")
    return {"appid": app_id, "partnerid": k.mch_id, "prepayid": prepay_id, "package": "Sign=WXPay",
            "noncestr": nonce, "timestamp": str(timestamp), "sign": signature}


def decrypt(api_v3_key: bytes, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    return AESGCM(api_v3_key).decrypt(nonce.encode(), base64.b64decode(ciphertext, validate=True),
                                      associated_data.encode() if associated_data else None)


SIGNATURE_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")
KeyLookup = Callable[[str], "rsa.RSAPublicKey | None"]


def require_signature_headers(headers: Mapping[str, str]) -> None:
    """401 ``payment_signature_invalid`` unless the four signature headers are there (lower-cased names)."""
    if not all(headers.get(name) for name in SIGNATURE_HEADERS) or not headers["wechatpay-timestamp"].isdigit():
        raise AppError("payment_signature_invalid")


def signed_by_wechat_pay(headers: Mapping[str, str], body: bytes, key_for: KeyLookup) -> bool:
    """True when ``body`` carries WeChat Pay's signature (``Wechatpay-*`` headers, lower-cased names) under a key
    we hold for its ``Wechatpay-Serial``: the check of a notification and of every 2xx answer. A signature type other
    than WeChat Pay's RSA one is refused."""
    timestamp = headers.get("wechatpay-timestamp", "")
    nonce = headers.get("wechatpay-nonce", "")
    signature = headers.get("wechatpay-signature", "")
    serial = headers.get("wechatpay-serial", "")
    if headers.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
        return False
    if not (timestamp.isdigit() and nonce and signature and serial):
        return False
    key = key_for(serial)
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    return key is not None and verify(key, message, signature)


def open_notification(k: Keys, headers: Mapping[str, str], body: bytes, now_epoch: int,
                      key_for: KeyLookup | None = None) -> dict[str, Any]:
    """The decrypted ``resource`` of an authentic, fresh notification, plus its ``event_type``.

    ``key_for`` finds the platform key of the notification's serial (default: the configured ones). 401
    ``payment_signature_invalid`` (a forged or altered body, an unknown serial), 401 ``payment_notification_stale``
    (more than 5 minutes off), 400 ``payment_notification_invalid``.
    """
    if not signed_by_wechat_pay(headers, body, key_for or k.verifiers.get):
        raise AppError("payment_signature_invalid")
    if abs(now_epoch - int(headers["wechatpay-timestamp"])) > MAX_SKEW_SECONDS:
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
