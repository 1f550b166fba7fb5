"""Secrets at rest (API keys, signing secrets): encrypted with a key derived from the app's secret key.

Fernet (AES-128-CBC with an HMAC) from `cryptography`, its key derived from `SV_SECRET_KEY` with HKDF, so a
database backup alone never reveals a provider's key. Changing `SV_SECRET_KEY` therefore makes every stored
secret unreadable: `decrypt` then answers None, the settings screen shows those secrets as not set and asks
for them again, and nothing ever sends a garbled key to a provider.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from config import get_settings

_INFO = b'svcrm settings secrets v1'


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _current() -> Fernet:
    return _fernet(get_settings().secret())


def encrypt(plaintext: str) -> str:
    """The secret as text safe to store (a Fernet token, different on every call)."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str | None:
    """The stored secret, or None when it was encrypted under another secret key (or is not a token at all)."""
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
