"""Password hashing with bcrypt (cost 12).

bcrypt reads at most 72 bytes; every password is first reduced to a 44-byte SHA-256 digest in
base64, so long passphrases keep all of their strength and nothing is silently cut.
"""

from __future__ import annotations

import base64
import hashlib

import bcrypt

BCRYPT_COST = 12


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(BCRYPT_COST)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode())
    except ValueError:
        return False


# Checked against when the account does not exist, so both answers take the same time.
DUMMY_HASH = hash_password("no such account: equal-time comparison")
