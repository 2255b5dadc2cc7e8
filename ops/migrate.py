"""`python -m ops.migrate [service ...]`: bring services' schemas to their newest revision, then exit.

Every service also migrates itself when it boots (replicas serialise on an advisory lock), so this
is not required; deployments run it once before a rollout (compose's `setup`, the Kubernetes Job)
so that a failing migration stops the rollout in one visible place instead of in every pod.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from importlib.util import find_spec
from pathlib import Path

from shared.db import migrate
from shared.settings import SERVICES, Settings


def migrations_of(service: str) -> Path:
    """The service's Alembic folder, found without importing (and so starting nothing of) the service."""
    spec = find_spec(f"services.{service}")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"no service package services.{service}")
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


async def migrate_all(settings: Settings, services: list[str]) -> None:
    for service in services:
        await migrate(settings, service, migrations_of(service))
        where = settings.schema_of(service) if settings.is_postgres else settings.database_url_of(service)
        print(f"{service}: migrated ({where})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.migrate", description="Bring the services' schemas to their newest revision, then exit."
    )
    parser.add_argument("services", nargs="*", metavar="service", help=f"any of {', '.join(SERVICES)} (default: all)")
    args = parser.parse_args(argv)
    if unknown := [s for s in args.services if s not in SERVICES]:
        parser.error(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    asyncio.run(migrate_all(Settings(), args.services or list(SERVICES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
