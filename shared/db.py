"""Database helpers: one engine per service, its own schema (PostgreSQL) or file (SQLite).

Nothing is created at import time; the service runtime builds the engine in its lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path

from sqlalchemy import DateTime, TypeDecorator, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.settings import Settings

log = logging.getLogger("lazo.db")


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out. SQLite keeps no offset, so everything is stored as UTC
    (an event's `+02:00` time becomes its UTC instant) and read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(settings: Settings, service: str) -> AsyncEngine:
    # hide_parameters: a database error's text (which reaches logs) never quotes the values bound,
    # which may be a customer's email, name or comment.
    url = settings.database_url_of(service)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside the one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    schema = settings.schema_of(service)
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_timeout=5,
        connect_args={"server_settings": {"search_path": schema}, "timeout": 5, "command_timeout": 30},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def ping(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    async def _q() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(_q(), timeout)
        return True
    except Exception:
        return False


_sqlite_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _writer_turn(sessions: async_sessionmaker[AsyncSession]):
    """SQLite has one writer. Concurrent write transactions of one process would otherwise wait
    for its lock in the busy handler's sleeps (up to 100 ms each); queueing them on an asyncio
    lock keeps the writer busy instead. PostgreSQL takes them concurrently."""
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    lock = _sqlite_writers.get(engine.sync_engine)
    if lock is None:
        lock = _sqlite_writers[engine.sync_engine] = asyncio.Lock()
    return lock


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work that writes: commit on success, roll back on any error."""
    async with _writer_turn(sessions), sessions() as session:
        async with session.begin():
            yield session


async def migrate(settings: Settings, service: str, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the service's schema to the newest revision (Alembic), creating the schema first.

    Replicas starting together serialise on a PostgreSQL advisory lock.
    """
    from alembic import command
    from alembic.config import Config

    engine = make_engine(settings, service)
    schema = settings.schema_of(service)
    try:
        async with engine.connect() as conn:
            if is_postgres(engine):
                await conn.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": schema})
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await conn.commit()

            def _upgrade(sync_conn) -> None:
                cfg = Config()
                cfg.set_main_option("script_location", str(migrations_dir))
                cfg.attributes["connection"] = sync_conn
                cfg.attributes["settings"] = settings  # a data migration may need them (e.g. the sealing key)
                command.upgrade(cfg, revision)

            await conn.run_sync(_upgrade)
            await conn.commit()
            if is_postgres(engine):
                await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": schema})
                await conn.commit()
    finally:
        await engine.dispose()


def run_alembic_env(target_metadata) -> None:
    """Body of every service's `migrations/env.py`: migrate on the connection handed in."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()
