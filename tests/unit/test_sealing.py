"""Source credentials at rest: sealed with the service's key, rotatable, never readable without it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from shared.sealing import SealError, SecretBox
from shared.settings import Settings


def test_sealed_credentials_open_only_with_the_key_and_survive_a_rotation():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox([old]).seal({"secret": "s3cret"})
    assert "s3cret" not in sealed
    assert SecretBox([old]).open(sealed) == {"secret": "s3cret"}
    rotated = SecretBox([new, old])  # the new key seals, the old still opens
    assert rotated.open(sealed) == {"secret": "s3cret"}
    assert SecretBox([new]).open(rotated.seal({"a": "b"})) == {"a": "b"}
    with pytest.raises(SealError):
        SecretBox([new]).open(sealed)


def test_settings_key_or_one_development_key_kept_in_var(tmp_path):
    key = Fernet.generate_key().decode()
    sealed = SecretBox.from_settings(Settings(secrets_key=key, var_dir=tmp_path)).seal({"x": "y"})
    assert SecretBox([key]).open(sealed) == {"x": "y"}
    first = SecretBox.from_settings(Settings(secrets_key=None, var_dir=tmp_path)).seal({"x": "y"})
    assert (tmp_path / "secrets-key").exists()
    assert SecretBox.from_settings(Settings(secrets_key=None, var_dir=tmp_path)).open(first) == {"x": "y"}
