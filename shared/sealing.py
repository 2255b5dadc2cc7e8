"""Sealing of secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`): ingest's
webhook sources' credentials and alerts' push subscriptions' signing secrets.

HMAC schemes need the secret itself to sign or verify, so those secrets are encrypted rather
than hashed. The key comes from `LAZO_SECRETS_KEY` (several, comma-separated, to rotate: the first
seals, all open); in development one is generated once into `var/secrets-key`, like the API key.
Every replica of ingest and alerts must share the key.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.secretfile import read_or_create
from shared.settings import Settings


class SealError(Exception):
    """A sealed secret that this key cannot open (the key changed without rotation)."""


class SecretBox:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secrets_key:
            return cls([k.strip() for k in settings.secrets_key.split(",") if k.strip()])
        return cls([_dev_key(settings.var_dir)])

    def seal(self, values: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise SealError("sealed secrets cannot be opened with the configured key (LAZO_SECRETS_KEY)") from None


def _dev_key(var_dir: Path) -> str:
    return read_or_create(var_dir / "secrets-key", lambda: Fernet.generate_key().decode())
