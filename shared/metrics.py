"""Prometheus metrics shared by all services (one registry per process: the default one)."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("lazo_http_requests_total", "HTTP requests", ["service", "route", "method", "status"])
HTTP_LATENCY = Histogram(
    "lazo_http_request_seconds",
    "HTTP request latency",
    ["service", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_CONSUMED = Counter("lazo_events_consumed_total", "Events applied by a consumer", ["group", "type"])
EVENTS_DEADLETTERED = Counter("lazo_events_deadlettered_total", "Events sent to the dead-letter topic", ["group"])
CONSUMER_RETRIES = Counter("lazo_consumer_retries_total", "Batches retried after a failure", ["group", "kind"])
CONSUMER_STALLED = Gauge("lazo_consumer_stalled", "1 while a consumer waits for a dependency", ["group"])
EVENTS_PUBLISHED = Counter("lazo_events_published_total", "Events acknowledged by the broker", ["service", "topic"])
EVENTS_ERASED_ON_ARRIVAL = Counter(
    "lazo_events_erased_on_arrival_total",
    "Events about an erased customer that arrived after the erasure",
    ["service", "type", "action"],
)
ERASURES_APPLIED = Counter("lazo_erasures_applied_total", "Erasure requests a service has carried out", ["service"])

# A relay or consumer that is stuck or falling behind (shared.health says when /readyz turns 503).
OUTBOX_OLDEST_AGE = Gauge(
    "lazo_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row (0 when the outbox is empty)",
    ["service"],
)
OUTBOX_SET_ASIDE = Counter(
    "lazo_outbox_set_aside_total",
    "Outbox rows the broker can never take, moved to the dead letters",
    ["service", "topic", "error"],
)
CONSUMER_LAG = Gauge(
    "lazo_consumer_lag",
    "Records not yet consumed: the partition's highwater minus the position",
    ["group", "topic", "partition"],
)
DEAD_LETTERS_PENDING = Gauge(
    "lazo_dead_letters_pending", "Dead letters waiting to be replayed or discarded", ["service"]
)
DEAD_LETTER_REPLAYS = Counter(
    "lazo_dead_letter_replays_total", "Dead-letter replays asked for over HTTP", ["service", "kind", "result"]
)
AUDIT_RECORDS = Counter(
    "lazo_audit_records_total", "Audit records written (reads of personal data, changes)", ["service", "kind"]
)
AUDIT_FAILURES = Counter("lazo_audit_failures_total", "Audit records that could not be written", ["service"])
