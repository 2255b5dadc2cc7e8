"""Reading a response from a platform's REST API (SurveyMonkey, Qualtrics) for its webhook.

Returns the document the platform's mapping reads; raises FetchFailure (with the HTTP status,
and `Retry-After` when given) for anything else. Tokens travel in headers, never in URLs or logs.

Every call goes through the outbound client (shared.outbound: vetted addresses, no redirects, a
bounded read) to a URL joined segment by segment onto the source's base URL, so an id in a webhook
cannot add a path segment or a query. An answer is kept only when it is the platform's JSON
document for the thing asked (a SurveyMonkey response or survey, a Qualtrics `result`): whatever
else a server answers is refused, never stored in quarantine where an admin could read it back.
Of a document, only what a mapping can read is kept: the response (any field of it may be mapped),
a survey definition's outline, a Qualtrics answer's `result`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from shared.egress import Egress, UnsafePath, host_of, join_url, origin_problem
from shared.outbound import OutboundClient, RefusedTarget, Reply
from shared.ttlcache import TtlCache
from services.ingest.domain.fetching import FetchFailure
from services.ingest.domain.mapping.surveymonkey import outline
from services.ingest.domain.platforms import Platform

NOT_SHAPED = 422  # the answer is not the platform's document: no retry, quarantined with the reason

# One DNS label of a datacenter or organisation host.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def base_url_problem(platform: Platform, url: str, egress: Egress) -> str | None:
    """Why Lazo must not call this platform API base URL, or None. It is an origin only (https, the
    platform's own hosts, no path, query, fragment or credentials), so the token Lazo sends goes
    only to the platform and its fixed path stays a path. With private targets allowed, a server
    on this machine or its network is accepted too (an on-premise mirror; the tests' local API)."""
    problem = origin_problem(url)
    if problem:
        return problem
    if not platform.fetches:
        return f"{platform.name} needs no API address"
    host = host_of(url)
    if egress.is_local(host):
        return None
    if host in platform.api_hosts or (platform.api_domain and _under(host, platform.api_domain)):
        return None if url.lower().startswith("https://") else "must be https"
    allowed = list(platform.api_hosts) or [
        f"<datacenter>.{platform.api_domain}",
        f"<organisation>.<datacenter>.{platform.api_domain}",
    ]
    return f"not a {platform.name} API host: use https://{' or https://'.join(allowed)}"


def _under(host: str, domain: str) -> bool:
    """`<label>.<domain>` or `<label>.<label>.<domain>`, with DNS labels only."""
    if not host.endswith("." + domain):
        return False
    labels = host[: -len(domain) - 1].split(".")
    return 1 <= len(labels) <= 2 and all(_LABEL.fullmatch(label) for label in labels)


def _retry_after(reply: Reply) -> float | None:
    value = reply.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


async def _get_json(client: OutboundClient, base_url: str, path: list[str], headers: dict[str, str], what: str) -> Any:
    try:
        url = join_url(base_url, *path)
    except UnsafePath as exc:
        raise FetchFailure(400, f"{what}: {exc}") from None
    try:
        reply = await client.request("GET", url, headers=headers)
    except RefusedTarget as exc:
        raise FetchFailure(403, f"{what}: {exc}") from None
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        raise FetchFailure(None, f"{what}: {type(exc).__name__} {exc}".strip()) from None
    if 300 <= reply.status_code < 400:
        raise FetchFailure(reply.status_code, f"{what}: HTTP {reply.status_code} (redirects are not followed)")
    if not reply.ok:
        raise FetchFailure(reply.status_code, f"{what}: HTTP {reply.status_code}", _retry_after(reply))
    if not reply.complete:
        raise FetchFailure(NOT_SHAPED, f"{what}: the answer is larger than {client.max_bytes} bytes")
    try:
        return json.loads(reply.body)
    except ValueError:
        raise FetchFailure(NOT_SHAPED, f"{what}: the answer is not JSON") from None


def _shaped(document: Any, what: str, *, list_key: str | None = None, dict_key: str | None = None) -> dict:
    """The document, if it is an object with the key the platform always sends."""
    ok = isinstance(document, dict) and (
        (list_key is not None and isinstance(document.get(list_key), list))
        or (dict_key is not None and isinstance(document.get(dict_key), dict))
    )
    if not ok:
        key = list_key or dict_key
        raise FetchFailure(NOT_SHAPED, f"{what}: the answer is not the platform's document (no '{key}')")
    return document


def survey_cache() -> TtlCache[Any]:
    """Survey definitions change rarely and SurveyMonkey counts every call: keep each a few minutes."""
    return TtlCache(300.0, size=256)


async def fetch_surveymonkey(
    client: OutboundClient,
    base_url: str,
    credentials: dict[str, str],
    survey_id: str,
    response_id: str,
    cache: TtlCache[Any],
) -> dict[str, Any]:
    """`GET /v3/surveys/{id}/responses/{rid}/details` plus the survey's definition (for choice ids)."""
    headers = {"Authorization": f"Bearer {credentials['access_token']}", "Accept": "application/json"}
    survey_path = ["v3", "surveys", survey_id]
    what = "SurveyMonkey response details"
    response = _shaped(
        await _get_json(client, base_url, [*survey_path, "responses", response_id, "details"], headers, what),
        what,
        list_key="pages",
    )
    survey = cache.get((base_url, survey_id))
    if survey is None:
        what = "SurveyMonkey survey details"
        survey = outline(
            _shaped(await _get_json(client, base_url, [*survey_path, "details"], headers, what), what, list_key="pages")
        )
        cache.put((base_url, survey_id), survey)
    return {"response": response, "survey": survey}


async def fetch_qualtrics(
    client: OutboundClient, base_url: str, credentials: dict[str, str], survey_id: str, response_id: str
) -> dict[str, Any]:
    """`GET /API/v3/surveys/{SurveyID}/responses/{ResponseID}` with the account's API token."""
    headers = {"X-API-TOKEN": credentials["api_token"], "Accept": "application/json"}
    what = "Qualtrics response"
    document = await _get_json(
        client, base_url, ["API", "v3", "surveys", survey_id, "responses", response_id], headers, what
    )
    return {"response": {"result": _shaped(document, what, dict_key="result")["result"]}}
