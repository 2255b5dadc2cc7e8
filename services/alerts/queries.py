"""The read side: rules, alerts, subscriptions and deliveries, straight from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shared.errors import NotFound
from services.alerts.domain.rules import DEFAULT_RULES, AlertRules
from services.alerts.models import Alert, AlertRuleSet, Delivery, Subscription


def rules_of(row: AlertRuleSet) -> AlertRules:
    return AlertRules(**{field: getattr(row, field) for field in AlertRules.model_fields})


@dataclass(frozen=True)
class RulesView:
    program: str
    rules: AlertRules
    updated_at: datetime | None = None
    updated_by: str | None = None


async def get_rules(session: AsyncSession, program: str) -> RulesView:
    """Every programme has rules: the defaults until someone changes them."""
    row = await session.get(AlertRuleSet, program)
    if row is None:
        return RulesView(program, DEFAULT_RULES)
    return RulesView(program, rules_of(row), row.updated_at, row.updated_by)


@dataclass(frozen=True)
class AlertFilter:
    customer_id: str | None = None
    program: str | None = None
    reason: str | None = None
    control_group: bool | None = None
    raised_from: datetime | None = None
    raised_to: datetime | None = None

    def apply(self, query: Select) -> Select:
        if self.customer_id is not None:
            query = query.where(Alert.customer_id == self.customer_id)
        if self.program is not None:
            query = query.where(Alert.program == self.program)
        if self.reason is not None:
            # reasons is "a,b,c": match a whole name, portable across SQLite and PostgreSQL
            query = query.where((literal(",") + Alert.reasons + literal(",")).like(f"%,{self.reason},%"))
        if self.control_group is not None:
            query = query.where(Alert.control_group == self.control_group)
        if self.raised_from is not None:
            query = query.where(Alert.raised_at >= self.raised_from)
        if self.raised_to is not None:
            query = query.where(Alert.raised_at < self.raised_to)
        return query


async def list_alerts(session: AsyncSession, where: AlertFilter, *, limit: int, offset: int) -> tuple[list[Alert], int]:
    total = await session.scalar(where.apply(select(func.count()).select_from(Alert)))
    page = await session.scalars(
        where.apply(select(Alert))
        .options(selectinload(Alert.attached))
        .order_by(Alert.raised_at.desc(), Alert.submitted_at.desc(), Alert.alert_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(page), int(total or 0)


async def get_alert(session: AsyncSession, alert_id: str) -> Alert:
    alert = await session.scalar(select(Alert).where(Alert.alert_id == alert_id).options(selectinload(Alert.attached)))
    if alert is None:
        raise NotFound(f"no alert '{alert_id}'")
    return alert


async def list_subscriptions(session: AsyncSession) -> list[Subscription]:
    return list(
        await session.scalars(
            select(Subscription)
            .where(Subscription.deleted_at.is_(None))
            .order_by(Subscription.created_at, Subscription.id)
        )
    )


async def get_subscription(session: AsyncSession, subscription_id: str) -> Subscription:
    sub = await session.get(Subscription, subscription_id)
    if sub is None or sub.deleted_at is not None:
        raise NotFound(f"no subscription '{subscription_id}'")
    return sub


async def list_deliveries(
    session: AsyncSession, subscription_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[list[Delivery], int]:
    await get_subscription(session, subscription_id)
    where = [Delivery.subscription_id == subscription_id]
    if status is not None:
        where.append(Delivery.status == status)
    total = await session.scalar(select(func.count()).select_from(Delivery).where(*where))
    page = await session.scalars(
        select(Delivery)
        .where(*where)
        .options(selectinload(Delivery.attempts))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(page), int(total or 0)


# -- export ------------------------------------------------------------------------------------


async def export_page(
    session: AsyncSession,
    *,
    program: str | None,
    start: datetime | None,
    end: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The next `limit` alerts raised in the period (and programme), in (raised_at, alert_id) order
    after `after` (keyset: every page costs the same however deep into the export)."""
    query = select(*(c for c in Alert.__table__.columns))
    if program is not None:
        query = query.where(Alert.program == program)
    if start is not None:
        query = query.where(Alert.raised_at >= start)
    if end is not None:
        query = query.where(Alert.raised_at < end)
    if after is not None:
        at, alert_id = after
        # The `>=` alone is what an index on raised_at can seek to; the rest breaks the ties.
        query = query.where(Alert.raised_at >= at, or_(Alert.raised_at > at, Alert.alert_id > alert_id))
    rows = await session.execute(query.order_by(Alert.raised_at, Alert.alert_id).limit(limit))
    return [dict(row._mapping) for row in rows]
