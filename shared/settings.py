"""The one settings object. Every knob comes from the environment (or an optional `.env`)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import limits

SERVICES = ("ingest", "scoring", "alerts", "casework", "surveys")
# Bind addresses a browser on the same machine reaches as 127.0.0.1 or localhost.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::", "::1"})


class Settings(BaseSettings):
    # Every setting is LAZO_<FIELD NAME> in the environment, but for the broker's and the database's,
    # which keep the names their ecosystems use (KAFKA_*, DATABASE_URL).
    model_config = SettingsConfigDict(env_file=".env", env_prefix="LAZO_", extra="ignore", populate_by_name=True)

    @classmethod
    def env_names(cls) -> frozenset[str]:
        """The environment variables Settings reads."""
        return frozenset(
            name
            for field_name, field in cls.model_fields.items()
            for name in (
                getattr(field.validation_alias, "choices", None)
                or (f"{cls.model_config['env_prefix']}{field_name.upper()}",)
            )
        )

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"))
    # Apache Kafka supports idempotent producers; the embedded Tansu broker does not
    # (no InitProducerId), so `make run` and the tests switch it off.
    kafka_idempotence: bool = True
    kafka_partitions: int = 6
    kafka_replication: int = 1
    # How long a request may wait for the broker before it is answered 503.
    publish_timeout_s: float = 5.0
    # How every Kafka client (producer, consumers, admin) authenticates to the broker and encrypts
    # (aiokafka's names; docs/operations.md, "Securing the broker"). PLAINTEXT only on a private
    # development network; SASL_SSL (SCRAM) or SSL with a client certificate (mTLS) in production.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, validation_alias=AliasChoices("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD"))
    kafka_ssl_cafile: Path | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE"))
    kafka_ssl_certfile: Path | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_CERTFILE"))
    kafka_ssl_keyfile: Path | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_KEYFILE"))
    # The largest event (key, value and record overhead) the producer sends: its max_request_size.
    # Keep it at or below the broker's message.max.bytes (Kafka's default: 1 MiB plus 12 bytes).
    # A larger event is refused before it is sent: an HTTP request gets a 4xx, an outbox row is
    # set aside as a dead letter (shared.outbox) instead of blocking the rows behind it.
    max_event_bytes: int = Field(1024 * 1024, ge=1024)
    # /readyz turns 503 when the oldest unpublished outbox row is older than this, or when a
    # consumer with records waiting has made no progress for as long (shared.health).
    outbox_stuck_after_s: float = Field(60.0, gt=0)
    consumer_stuck_after_s: float = Field(60.0, gt=0)

    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL"))
    # Prefix of each service's PostgreSQL schema; tests use it to run in isolation.
    schema_prefix: str = ""
    var_dir: Path = Path("var")

    api_keys: str | None = None
    # ingest: Fernet key(s) sealing webhook sources' credentials, comma-separated, newest first
    # (older keys still open what they sealed). Unset: a key generated once in var/ (development).
    secrets_key: str | None = None
    # Every service: key(s) of the HMAC that remembers erased customers without their ids
    # (shared.tombstones), comma-separated, newest first. Unset: one generated once in var/.
    erasure_key: str | None = None
    # How long the topics Lazo creates keep events (hours): the longest an erased customer's data
    # can stay on the broker after the erasure (docs/privacy.md). Not for lazo.programs.v1 (compacted).
    topic_retention_h: float = Field(168.0, gt=0)

    host: str = "127.0.0.1"
    ingest_port: int = 8001
    scoring_port: int = 8002
    alerts_port: int = 8003
    casework_port: int = 8004
    surveys_port: int = 8005
    # Browser origins allowed to call the APIs (comma-separated, or `*`): the ops dashboard is served
    # by casework and reads the other services cross-origin. Unset: casework's own origin(s).
    cors_origins: str | None = None

    # The longest comment a response may carry (shared.limits bounds the rest of a response).
    max_comment_chars: int = Field(limits.COMMENT_CHARS_DEFAULT, ge=1, le=limits.COMMENT_CHARS_CEILING)
    # A response's `submitted_at`: not before this date, nor more than this many hours after it
    # reached Lazo. Outside: 422 at ingest (a year-1 or year-2999 date is a mistake, not a response).
    submitted_at_earliest: date = Field(limits.SUBMITTED_EARLIEST_DEFAULT)
    submitted_at_max_ahead_h: float = Field(limits.SUBMITTED_AHEAD_DEFAULT_H, ge=0, le=24 * 366)
    # ingest: requests per second per API key (token bucket; 0 = no limit) and the burst allowed above
    # it (unset: one second's worth). Per process: N ingest replicas let a key make N times as many.
    rate_limit_per_s: float = Field(2000.0, ge=0)
    rate_limit_burst: int | None = Field(None, ge=1)
    max_batch: int = 1000
    # Every service: failed authentications (401) one client address may make at once, and then per
    # minute, before it is answered 429 (shared.http.throttle; a valid key always passes). 0 = off.
    auth_failures_burst: int = Field(30, ge=1)
    auth_failures_per_min: float = Field(30.0, ge=0)
    # ingest: how long a Typeform or Tally delivery's event id is remembered, refusing a replay of it.
    # Longer than the platforms' own retries (Typeform: 10 h; Tally: about 31 h).
    webhook_replay_window_h: float = Field(168.0, gt=0)
    # scoring: the comment analyzer. `builtin` (Lazo's lexicon analyzer, offline), `off` (comments
    # are kept but not analysed), or a company's own as `package.module:Class` (or a dotted path),
    # a class taking no arguments that implements services.scoring.domain.comments.CommentAnalyzer.
    comment_analyzer: str = Field("builtin", min_length=1, max_length=200)
    log_level: str = "INFO"
    # casework: how often the SLA watch looks for newly overdue cases (tests make it short).
    sla_check_interval_s: float = Field(60.0, gt=0)

    # Push delivery of alert events (alerts service): first retry wait (doubling, capped at 1 h),
    # how long a delivery is retried before it is marked failed, and the per-request timeout.
    delivery_backoff_s: float = Field(1.0, gt=0)
    delivery_max_age_h: float = Field(24.0, gt=0)
    delivery_timeout_s: float = Field(5.0, gt=0)

    # alerts: where chat alerts' "Open the case" buttons point (the ops dashboard casework serves).
    # Unset: casework's own URL (`http://<LAZO_HOST>:<LAZO_CASEWORK_PORT>/dashboard/`).
    dashboard_url: str | None = Field(None, max_length=500)
    # TEST ONLY: a receiver on loopback may stand in for hooks.slack.com or a Teams workflow host
    # (alerts' slack/teams subscriptions). Never set it in production.
    test_chat_loopback: bool = False

    # Outbound calls (shared.outbound): loopback, private (RFC 1918, CGNAT, ULA) and local names are
    # refused unless this is on (a contact centre on premises; the tests' local receivers). Metadata,
    # link-local and reserved addresses are refused whatever it says.
    allow_private_targets: bool = False
    # Most bytes of a platform API's answer read into memory (a push's answer: at most 64 KiB, unread beyond).
    outbound_max_bytes: int = Field(8 << 20, ge=1024, le=256 << 20)

    # surveys: how often the planner runs a round (invitations due, reminders, expiries); the
    # clock it plans by: `system`, or `manual` (demos and tests move it with PUT /v1/clock);
    # key(s) signing invitation and unsubscribe tokens, comma-separated, newest first (unset: one
    # generated once in var/); the public https address unsubscribe links point at; how many days
    # apart a customer may be surveyed across programmes (0: no limit).
    planner_every_s: float = Field(60.0, gt=0)
    surveys_clock: Literal["system", "manual"] = "system"
    survey_token_keys: str | None = None
    surveys_public_url: str = Field("https://surveys.example.com")
    contact_frequency_days: int = Field(30, ge=0, le=365)
    # surveys: SMTP server invitations are sent through (smtp://user:pass@host:port, smtps://…);
    # unset: nothing is sent, the log says how each invitation would go.
    smtp_url: str | None = None
    smtp_from: str = "encuestas@example.com"

    # OpenID Connect access tokens (shared.http.oidc), beside API keys: unset issuer = API keys only.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    # Unset: the `jwks_uri` of the issuer's discovery document (/.well-known/openid-configuration).
    oidc_jwks_url: str | None = None
    # Where the role is in the token: a claim name, dotted for nested claims (`realm_access.roles`);
    # a string or a list of strings, each a Lazo role or a name LAZO_OIDC_ROLE_MAP maps to one.
    oidc_role_claim: str = Field("lazo_role", min_length=1, max_length=200)
    oidc_role_map: str = ""
    # The owner teams an agent's token works for (a string or a list); none: every team's cases.
    oidc_teams_claim: str = Field("lazo_teams", min_length=1, max_length=200)
    oidc_algorithms: str = Field("RS256,ES256")
    oidc_leeway_s: float = Field(30.0, ge=0, le=300)
    # A token signed by a key not in the cached key set refetches it, at most once per this long.
    oidc_jwks_refresh_min_s: float = Field(60.0, ge=0, le=3600)
    oidc_jwks_max_age_s: float = Field(3600.0, gt=0, le=86400)
    # The dashboard signs in with the provider (authorization code with PKCE) as this public client,
    # registered there with the dashboard's URL as its redirect URI; unset: API keys only.
    oidc_dashboard_client_id: str | None = Field(None, max_length=200)
    # What the dashboard asks for: the scope (and audience, where the provider takes one) that gets an
    # access token for LAZO_OIDC_AUDIENCE.
    oidc_dashboard_scope: str = Field("openid", max_length=500)
    # The provider on loopback or a private network (http allowed there): tests, an on-premise
    # provider. Separate from LAZO_ALLOW_PRIVATE_TARGETS: pushes to private hosts must not open this.
    oidc_allow_private: bool = False

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL_"):
            missing = [
                name
                for name, value in (
                    ("KAFKA_SASL_MECHANISM", self.kafka_sasl_mechanism),
                    ("KAFKA_SASL_USERNAME", self.kafka_sasl_username),
                    ("KAFKA_SASL_PASSWORD", self.kafka_sasl_password),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs {', '.join(missing)}")
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("LAZO_OIDC_ISSUER needs LAZO_OIDC_AUDIENCE (the audience Lazo's tokens are issued for)")
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (a client certificate and its key)")
        return self

    def port_of(self, service: str) -> int:
        return getattr(self, f"{service}_port")

    def base_url_of(self, service: str) -> str:
        return f"http://{self.host}:{self.port_of(service)}"

    def dashboard_link_base(self) -> str:
        return self.dashboard_url or f"{self.base_url_of('casework')}/dashboard/"

    def cors_origin_list(self) -> list[str]:
        if self.cors_origins is not None:
            return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]
        port = self.casework_port
        if self.host in LOCAL_HOSTS:  # a loopback or wildcard bind is reached as either name
            return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
        return [self.base_url_of("casework")]

    def schema_of(self, service: str) -> str:
        return f"{self.schema_prefix}{service}"

    @cached_property
    def is_postgres(self) -> bool:
        return bool(self.database_url) and self.database_url.startswith("postgresql")

    def database_url_of(self, service: str) -> str:
        """Each service owns its data: its own SQLite file, or its own PostgreSQL schema."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.var_dir / f'{service}.db').resolve()}"
