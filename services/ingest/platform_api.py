"""Reading a response from a platform's REST API (SurveyMonkey, Qualtrics) for its webhook.

Returns the document the platform's mapping reads; raises FetchFailure (with the HTTP status,
and `Retry-After` when given) for anything else. Tokens travel in headers, never in URLs or logs.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from services.ingest.domain.fetching import FetchFailure


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


async def _get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], what: str) -> Any:
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise FetchFailure(None, f"{what}: {type(exc).__name__} {exc}".strip()) from None
    if not 200 <= response.status_code < 300:
        raise FetchFailure(response.status_code, f"{what}: HTTP {response.status_code}", _retry_after(response))
    try:
        return response.json()
    except ValueError:
        raise FetchFailure(response.status_code, f"{what}: the answer is not JSON") from None


class SurveyCache:
    """Survey definitions change rarely and SurveyMonkey counts every call: keep each a few minutes."""

    def __init__(self, ttl_s: float = 300.0, size: int = 256):
        self._ttl_s = ttl_s
        self._size = size
        self._items: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str]) -> Any:
        item = self._items.get(key)
        return item[1] if item and time.monotonic() - item[0] < self._ttl_s else None

    def put(self, key: tuple[str, str], value: Any) -> None:
        if len(self._items) >= self._size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic(), value)


async def fetch_surveymonkey(client: httpx.AsyncClient, base_url: str, credentials: dict[str, str],
                             survey_id: str, response_id: str, cache: SurveyCache) -> dict[str, Any]:
    """`GET /v3/surveys/{id}/responses/{rid}/details` plus the survey's definition (for choice ids)."""
    headers = {"Authorization": f"Bearer {credentials['access_token']}", "Accept": "application/json"}
    base = f"{base_url.rstrip('/')}/v3/surveys/{quote(survey_id, safe='')}"
    response = await _get_json(client, f"{base}/responses/{quote(response_id, safe='')}/details", headers,
                               "SurveyMonkey response details")
    survey = cache.get((base_url, survey_id))
    if survey is None:
        survey = await _get_json(client, f"{base}/details", headers, "SurveyMonkey survey details")
        cache.put((base_url, survey_id), survey)
    return {"response": response, "survey": survey}


async def fetch_qualtrics(client: httpx.AsyncClient, base_url: str, credentials: dict[str, str],
                          survey_id: str, response_id: str) -> dict[str, Any]:
    """`GET /API/v3/surveys/{SurveyID}/responses/{ResponseID}` with the account's API token."""
    url = (f"{base_url.rstrip('/')}/API/v3/surveys/{quote(survey_id, safe='')}"
           f"/responses/{quote(response_id, safe='')}")
    headers = {"X-API-TOKEN": credentials["api_token"], "Accept": "application/json"}
    return {"response": await _get_json(client, url, headers, "Qualtrics response")}
