"""A fault inside a service's own database: it refuses to insert one row (a trigger), as a bug or a
constraint in the handler's path would, until the fault is removed. SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def refused_insert(system, service: str, table: str, column: str, value: str):
    """Inserting a row whose `column` is `value` into `service`'s `table` fails while this is open.
    Yields a callable that removes the fault early (idempotent)."""
    name = f"refuse_{uuid.uuid4().hex[:8]}"
    literal = value.replace("'", "''")
    if system.database_url:
        schema = f"{system.schema_prefix}{service}"
        dsn = system.database_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'''
            CREATE FUNCTION "{schema}".{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.{column} = '{literal}' THEN RAISE EXCEPTION 'refused by a test fault'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON "{schema}".{table}
                FOR EACH ROW EXECUTE FUNCTION "{schema}".{name}();''')

        async def remove() -> None:
            await conn.execute(
                f'DROP TRIGGER IF EXISTS {name} ON "{schema}".{table}; DROP FUNCTION IF EXISTS "{schema}".{name}();'
            )

        try:
            yield remove
        finally:
            await remove()
            await conn.close()
    else:
        path = system.workdir / "var" / f"{service}.db"

        def execute(sql: str) -> None:
            with sqlite3.connect(path, timeout=30) as db:
                db.execute(sql)

        execute(
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = '{literal}' "
            f"BEGIN SELECT RAISE(ABORT, 'refused by a test fault'); END"
        )

        async def remove() -> None:
            execute(f"DROP TRIGGER IF EXISTS {name}")

        try:
            yield remove
        finally:
            await remove()
