"""Encryption at rest of personal numbers (identity numbers, phone numbers) with the national
algorithms, through the `cryptography` package:

- values: SM4 (GB/T 32907) in GCM mode (authenticated), a random 96-bit nonce per value, stored
  as text `<key id>:<base64(nonce | ciphertext | 128-bit tag)>`, e.g. `k1:q2V0...`; the key id
  says which key encrypted it, so keys can be rotated while the system runs
  (`manage.py rotate_field_key`);
- blind indexes: HMAC-SM3 (GB/T 32905) of the plain value under a separate index key, with the
  purpose ("id_number", "id_number_tail", "phone") mixed in, so that exact lookups, national
  deduplication and the uniqueness of identity numbers work on the index column without
  decrypting anything. The index key is not rotated with the encryption keys (an index made under
  another key would no longer match); see docs/SECURITY.md, "Encryption at rest".

Keys come from settings (the environment): `FIELD_ENCRYPTION_KEY` is one or more comma-separated
`<key id>:<32 hex digits>` (128-bit SM4 keys), the current key first, older keys after it for
reading what they encrypted; `FIELD_INDEX_KEY` is 64 hex digits (256 bits). The shared kernel:
imports no domain app.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
TAG_BYTES = 16
SM4_KEY_BYTES = 16
INDEX_KEY_BYTES = 32
KEY_ID = re.compile(r"^[a-z0-9]{1,16}$")
# The blind index of a whole value: 128 bits of the HMAC (hex); of the last digits: 64 bits.
INDEX_HEX = 32
TAIL_HEX = 16

# The keys of the embedded default (a laptop, a demo) and of the test suite: public, local only.
# Production settings refuse them (welfare/settings/production.py).
LOCAL_ENCRYPTION_KEY = "local1:000102030405060708090a0b0c0d0e0f"
LOCAL_INDEX_KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


class FieldDecryptionError(Exception):
    """A stored value that cannot be read with the keys configured."""


class UnknownKeyId(FieldDecryptionError):
    """The value names a key id that FIELD_ENCRYPTION_KEY does not hold."""

    def __init__(self, key_id: str):
        super().__init__(
            f"该数据由未配置的密钥 {key_id!r} 加密,无法解密:请在 FIELD_ENCRYPTION_KEY 中加入该密钥。 / "
            f"The value was encrypted under key id {key_id!r}, which FIELD_ENCRYPTION_KEY does not hold: add that key."
        )
        self.key_id = key_id


class CorruptValue(FieldDecryptionError):
    """Not a value of ours, altered, or encrypted under another key with the same id."""

    def __init__(self, key_id: str | None):
        super().__init__(
            f"该数据无法用密钥 {key_id!r} 解密(密钥不对或数据被改动)。 / "
            f"The value cannot be decrypted with key {key_id!r} (wrong key, or the value was altered)."
        )
        self.key_id = key_id


class CryptoUnsupported(ImproperlyConfigured):
    """The installed OpenSSL (through `cryptography`) lacks SM4-GCM or SM3."""


def _configuration_error(setting: str, problem_zh: str, problem_en: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{setting}:{problem_zh} / {setting}: {problem_en}")


def parse_encryption_keys(text: str | None) -> tuple[str, dict[str, bytes]]:
    """`k2:<hex>,k1:<hex>` → ("k2", {"k2": b"...", "k1": b"..."}): the current key id first.
    Raises ImproperlyConfigured, in Chinese and English, when missing or malformed."""
    setting = "FIELD_ENCRYPTION_KEY"
    text = (text or "").strip()
    if not text:
        raise _configuration_error(
            setting,
            "未设置字段加密密钥,系统拒绝启动。格式:k1:<32 位十六进制>(当前密钥在前,旧密钥用逗号隔开在后)。",
            "the field encryption key is not set; refusing to start. Format: k1:<32 hex digits> "
            "(the current key first, older keys after it, comma-separated).",
        )
    keys: dict[str, bytes] = {}
    current = ""
    for n, item in enumerate(part.strip() for part in text.split(",")):
        key_id, sep, hex_key = item.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID.match(key_id):
            raise _configuration_error(
                setting,
                f"第 {n + 1} 个密钥缺少密钥编号(1–16 位小写字母或数字,后跟冒号),例如 k1:<32 位十六进制>。",
                f"key {n + 1} lacks a key id (1-16 lower-case letters or digits and a colon), e.g. k1:<32 hex digits>.",
            )
        try:
            key = binascii.unhexlify(hex_key.strip())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != SM4_KEY_BYTES:
            raise _configuration_error(
                setting,
                f"密钥 {key_id} 必须是 32 位十六进制数字(128 位 SM4 密钥)。",
                f"key {key_id} must be 32 hex digits (a 128-bit SM4 key).",
            )
        if key_id in keys:
            raise _configuration_error(setting, f"密钥编号 {key_id} 重复。", f"key id {key_id} appears twice.")
        keys[key_id] = key
        current = current or key_id
    return current, keys


def parse_index_key(text: str | None) -> bytes:
    setting = "FIELD_INDEX_KEY"
    try:
        key = binascii.unhexlify((text or "").strip())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != INDEX_KEY_BYTES:
        raise _configuration_error(
            setting,
            "未设置或格式不对:必须是 64 位十六进制数字(256 位盲索引密钥),系统拒绝启动。",
            "missing or malformed: it must be 64 hex digits (a 256-bit blind-index key); refusing to start.",
        )
    return key


def new_encryption_key(key_id: str) -> str:
    """A fresh `<key id>:<hex>` for FIELD_ENCRYPTION_KEY."""
    if not KEY_ID.match(key_id):
        raise ValueError("key id: 1-16 lower-case letters or digits")
    return f"{key_id}:{os.urandom(SM4_KEY_BYTES).hex()}"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]
    index_key: bytes


@functools.cache
def _keyring(encryption: str, index: str) -> KeyRing:
    current, keys = parse_encryption_keys(encryption)
    return KeyRing(current_id=current, keys=keys, index_key=parse_index_key(index))


def keyring() -> KeyRing:
    """The keys of the settings in force (parsed once per distinct setting)."""
    from django.conf import settings

    return _keyring(settings.FIELD_ENCRYPTION_KEY, settings.FIELD_INDEX_KEY)


def encrypt(plain: str, *, ring: KeyRing | None = None) -> str:
    """`plain` under the current key: `<key id>:<base64(nonce | ciphertext | tag)>`."""
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(ring.keys[ring.current_id]), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plain.encode()) + encryptor.finalize()
    return f"{ring.current_id}:{base64.b64encode(nonce + body + encryptor.tag).decode('ascii')}"


def key_id_of(value: str | None) -> str | None:
    """The key id a stored value names (None for anything that is not an encrypted value)."""
    if not value:
        return None
    key_id, sep, _rest = value.partition(":")
    return key_id if sep and KEY_ID.match(key_id) else None


def decrypt(value: str, *, ring: KeyRing | None = None) -> str:
    """The plain text of a stored value. Raises UnknownKeyId or CorruptValue."""
    ring = ring or keyring()
    key_id = key_id_of(value)
    if key_id is None:
        raise CorruptValue(None)
    key = ring.keys.get(key_id)
    if key is None:
        raise UnknownKeyId(key_id)
    try:
        raw = base64.b64decode(value[len(key_id) + 1 :], validate=True)
    except (binascii.Error, ValueError):
        raise CorruptValue(key_id) from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise CorruptValue(key_id)
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    try:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except (InvalidTag, UnicodeDecodeError):
        raise CorruptValue(key_id) from None


def is_current(value: str, *, ring: KeyRing | None = None) -> bool:
    """Whether a stored value is under the current key (rotate_field_key re-encrypts the others)."""
    ring = ring or keyring()
    return key_id_of(value) == ring.current_id


@functools.cache
def _hmac_template(index_key: bytes) -> hmac.HMAC:
    return hmac.HMAC(index_key, hashes.SM3())


def blind_index(value: str, *, purpose: str, length: int = INDEX_HEX, ring: KeyRing | None = None) -> str:
    """HMAC-SM3 under the index key of `purpose` NUL `value`, as `length` hex digits. Equal plain
    values give equal indexes; without the index key nothing can be learnt from one."""
    ring = ring or keyring()
    mac = _hmac_template(ring.index_key).copy()
    mac.update(purpose.encode() + b"\x00" + value.encode())
    return mac.finalize().hex()[:length]


def check_support() -> None:
    """Refuse to start when the installed OpenSSL lacks SM4-GCM or SM3 (some builds leave them
    out): raises CryptoUnsupported with a message in Chinese and English."""
    try:
        from cryptography.hazmat.backends.openssl import backend

        key, nonce = bytes(SM4_KEY_BYTES), bytes(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        body = encryptor.update(b"check") + encryptor.finalize()
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, encryptor.tag)).decryptor()
        ok = decryptor.update(body) + decryptor.finalize() == b"check"
        mac = hmac.HMAC(bytes(INDEX_KEY_BYTES), hashes.SM3())
        mac.update(b"check")
        ok = ok and len(mac.finalize()) == 32
        version = backend.openssl_version_text()
    except Exception as exc:  # ImportError, UnsupportedAlgorithm, anything the build lacks
        raise CryptoUnsupported(
            "所安装的 cryptography/OpenSSL 不支持国密算法 SM4-GCM 或 SM3,系统拒绝启动(身份证号和电话号码需加密存储)。 / "
            f"The installed cryptography/OpenSSL lacks SM4-GCM or SM3; refusing to start "
            f"(identity and phone numbers are stored encrypted): {exc}"
        ) from exc
    if not ok:
        raise CryptoUnsupported(f"SM4-GCM/SM3 self-test failed ({version}). / SM4-GCM/SM3 自检失败。")
