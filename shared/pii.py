"""Personal data: AES-GCM encryption at rest, a keyed blind index for exact lookup, masks for display and logs.

Tokens are versioned (``v1:<base64 nonce + ciphertext>``) so a later key or algorithm can be rolled in
beside the old one. The blind index is HMAC-SHA256 over a normalised value, so "1381234 5678" and
"+8613812345678" find the same person without the store ever holding the number in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
_NONCE_BYTES = 12
_ENCRYPTION_INFO = b"gridgov/pii/aes-gcm/v1"
_INDEX_INFO = b"gridgov/pii/blind-index/v1"
_SALT = b"gridgov-pii"

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidPiiToken(ValueError):
    """A token that is not ours, was tampered with, or was encrypted under another key."""


class InvalidPiiKey(ValueError):
    """A configured PII key that is not base64 of 16, 24 or 32 bytes."""


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(material)


def keys_from_secret(secret: str, pii_key_b64: str = "") -> tuple[bytes, bytes]:
    """(encryption key, blind-index key): the explicit key when set, else both derived from ``secret``."""
    if pii_key_b64:
        try:
            encryption_key = base64.b64decode(pii_key_b64, validate=True)
        except ValueError as error:
            raise InvalidPiiKey("GRIDGOV_PII_KEY is not valid base64") from error
        if len(encryption_key) not in (16, 24, 32):
            raise InvalidPiiKey("GRIDGOV_PII_KEY must decode to 16, 24 or 32 bytes")
        return encryption_key, _hkdf(encryption_key, _INDEX_INFO)
    material = secret.encode("utf-8")
    return _hkdf(material, _ENCRYPTION_INFO), _hkdf(material, _INDEX_INFO)


def encrypt(plaintext: str, *, key: bytes) -> str:
    """Encrypt with a fresh random nonce; equal plaintexts give different tokens."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), VERSION.encode())
    return f"{VERSION}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str, *, key: bytes) -> str:
    """The plaintext of ``token``; raises :class:`InvalidPiiToken` when it cannot be authenticated."""
    version, _, body = token.partition(":")
    if version != VERSION or not body:
        raise InvalidPiiToken(f"unsupported PII token version '{version}'")
    try:
        raw = base64.b64decode(body, validate=True)
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], VERSION.encode())
    except Exception as error:  # binascii.Error, InvalidTag, ValueError: all mean "not readable"
        raise InvalidPiiToken("PII token cannot be decrypted with this key") from error
    return plain.decode("utf-8")


def normalise(value: str) -> str:
    """Drop spaces, dashes and brackets, upper-case (ID check digit 'x'), drop a +86/0086 prefix."""
    compact = _SEPARATORS.sub("", value).upper()
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix) and len(compact) == len(prefix) + 11:
            return compact[len(prefix):]
    return compact


def blind_index(value: str, *, key: bytes) -> str:
    """Hex HMAC-SHA256 of the normalised value: equal inputs match, the value itself is not recoverable."""
    return hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()


def mask_name(name: str) -> str:
    """Keep the family name: 张三 → 张*, 欧阳娜娜 → 欧***."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile number; other numbers keep only their last four digits."""
    compact = normalise(phone)
    if len(compact) == 11:
        return f"{compact[:3]}****{compact[7:]}"
    return "*" * max(len(compact) - 4, 0) + compact[-4:]


def mask_id_number(id_number: str) -> str:
    """330903********1234 for a resident ID; other documents keep two characters at each end."""
    compact = normalise(id_number)
    if len(compact) == 18:
        return f"{compact[:6]}{'*' * 8}{compact[14:]}"
    if len(compact) <= 4:
        return "*" * len(compact)
    return f"{compact[:2]}{'*' * (len(compact) - 4)}{compact[-2:]}"


def _looks_like_birth_date(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    return 1850 <= year <= 2199 and 1 <= month <= 12 and 1 <= day <= 31


def redact(text: str) -> str:
    """Mask resident ID numbers and mobile numbers inside free text (18-digit division codes are kept)."""

    def _id(match: re.Match[str]) -> str:
        if not _looks_like_birth_date(match.group(2)):
            return match.group(0)
        return f"{match.group(1)}{'*' * 8}{match.group(3)}"

    text = _ID_NUMBER.sub(_id, text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class PiiRedactingFilter(logging.Filter):
    """Rewrites each record's message so no ID number or mobile number reaches a handler in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
