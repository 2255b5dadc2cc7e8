"""Contact-centre subscription secrets are sealed at rest, like ingest's source credentials: new
ones when stored, and the plaintext ones of an older database by the migration that introduced
sealing (revision 0004_ssrf_sealed_secrets), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet

from shared.db import UtcDateTime, make_engine, migrate
from shared.sealing import SecretBox
from shared.settings import Settings
from services.alerts.app import MIGRATIONS


def settings_of(system) -> Settings:
    return Settings(
        database_url=system.database_url, schema_prefix=system.schema_prefix, var_dir=system.workdir / "var"
    )


async def stored_subscription_secret(system, subscription_id: str) -> str | None:
    """What alerts' database holds for a subscription's secret (read directly: no API returns it)."""
    engine = make_engine(settings_of(system), "alerts")
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    sa.text("SELECT secret_sealed FROM subscriptions WHERE id = :id"), {"id": subscription_id}
                )
            ).scalar_one_or_none()
    finally:
        await engine.dispose()


async def drop_schema(settings: Settings) -> None:
    engine = make_engine(settings, "alerts")
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{settings.schema_of("alerts")}" CASCADE'))
    finally:
        await engine.dispose()


SUBSCRIPTIONS = sa.table(
    "subscriptions",
    sa.column("id", sa.String),
    sa.column("url", sa.String),
    sa.column("secret", sa.String),
    sa.column("event_types", sa.JSON),
    sa.column("programs", sa.JSON),
    sa.column("created_at", UtcDateTime),
    sa.column("created_by", sa.String),
)


async def test_the_migration_seals_the_plaintext_secrets_of_an_older_database(tmp_path):
    key = Fernet.generate_key().decode()
    database_url = os.environ.get("TEST_DATABASE_URL")
    prefix = f"m{uuid.uuid4().hex[:8]}_"
    settings = Settings(database_url=database_url, schema_prefix=prefix, var_dir=tmp_path, secrets_key=key)
    plaintext = {f"sub_{n}": f"an-old-plaintext-secret-{n}-{uuid.uuid4().hex}" for n in range(3)}
    try:
        await migrate(settings, "alerts", MIGRATIONS, revision="0002")
        engine = make_engine(settings, "alerts")
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    SUBSCRIPTIONS.insert(),
                    [
                        {
                            "id": sub,
                            "url": "https://cc.example.com/hook",
                            "secret": secret,
                            "event_types": ["lazo.alert.raised"],
                            "programs": None,
                            "created_at": datetime.now(UTC),
                            "created_by": "manager:test",
                        }
                        for sub, secret in plaintext.items()
                    ],
                )
            await migrate(settings, "alerts", MIGRATIONS)
            async with engine.connect() as conn:
                rows = dict((await conn.execute(sa.text("SELECT id, secret_sealed FROM subscriptions"))).all())
                columns = {
                    c["name"] for c in await conn.run_sync(lambda sync: sa.inspect(sync).get_columns("subscriptions"))
                }
        finally:
            await engine.dispose()
    finally:
        if database_url:
            await drop_schema(settings)
    assert "secret" not in columns and "secret_sealed" in columns
    assert set(rows) == set(plaintext)
    box = SecretBox([key])
    for sub, secret in plaintext.items():
        assert secret not in rows[sub]
        assert box.open(rows[sub]) == {"secret": secret}
