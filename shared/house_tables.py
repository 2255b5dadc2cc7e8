"""The tables every service keeps beside its own, declared on its declarative base in one call:
the inbox and outbox (shared.messaging), dead letters (shared.deadletters) and erasure tombstones
(shared.tombstones)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.orm import DeclarativeBase

from shared.deadletters import dead_letter_table
from shared.messaging import Messaging, messaging_tables
from shared.tombstones import tombstone_tables


class HouseTables(NamedTuple):
    inbox: type
    outbox: type
    dead_letters: type
    messaging: Messaging
    tombstones: tuple[type, type]


def house_tables(base: type[DeclarativeBase]) -> HouseTables:
    inbox, outbox = messaging_tables(base)
    dead_letters = dead_letter_table(base)
    return HouseTables(inbox, outbox, dead_letters, Messaging(inbox, outbox, dead_letters), tombstone_tables(base))
