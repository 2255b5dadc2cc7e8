"""Ingest's own metrics (the shared ones live in shared.metrics)."""

from prometheus_client import Counter

WEBHOOKS = Counter("lazo_webhooks_total", "Platform webhooks by outcome", ["platform", "outcome"])
FETCHES = Counter("lazo_webhook_fetches_total", "Platform API fetches by outcome", ["platform", "outcome"])
