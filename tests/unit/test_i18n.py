"""Spanish and English for what people read (shared.i18n): the language a request asks for, and
problem answers translated without losing anything."""

from __future__ import annotations

import json

from shared.http import problems
from shared.i18n import LANGUAGES, catalogue, current_language, negotiate, translate, translate_detail


def test_the_language_is_the_supported_one_the_header_prefers():
    assert negotiate("es-MX,es;q=0.9,en;q=0.8") == "es"
    assert negotiate("en-US,en;q=0.9,es;q=0.8") == "en"
    assert negotiate("fr-FR, es;q=0.2") == "es"  # French is not offered: the next one asked for
    assert negotiate("es;q=0, en;q=0.1") == "en"  # q=0 means "not this one"
    assert negotiate("de, fr") == "en" and negotiate(None) == "en" and negotiate("") == "en"
    assert negotiate("es;q=abc") == "en" and negotiate("es" + ",x" * 2000) == "en"  # junk and floods


def test_every_title_and_status_is_catalogued_in_spanish():
    titles = {title for _, title in problems.STATUS.values()} | {
        "Internal error",
        "Bad request",
        "Method not allowed",
        "Unsupported media type",
        "HTTP error",
    }
    assert not [t for t in titles if translate(t, "es") == t], "untranslated titles"


def test_messages_with_values_are_translated_and_unknown_ones_kept():
    assert translate("String should have at most 200 characters", "es") == "como máximo 200 caracteres"
    assert (
        translate_detail("customer.id: Field required; answers.worth: Input should be less than or equal to 10", "es")
        == "customer.id: campo obligatorio; answers.worth: debe ser menor o igual que 10"
    )
    assert translate("a message nobody catalogued", "es") == "a message nobody catalogued"
    assert translate("Field required", "en") == "Field required"


def test_a_problem_answer_speaks_the_requests_language():
    token = current_language.set("es")
    try:
        r = problems.problem_response(
            422,
            "Invalid input",
            "customer.id: Field required",
            errors=[{"field": "customer.id", "message": "Field required"}],
        )
    finally:
        current_language.reset(token)
    body = json.loads(r.body)
    assert body["title"] == "Entrada no válida" and body["detail"] == "customer.id: campo obligatorio"
    assert body["errors"] == [{"field": "customer.id", "message": "campo obligatorio"}]  # field names stay
    assert r.headers["content-language"] == "es"
    assert json.loads(problems.problem_response(404, "Not found", "x").body)["title"] == "Not found"


def test_the_catalogues_load_and_their_patterns_compile():
    for language in LANGUAGES:
        catalogue(language)


def test_a_chat_alert_reads_in_the_subscriptions_language():
    from services.alerts.domain import chat

    data = {
        "alert_id": "a1",
        "customer_id": "c1",
        "customer": {"name": "Ana"},
        "program": "default",
        "iec": 3.2,
        "previous_iec": 7.5,
        "segment": "nunca_mas",
        "touchpoint": "web",
        "reasons": ["iec_at_or_below_threshold", "iec_drop", "comment_contradicts_score"],
        "comment": "Nadie me llamó",
        "raised_at": "2026-11-27T10:00:00Z",
        "comment_analysis": {"emotion": "rechazo", "causes": [{"key": "responsiveness", "evidence": "llamó"}]},
    }
    spanish = json.loads(chat.render(chat.SLACK, data, "https://lazo.example/dashboard/#alert=a1", "es"))
    english = json.loads(chat.render(chat.SLACK, data, "https://lazo.example/dashboard/#alert=a1", "en"))
    assert spanish["text"] == "Alerta de detractor: IEC 3.2 · Nunca Más"
    assert english["text"] == "Detractor alert: IEC 3.2 · Nunca Más"
    words = json.dumps(spanish, ensure_ascii=False)
    for english_words in ("Why selected", "Open the case", "at or below", "Previous IEC", "Customer"):
        assert english_words not in words
    assert "el IEC bajó de 7.5 a 3.2" in words and "Abrir el caso" in words and "Rechazo" in words
    teams = json.dumps(json.loads(chat.render(chat.TEAMS, data, "https://lazo.example/d", "es")), ensure_ascii=False)
    assert "Abrir el caso" in teams and "Por qué se seleccionó" in teams and "Open the case" not in teams
