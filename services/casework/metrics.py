"""Casework's own metrics (the shared ones live in shared.metrics)."""

from prometheus_client import Counter

FOLLOW_UPS_UNMATCHED = Counter(
    "lazo_casework_follow_ups_unmatched_total",
    "Scored follow-up responses naming a case that is not one of that customer's (nothing to confirm)",
)
