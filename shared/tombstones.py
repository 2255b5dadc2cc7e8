"""Tombstones: the customers a service has erased, remembered without their ids.

An erasure reaches what a service holds when the request arrives; events about the same customer
can still be on their way (in a topic behind the request, in another service's outbox, in a
platform's retry). Each service therefore keeps one row per erased customer, keyed by a keyed
one-way digest of the id, and its consumers erase any event for such a customer on arrival: they
drop it or keep it pseudonymised, record it (table `erased_on_arrival`, metric
`lazo_events_erased_on_arrival_total`) and log its event id only.

Why HMAC and not a plain SHA-256: customer ids are often emails or phone numbers, few enough to
hash every candidate; a digest keyed with a secret the database does not hold cannot be
reversed by guessing. The key is `LAZO_ERASURE_KEY` (several, comma-separated, newest first: all
are looked up, the first is written); in development one is generated once into
`var/erasure-key`. Every replica of a service must share it.

Concurrency. On PostgreSQL a consumer's transaction and an erasure's could otherwise cross: the
consumer finds no tombstone, the erasure sweeps before the consumer's rows are committed, and
the rows survive with the personal data. So consumers take a transaction-scoped advisory lock of
the service's schema in shared mode first (they run side by side) and an erasure takes it in
exclusive mode: it waits for the consumers in flight to commit, then sweeps what they wrote
(READ COMMITTED: each statement sees what was committed before it); consumers after it see its
tombstone. SQLite runs one writing transaction at a time (shared.db.transaction), which gives
the same order.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import String, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime, is_postgres
from shared.events import Envelope, utcnow
from shared.metrics import EVENTS_ERASED_ON_ARRIVAL
from shared.settings import Settings

log = logging.getLogger("lazo.erasure")

KEY_FILE = "erasure-key"


class CustomerDigest:
    """HMAC-SHA256 of a customer id under the service's erasure key(s), as hex."""

    def __init__(self, keys: Iterable[str]):
        self._keys = [k.encode() for k in keys if k]
        if not self._keys:
            raise ValueError("at least one erasure key is needed")

    @classmethod
    def from_settings(cls, settings: Settings) -> CustomerDigest:
        if settings.erasure_key:
            return cls(k.strip() for k in settings.erasure_key.split(",") if k.strip())
        return cls([_dev_key(settings.var_dir)])

    def __call__(self, customer_id: str) -> str:
        return self._mac(self._keys[0], customer_id)

    def every(self, customer_id: str) -> list[str]:
        """Under every key: tombstones written before a key rotation are still found."""
        return [self._mac(key, customer_id) for key in self._keys]

    @staticmethod
    def _mac(key: bytes, customer_id: str) -> str:
        # surrogatepass: an id is digested whatever it holds; it never fails an erasure.
        return hmac.new(key, customer_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _dev_key(var_dir: Path) -> str:
    path = var_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(secrets.token_hex(32) + "\n")
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # first writer wins: services starting together read the same key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def tombstone_tables(base: type[DeclarativeBase]) -> tuple[type, type]:
    """Declare the tombstones and the record of events erased on arrival on a service's base."""

    class ErasedCustomer(base):
        __tablename__ = "erased_customers"
        customer_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
        first_erased_at: Mapped[datetime] = mapped_column(UtcDateTime)
        last_erased_at: Mapped[datetime] = mapped_column(UtcDateTime)

    class ErasedOnArrival(base):
        """An event about an erased customer that arrived after the erasure, and what became of it."""

        __tablename__ = "erased_on_arrival"
        event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
        event_type: Mapped[str] = mapped_column(String(100))
        action: Mapped[str] = mapped_column(String(16))  # Action
        at: Mapped[datetime] = mapped_column(UtcDateTime)

    return ErasedCustomer, ErasedOnArrival


class Action:
    DROPPED = "dropped"  # nothing of it was kept: it would only have acted on the person
    PSEUDONYMISED = "pseudonymised"  # kept for the figures, under a pseudonym, without personal data


class ErasureGuard:
    """One service's tombstones, used inside the caller's transaction."""

    def __init__(self, service: str, tables: tuple[type, type], digest: CustomerDigest):
        self.service = service
        self._tombstone, self._arrival = tables
        self.digest = digest
        # Per schema: the services (and test runs) sharing one database do not wait for each other.
        key = f"hashtext(current_schema() || '.{self._tombstone.__tablename__}')"
        self._exclusive = text(f"SELECT pg_advisory_xact_lock({key})")
        self._shared = text(f"SELECT pg_advisory_xact_lock_shared({key})")

    async def exclude_consumers(self, session: AsyncSession) -> None:
        """First statement of an erasure's transaction: wait for the consumers in flight (PostgreSQL)."""
        if is_postgres(session.bind):
            await session.execute(self._exclusive)

    async def remember(self, session: AsyncSession, customer_id: str) -> None:
        now = utcnow()
        digest = self.digest(customer_id)
        row = await session.get(self._tombstone, digest)
        if row is None:
            session.add(self._tombstone(customer_digest=digest, first_erased_at=now, last_erased_at=now))
        else:
            row.last_erased_at = now

    async def wait_for_erasures(self, session: AsyncSession) -> None:
        """First statement of a transaction that may store personal data (PostgreSQL): an erasure
        in progress ends first; erasures after it wait for this transaction to commit."""
        if is_postgres(session.bind):
            await session.execute(self._shared)

    async def erased(self, session: AsyncSession, customer_ids: Iterable[str]) -> set[str]:
        """Which of these customers were erased. Call it before the transaction writes anything."""
        ids = {c for c in customer_ids if c}
        await self.wait_for_erasures(session)
        if not ids:
            return set()
        by_digest = {d: c for c in ids for d in self.digest.every(c)}
        found = await session.scalars(
            select(self._tombstone.customer_digest).where(self._tombstone.customer_digest.in_(by_digest))
        )
        return {by_digest[d] for d in found}

    async def record(self, session: AsyncSession, envelopes: Iterable[Envelope], action: str) -> None:
        """Keep a trace of events erased on arrival: their ids and types, never their content."""
        rows = {
            e.id: {"event_id": e.id[:200], "event_type": e.type[:100], "action": action, "at": utcnow()}
            for e in envelopes
        }
        if not rows:
            return
        known = set(
            await session.scalars(
                select(self._arrival.event_id).where(self._arrival.event_id.in_([r["event_id"] for r in rows.values()]))
            )
        )
        fresh = [r for r in rows.values() if r["event_id"] not in known]
        if fresh:
            await session.execute(insert(self._arrival), fresh)
        for row in rows.values():
            EVENTS_ERASED_ON_ARRIVAL.labels(self.service, row["event_type"], action).inc()
            log.info(
                "%s: event %s (%s) is about an erased customer: %s on arrival",
                self.service,
                row["event_id"],
                row["event_type"],
                action,
            )


def main(argv: list[str]) -> int:
    """`python -m shared.tombstones digest <customer id>`: the digest an operator or auditor looks up
    (`SELECT * FROM erased_customers WHERE customer_digest = ...`), with this environment's key."""
    if len(argv) != 2 or argv[0] != "digest":
        print("usage: python -m shared.tombstones digest <customer id>", file=sys.stderr)
        return 2
    print(CustomerDigest.from_settings(Settings())(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
