"""Lazo's roles, weakest first (CONTRACT.md): `admin` may do everything."""

ROLES = ("ingest", "agent", "manager", "admin")
