"""Scoring's own metrics (the shared ones live in shared.metrics)."""

from prometheus_client import Counter

RESPONSE_CONFLICTS = Counter(
    "lazo_response_conflicts_total",
    "Responses received again under a response id already scored, with different content (the first is kept)",
)

COMMENT_ANALYSIS_FAILURES = Counter(
    "lazo_comment_analysis_failures_total",
    "Comments the configured analyzer failed on or answered outside the contract (scored without analysis)",
)
