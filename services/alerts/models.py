"""Alerts' own tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.messaging import Messaging, messaging_tables


class Base(DeclarativeBase):
    pass


InboxEvent, OutboxEvent = messaging_tables(Base)
messaging = Messaging(InboxEvent, OutboxEvent)
