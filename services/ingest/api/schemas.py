"""Request and response bodies of the sources and quarantine API. Secrets go in, never out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.http.paging import Page
from services.ingest.domain.mapping import Mapping
from services.ingest.models import QuarantinedPayload, Source

PlatformName = Literal["typeform", "tally", "formbricks", "surveymonkey", "qualtrics", "generic"]
SOURCE_ID = r"^[a-z0-9][a-z0-9_-]{1,63}$"
PROGRAM = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class SourceUpdate(BaseModel):
    """`PUT /v1/sources/{id}`: the whole source again; `credentials` left out keeps the current ones."""

    model_config = ConfigDict(extra="forbid")

    platform: PlatformName
    program: str = Field("default", min_length=1, max_length=64, pattern=PROGRAM)
    name: str | None = Field(None, max_length=200)
    credentials: dict[str, str] | None = Field(
        None,
        description="typeform, tally, formbricks: `secret`; surveymonkey: `client_id`, `client_secret`, "
        "`access_token`; qualtrics: `shared_key`, `api_token`; generic: `token` or `secret`",
    )
    api_base_url: AnyHttpUrl | None = Field(
        None,
        description="SurveyMonkey (default https://api.surveymonkey.com; https://api.eu.surveymonkey.com or "
        "https://api.surveymonkey.ca for its EU and Canadian data centres) or your Qualtrics "
        "datacenter, e.g. https://fra1.qualtrics.com: https, the platform's own host, nothing "
        "after it (no path, query, fragment or credentials)",
    )
    mapping: Mapping

    @property
    def base_url(self) -> str | None:
        return str(self.api_base_url) if self.api_base_url else None


class SourceIn(SourceUpdate):
    """`POST /v1/sources`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "typeform-nps-web",
                    "platform": "typeform",
                    "program": "default",
                    "name": "Web NPS",
                    "credentials": {"secret": "a-long-random-secret"},
                    "mapping": {
                        "customer_id": "hidden.customer_id",
                        "answers": {
                            "experience": "experience",
                            "worth": "worth",
                            "recommend": {"field": "recommend", "scale": {"min": 0, "max": 10}},
                        },
                        "comment": "comment",
                        "email": "hidden.email",
                        "touchpoint": {"value": "web"},
                        "case_id": "hidden.case_id",
                    },
                }
            ]
        },
    )

    id: str | None = Field(None, pattern=SOURCE_ID, description="default: <platform>-<random>")
    credentials: dict[str, str]


class SourceOut(BaseModel):
    id: str
    platform: str
    program: str
    name: str | None
    webhook_path: str
    credentials: list[str] = Field(description="the names of the credentials held (never their values)")
    api_base_url: str | None
    mapping: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, s: Source) -> SourceOut:
        return cls(
            id=s.id,
            platform=s.platform,
            program=s.program,
            name=s.name,
            webhook_path=f"/v1/webhooks/{s.platform}/{s.program}?source={s.id}",
            credentials=list(s.credential_names),
            api_base_url=s.api_base_url,
            mapping=s.mapping,
            created_at=s.created_at,
            created_by=s.created_by,
            updated_at=s.updated_at,
            updated_by=s.updated_by,
        )


class QuarantinedOut(BaseModel):
    id: str
    source_id: str
    platform: str
    program: str
    delivery_key: str
    stage: str
    status: str
    reason: str
    errors: list[dict[str, Any]] | None
    deliveries: int
    received_at: datetime
    updated_at: datetime
    replayed_at: datetime | None
    replayed_by: str | None
    response_id: str | None
    document: Any = Field(None, description="the payload as kept (only when reading one entry)")

    @classmethod
    def of(cls, q: QuarantinedPayload, *, with_document: bool = False) -> QuarantinedOut:
        document = None
        if with_document:
            try:
                document = json.loads(q.document)
            except ValueError:
                document = q.document  # kept as received: not JSON
        return cls(
            id=q.id,
            source_id=q.source_id,
            platform=q.platform,
            program=q.program,
            delivery_key=q.delivery_key,
            stage=q.stage,
            status=q.status,
            reason=q.reason,
            errors=q.errors,
            deliveries=q.deliveries,
            received_at=q.received_at,
            updated_at=q.updated_at,
            replayed_at=q.replayed_at,
            replayed_by=q.replayed_by,
            response_id=q.response_id,
            document=document,
        )


QuarantinePage = Page[QuarantinedOut]
