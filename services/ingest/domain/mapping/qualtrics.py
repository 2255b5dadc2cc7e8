"""Qualtrics event subscriptions (`completedResponse`): the event names the response; ingest
fetches it from the responses API.

The document mapped is `{"event": {"Topic": …, "MSG": {SurveyID, ResponseID, …}}, "response":
<GET /API/v3/surveys/{SurveyID}/responses/{ResponseID}>}`. Answers are `result.values` by
their Qualtrics names: question ids (`QID1`, `QID4_TEXT`, `QID2_1` for a matrix row) and
embedded data fields by name (`customer_id`). Values are the recode values Qualtrics stores
(numbers for scales and NPS). Sections: `labels` (the answers' display labels), `values`,
`response` (the whole `result`). The response id is `result.responseId`; the time is
`values.recordedDate`.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.mapping.core import MappingError, View


def completion(event: Any) -> str | None:
    topic = str(event.get("Topic") or "") if isinstance(event, dict) else ""
    if "completedResponse" not in topic.split("."):
        return f"topic '{topic}' is not a completedResponse"
    return None


def fetch_ids(event: Any) -> tuple[str, str] | None:
    msg = event.get("MSG") if isinstance(event, dict) else None
    if not isinstance(msg, dict) or not msg.get("SurveyID") or not msg.get("ResponseID"):
        return None
    return str(msg["SurveyID"]), str(msg["ResponseID"])


def view(document: Any) -> View:
    fetched = document.get("response") if isinstance(document, dict) else None
    result = fetched.get("result") if isinstance(fetched, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("values"), dict):
        raise MappingError.one("response", "response.result.values", "the fetched response has no values")
    values = result["values"]
    out = View(
        document=document,
        response_id=result.get("responseId") or values.get("_recordId"),
        response_id_path="response.result.responseId",
        submitted_at=values.get("recordedDate") or values.get("endDate"),
    )
    out.sections = {"labels": result.get("labels") or {}, "values": values, "response": result}
    for name, value in values.items():
        out.add([name], value, f"response.result.values.{name}")
    return out
