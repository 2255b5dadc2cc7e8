"""Scoring's own metrics (the shared ones live in shared.metrics)."""

from prometheus_client import Counter

RESPONSE_CONFLICTS = Counter(
    "lazo_response_conflicts_total",
    "Responses received again under a response id already scored, with different content (the first is kept)")
