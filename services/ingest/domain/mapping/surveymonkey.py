"""SurveyMonkey `response_completed`: the webhook carries ids only; ingest fetches the answers.

The document mapped is `{"event": <webhook body>, "response": <GET /v3/surveys/{id}/responses/
{rid}/details>, "survey": <GET /v3/surveys/{id}/details>}`. Answers are named by question id and
by the question's heading; a matrix row is `<question id>/<row id>`, an "other" text
`<question id>/other`. A choice reads as the number its text starts with ("0" … "10", "4 - Good"),
else its `weight` when the survey scores choices, else its text (map words with `values`).
Sections: `custom_variables` (ids passed in the survey link), `contact` (the recipient's contact
fields), `response` (the whole response: `email_address`, `first_name`, `custom_value`…). The
response id is the response's `id`; the time is `date_modified`.
"""

from __future__ import annotations

import re
from typing import Any

from services.ingest.domain.mapping.core import MappingError, UnknownChoice, View

_LEADING_NUMBER = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?(?=$|[\s\-–:.)/])")


def completion(event: Any) -> str | None:
    kind = event.get("event_type") if isinstance(event, dict) else None
    return None if kind == "response_completed" else f"event_type '{kind}' is not response_completed"


def fetch_ids(event: Any) -> tuple[str, str] | None:
    """(survey id, response id) named by a webhook, or None when it names neither."""
    if not isinstance(event, dict):
        return None
    resources = event.get("resources") or {}
    survey_id = resources.get("survey_id") or (event.get("filter_id") if event.get("filter_type") == "survey" else None)
    response_id = event.get("object_id") or resources.get("respondent_id")
    return (str(survey_id), str(response_id)) if survey_id and response_id else None


def choice_value(choice: dict) -> Any:
    text = choice.get("text") or ""
    if _LEADING_NUMBER.match(text):
        return text
    weight = choice.get("weight")
    if isinstance(weight, (int, float)) and not isinstance(weight, bool):
        return weight
    return text


def outline(survey: dict) -> dict:
    """What is kept of a survey's definition, all the mapping reads: its id and title, and per question
    its id, headings, choices (id, text, weight) and rows (id, text)."""

    def pick(items: Any, keys: tuple[str, ...]) -> list[dict]:
        return [{k: item.get(k) for k in keys if k in item} for item in items or [] if isinstance(item, dict)]

    def question(q: dict) -> dict:
        answers = q.get("answers") if isinstance(q.get("answers"), dict) else {}
        return {
            "id": q.get("id"),
            "headings": pick(q.get("headings"), ("heading",)),
            "answers": {
                "choices": pick(answers.get("choices"), ("id", "text", "weight")),
                "rows": pick(answers.get("rows"), ("id", "text")),
            },
        }

    return {
        "id": survey.get("id"),
        "title": survey.get("title"),
        "pages": [
            {
                "id": page.get("id"),
                "questions": [question(q) for q in page.get("questions") or [] if isinstance(q, dict)],
            }
            for page in survey.get("pages") or []
            if isinstance(page, dict)
        ],
    }


def _questions(survey: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for page in survey.get("pages") or []:
        for q in page.get("questions") or []:
            answers = q.get("answers") or {}
            choices = {str(c.get("id")): c for c in answers.get("choices") or [] if isinstance(c, dict)}
            heading = next((h.get("heading") for h in q.get("headings") or [] if h.get("heading")), None)
            out[str(q.get("id"))] = {
                "heading": heading,
                "choices": choices,
                "rows": [str(r.get("id")) for r in answers.get("rows") or []],
            }
    return out


def view(document: Any) -> View:
    response = document.get("response") if isinstance(document, dict) else None
    survey = document.get("survey") if isinstance(document, dict) else None
    if not isinstance(response, dict) or not isinstance(response.get("pages"), list):
        raise MappingError.one("response", "response.pages", "the fetched response has no pages")
    questions = _questions(survey if isinstance(survey, dict) else {})
    contact = (response.get("metadata") or {}).get("contact") or {}
    out = View(
        document=document,
        response_id=response.get("id"),
        response_id_path="response.id",
        submitted_at=response.get("date_modified") or response.get("date_created"),
    )
    out.sections = {
        "custom_variables": response.get("custom_variables") or {},
        "contact": {k: (v.get("value") if isinstance(v, dict) else v) for k, v in contact.items()},
        "response": response,
    }
    for p, page in enumerate(response["pages"]):
        for n, q in enumerate(page.get("questions") or []):
            qid = str(q.get("id"))
            known = questions.get(qid, {"heading": None, "choices": {}, "rows": []})
            by_row: dict[str, list] = {}
            where = f"response.pages[{p}].questions[{n}]"
            for a in q.get("answers") or []:
                if "choice_id" in a:
                    choice = known["choices"].get(str(a["choice_id"]))
                    value = choice_value(choice) if choice else UnknownChoice(str(a["choice_id"]))
                else:
                    value = a.get("text")
                row = "other" if a.get("other_id") else str(a.get("row_id") or "")
                by_row.setdefault(row, []).append(value)
            for row, values in by_row.items():
                value = values[0] if len(values) == 1 else values
                if row:
                    out.add([f"{qid}/{row}"], value, where)
                if not row or len(known["rows"]) <= 1 and row != "other":
                    out.add([qid, known["heading"]], value, where)
    return out
