"""The secrets Lazo generates for development (the admin API key, `var/api-key`; ingest's key sealing
webhook credentials, `var/secrets-key`) are files readable by their owner only: created with mode
0600 from the start (never wider, whatever the umask), atomically, and the same for every process
that starts at once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROVISION = "from ops.provision import api_key; from shared.settings import Settings; print(api_key(Settings()))"
INGEST = (
    "from services.ingest.app import create_app; from shared.settings import Settings; "
    "create_app(Settings(api_keys='k-0123456789abcdef:admin'))"
)


def run(var: Path, code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZO_") and k != "DATABASE_URL"}
    env.update(LAZO_VAR_DIR=str(var), PYTHONPATH=str(ROOT))
    # umask 000: a file created with the default mode would be readable and writable by everyone.
    done = subprocess.run(
        [sys.executable, "-c", f"import os; os.umask(0); {code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_development_key_is_created_owner_only_and_shared(tmp_path):
    var = tmp_path / "var"
    with ThreadPoolExecutor(4) as pool:  # services starting together agree on one key
        keys = set(pool.map(lambda _: run(var, PROVISION), range(4)))
    assert len(keys) == 1 and (var / "api-key").read_text().strip() in keys
    assert mode(var / "api-key") == 0o600
    assert [p.name for p in var.iterdir()] == ["api-key"]  # no temporary file left behind


def test_the_generated_secrets_key_is_owner_only(tmp_path):
    var = tmp_path / "var"
    run(var, INGEST)
    assert mode(var / "secrets-key") == 0o600
    assert len((var / "secrets-key").read_text().strip()) == 44  # a Fernet key


def test_a_key_file_left_readable_by_an_older_version_is_narrowed(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "api-key").write_text("lazo_an-older-key\n")
    (var / "api-key").chmod(0o644)
    assert run(var, PROVISION) == "lazo_an-older-key"
    assert mode(var / "api-key") == 0o600
