"""Source use cases: an admin creates, reads, changes and deletes the platform accounts that post
webhooks. Credentials go in sealed and never come out."""

from __future__ import annotations

import secrets as _secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import transaction
from shared.egress import Egress, origin_of
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import utcnow
from shared.sealing import SecretBox
from services.ingest.domain.mapping import Mapping
from services.ingest.domain.platforms import PLATFORMS, base_url_problem, credential_errors, stored_credentials
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.models import Source


def _check(platform: str, program: str, credentials: dict[str, str] | None, api_base_url: str | None,
           mapping: Mapping, catalog: ProgramCatalog, egress: Egress) -> None:
    spec = PLATFORMS[platform]
    errors: list[dict[str, Any]] = []
    if api_base_url is not None:
        problem = base_url_problem(spec, api_base_url, egress)
        if problem:
            errors.append({"field": "api_base_url", "message": problem})
    if credentials is not None:
        errors += credential_errors(spec, credentials, api_base_url)
    elif spec.fetches and not (api_base_url or spec.api_base_url):
        errors.append({"field": "api_base_url", "message": f"required for {platform}"})
    if platform == "generic" and mapping.response_id is None:
        errors.append({"field": "mapping.response_id", "message": "generic JSON needs the path of the response id"})
    if catalog.get(program) is None:
        errors.append({"field": "program", "message": f"unknown programme '{program}'"})
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


async def create(sessions: async_sessionmaker[AsyncSession], box: SecretBox, catalog: ProgramCatalog,
                 egress: Egress, *, source_id: str | None, platform: str, program: str, name: str | None,
                 credentials: dict[str, str], api_base_url: str | None, mapping: Mapping, who: str) -> Source:
    _check(platform, program, credentials, api_base_url, mapping, catalog, egress)
    kept = stored_credentials(PLATFORMS[platform], credentials)
    now = utcnow()
    source = Source(id=source_id or f"{platform}-{_secrets.token_hex(4)}", platform=platform, program=program,
                    name=name, mapping=mapping.model_dump(mode="json", exclude_none=True),
                    credentials_sealed=box.seal(kept), credential_names=sorted(credentials),
                    api_base_url=origin_of(api_base_url) if api_base_url else None, created_at=now, created_by=who,
                    updated_at=now, updated_by=who)
    try:
        async with transaction(sessions) as s:
            s.add(source)
    except IntegrityError:
        raise Conflict(f"a source '{source.id}' already exists (ids are not reused, even after deletion)",
                       errors=[{"field": "id", "message": "already taken"}]) from None
    return source


async def update(sessions: async_sessionmaker[AsyncSession], box: SecretBox, catalog: ProgramCatalog,
                 egress: Egress, source_id: str, *, platform: str, program: str, name: str | None,
                 credentials: dict[str, str] | None, api_base_url: str | None, mapping: Mapping, who: str) -> Source:
    """Replace a source's settings. Credentials left out are kept as they are."""
    async with transaction(sessions) as s:
        source = await live(s, source_id)
        if platform != source.platform:
            raise InvalidInput("a source's platform cannot change; create another source",
                               errors=[{"field": "platform", "message": f"this source is {source.platform}"}])
        _check(platform, program, credentials, api_base_url, mapping, catalog, egress)
        if credentials is not None:
            source.credentials_sealed = box.seal(stored_credentials(PLATFORMS[platform], credentials))
            source.credential_names = sorted(credentials)
        source.program = program
        source.name = name
        source.api_base_url = origin_of(api_base_url) if api_base_url else None
        source.mapping = mapping.model_dump(mode="json", exclude_none=True)
        source.updated_at = utcnow()
        source.updated_by = who
    return source


async def delete(sessions: async_sessionmaker[AsyncSession], source_id: str, who: str) -> None:
    """Stop accepting the source's webhooks (they get 404). Its quarantine stays readable."""
    async with transaction(sessions) as s:
        source = await live(s, source_id)
        source.deleted_at = utcnow()
        source.updated_by = who


async def live(session: AsyncSession, source_id: str) -> Source:
    source = await session.get(Source, source_id)
    if source is None or source.deleted_at is not None:
        raise NotFound(f"no source '{source_id}'")
    return source


async def listed(session: AsyncSession) -> list[Source]:
    return list(await session.scalars(select(Source).where(Source.deleted_at.is_(None)).order_by(Source.created_at)))


async def for_webhook(session: AsyncSession, platform: str, program: str, source_id: str | None) -> Source:
    """The source a webhook is for: named by `?source=`, or the only one of that platform and programme."""
    if source_id:
        source = await session.get(Source, source_id)
        if source is None or source.deleted_at is not None or source.platform != platform or source.program != program:
            raise NotFound(f"no {platform} source '{source_id}' for programme '{program}'")
        return source
    found = list(await session.scalars(select(Source).where(
        Source.platform == platform, Source.program == program, Source.deleted_at.is_(None)).limit(2)))
    if not found:
        raise NotFound(f"no {platform} source for programme '{program}'")
    if len(found) > 1:
        raise Conflict(f"several {platform} sources for programme '{program}': add ?source=<id> to the URL")
    return found[0]
