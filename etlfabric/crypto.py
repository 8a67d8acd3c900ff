"""Encryption of stored secrets (MultiFernet: the first key encrypts, every key decrypts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from etlfabric.config import get_settings
from etlfabric.errors import ConfigError


def _fernet() -> MultiFernet:
    keys = get_settings().fernet_key_list()
    if not keys:
        raise ConfigError("FERNET_KEYS is not set.")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ConfigError(
            "A stored secret cannot be decrypted with the configured FERNET_KEYS "
            "(was a key removed before rotation finished?)."
        ) from exc


def encrypt_json(value: dict) -> str:
    return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> dict:
    return json.loads(decrypt(token))


def rotate(token: str) -> str:
    """Re-encrypt with the first key (after a new key was put in front of FERNET_KEYS)."""
    return _fernet().rotate(token.encode()).decode()


def scram_sha256_verifier(password: str, *, iterations: int = 4096) -> str:
    """A PostgreSQL SCRAM-SHA-256 verifier, so a cleartext password never travels in SQL."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
