"""Platform payloads (built from each platform's documentation) mapped onto canonical responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.contracts.programs import DEFAULT_PROGRAM, ProgramDefinition, Question, Scale
from services.ingest.domain import paths
from services.ingest.domain.mapping import ADAPTERS, Mapping, MappingError, map_document, platform_response_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
IEC = ("experience", "worth", "recommend")


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def run(platform: str, document, mapping: dict, definition: ProgramDefinition | None = DEFAULT_PROGRAM):
    return map_document(
        platform, document, Mapping.model_validate(mapping), source_id="src", program="default", definition=definition
    )


def errors_of(exc: pytest.ExceptionInfo) -> dict[str, dict]:
    return {e["field"]: e for e in exc.value.errors}


TYPEFORM = {
    "customer_id": "hidden.customer_id",
    "email": "hidden.email",
    "name": "hidden.name",
    "case_id": "hidden.case_id",
    "comment": "comment",
    "touchpoint": {"value": "web"},
    "answers": {"experience": "experience", "worth": "Lp9Wn2Ks", "recommend": "recommend"},
}


def test_typeform_answers_by_ref_or_id_hidden_fields_and_the_token_as_response_id():
    r = run("typeform", fixture("typeform_form_response.json"), TYPEFORM)
    assert r.response_id == "src:a3a12ec67a1365927098a606107fac15"
    assert r.answers == {"experience": 3, "worth": 4, "recommend": 5}
    assert (r.customer.id, r.customer.email, r.customer.name) == ("C-42", "ana@example.com", "Ana")
    assert r.comment == "Nadie me devolvió la llamada" and r.touchpoint == "web"
    assert r.case_id is None  # an empty hidden field is no case
    assert r.submitted_at == datetime(2026, 11, 20, 10, 0, 2, tzinfo=UTC)
    assert r.program == "default"


def test_the_planners_invitation_token_comes_back_as_a_hidden_field():
    document = fixture("typeform_form_response.json")
    document["form_response"]["hidden"]["t"] = "AQAAAGlR8GludjEyMw"
    r = run("typeform", document, {**TYPEFORM, "invitation_token": "hidden.t"})
    assert r.invitation_token == "AQAAAGlR8GludjEyMw"
    document["form_response"]["hidden"]["t"] = "not a token!"
    with pytest.raises(MappingError) as exc:
        run("typeform", document, {**TYPEFORM, "invitation_token": "hidden.t"})
    assert "invitation_token" in errors_of(exc)


def test_a_platform_scale_is_mapped_linearly_onto_the_programmes():
    mapping = {
        **TYPEFORM,
        "answers": {
            **TYPEFORM["answers"],
            "recommend": {"field": "recommend", "scale": {"min": 0, "max": 10}},
            "experience": {"field": "stars", "scale": {"min": 1, "max": 5}},
        },
    }
    r = run("typeform", fixture("typeform_form_response.json"), mapping)
    assert r.answers["recommend"] == 5.5  # 5 on 0–10 is 5.5 on 1–10
    assert r.answers["experience"] == 3.25  # 2 stars of 5
    nps_programme = ProgramDefinition(
        program="nps",
        questions=[
            Question(key="experience"),
            Question(key="worth"),
            Question(key="recommend", scale=Scale(min=0, max=10)),
        ],
    )
    r = run("typeform", fixture("typeform_form_response.json"), mapping, nps_programme)
    assert r.answers["recommend"] == 5  # same scale: kept as answered


def test_typeform_mapping_errors_name_the_field_and_the_path():
    doc = fixture("typeform_form_response.json")
    mapping = {
        **TYPEFORM,
        "customer_id": "hidden.client",
        "answers": {
            "experience": "channel",
            "worth": "worth",
            "recommend": {"field": "recommend", "scale": {"min": 0, "max": 4}},
        },
    }
    with pytest.raises(MappingError) as exc:
        run("typeform", doc, mapping)
    errs = errors_of(exc)
    assert errs["customer.id"]["path"] == "hidden.client" and "missing" in errs["customer.id"]["message"]
    assert errs["answers.experience"]["path"] == "form_response.answers[5]"
    assert "'Teléfono' is not a number" in errs["answers.experience"]["message"]
    assert "outside the platform's scale 0–4" in errs["answers.recommend"]["message"]
    assert "answers.worth" not in errs


def test_word_answers_map_through_values_and_a_bad_email_is_named():
    doc = fixture("typeform_form_response.json")
    mapping = {
        **TYPEFORM,
        "email": "contact_email",
        "answers": {"experience": {"field": "channel", "values": {"Teléfono": 8, "Chat": 9}}},
    }
    assert run("typeform", doc, mapping).answers == {"experience": 8}
    doc["form_response"]["answers"][6]["email"] = "not-an-email"
    with pytest.raises(MappingError) as exc:
        run("typeform", doc, mapping)
    assert errors_of(exc)["customer.email"]["path"] == "form_response.answers[6]"


def test_a_skipped_question_is_left_out_for_scoring_to_report():
    doc = fixture("typeform_form_response.json")
    doc["form_response"]["answers"] = doc["form_response"]["answers"][1:]
    r = run("typeform", doc, TYPEFORM)
    assert set(r.answers) == {"worth", "recommend"}


def test_tally_fields_by_label_or_key_and_choices_as_their_text():
    mapping = {
        "customer_id": "customer_id",
        "touchpoint": "touchpoint",
        "email": "Email",
        "comment": "Anything else?",
        "answers": {
            "experience": "question_3E1Bvd",
            "worth": "Is it worth being a customer of the company?",
            "recommend": "question_3jZaa3",
            "support": {"field": "Rate our support", "scale": {"min": 1, "max": 5}},
        },
        "attributes": {"channel": "How did you contact us?"},
    }
    r = run("tally", fixture("tally_form_response.json"), mapping)
    assert r.response_id == "src:2wgx4n"
    assert r.answers == {"experience": 7, "worth": 8, "recommend": 9, "support": 4}  # not in the programme: as is
    assert (r.customer.id, r.customer.email, r.touchpoint) == ("C-42", "ana@example.com", "billing")
    assert r.customer.attributes == {"channel": "Phone"}
    assert r.comment == "Todo bien, gracias"


def test_formbricks_data_by_question_id_hidden_fields_and_contact_attributes():
    mapping = {
        "customer_id": "contact.userId",
        "email": "contactAttributes.email",
        "name": "contactAttributes.firstName",
        "touchpoint": "touchpoint",
        "case_id": "case_id",
        "comment": "txt9c3",
        "answers": {"experience": "exp8q1", "worth": "wrt4k7", "recommend": "nps2m5"},
    }
    doc = fixture("formbricks_response_finished.json")
    r = run("formbricks", doc, mapping)
    assert r.response_id == "src:cm3v8m9xk0001wxyz5678ijkl"
    assert r.answers == {"experience": 2, "worth": 3, "recommend": 4}
    assert (r.customer.id, r.customer.email, r.customer.name) == ("C-42", "ana@example.com", "Ana")
    assert (r.touchpoint, r.case_id) == ("billing", "case-77")
    assert run("formbricks", [doc], mapping).response_id == r.response_id  # the documented list form
    assert ADAPTERS["formbricks"].completion({**doc, "event": "responseCreated"}) is not None
    assert ADAPTERS["formbricks"].completion(doc) is None


SURVEYMONKEY = {
    "customer_id": "custom_variables.customer_id",
    "touchpoint": "custom_variables.touchpoint",
    "email": "contact.email",
    "name": "contact.first_name",
    "comment": "667461693",
    "answers": {
        "experience": "667461690",
        "worth": "Is it worth being a customer of the company?",
        "recommend": {"field": "667461692", "scale": {"min": 0, "max": 10}},
    },
    "attributes": {"channel": "667461694", "channel_other": "667461694/other"},
}


def surveymonkey_document():
    return {
        "event": fixture("surveymonkey_response_completed.json"),
        "response": fixture("surveymonkey_response_details.json"),
        "survey": fixture("surveymonkey_survey_details.json"),
    }


def test_surveymonkey_choice_ids_read_through_the_survey_definition():
    r = run("surveymonkey", surveymonkey_document(), SURVEYMONKEY)
    assert r.response_id == "src:114016234712"
    assert r.answers == {"experience": 3, "worth": 5, "recommend": 3.7}  # 3 on 0–10 is 3.7 on 1–10
    assert (r.customer.id, r.customer.email, r.customer.name, r.touchpoint) == (
        "C-42",
        "ana@example.com",
        "Ana",
        "support",
    )
    assert r.comment == "Tardaron una semana en contestar"
    assert r.customer.attributes == {"channel": "Phone", "channel_other": "WhatsApp"}
    assert ADAPTERS["surveymonkey"].fetch_ids(fixture("surveymonkey_response_completed.json")) == (
        "405318512",
        "114016234712",
    )


def test_surveymonkey_choice_missing_from_the_definition_is_a_mapping_error():
    doc = surveymonkey_document()
    doc["response"]["pages"][0]["questions"][0]["answers"][0]["choice_id"] = "999"
    with pytest.raises(MappingError) as exc:
        run("surveymonkey", doc, SURVEYMONKEY)
    err = errors_of(exc)["answers.experience"]
    assert "choice id '999' is not in the survey definition" in err["message"]
    assert err["path"] == "response.pages[0].questions[0]"


def test_qualtrics_values_by_qid_and_embedded_data():
    mapping = {
        "customer_id": "customer_id",
        "touchpoint": "touchpoint",
        "email": "RecipientEmail",
        "name": "RecipientFirstName",
        "comment": "QID4_TEXT",
        "answers": {
            "experience": "QID1",
            "worth": "QID2",
            "recommend": {"field": "QID3", "scale": {"min": 0, "max": 10}},
        },
        "attributes": {"channel": "labels.QID5"},
    }
    doc = {"event": fixture("qualtrics_completed_response.json"), "response": fixture("qualtrics_response.json")}
    r = run("qualtrics", doc, mapping)
    assert r.response_id == "src:R_suq806jn8LGzhx7"
    assert r.answers == {"experience": 2, "worth": 4, "recommend": 3.7}
    assert (r.customer.id, r.customer.email, r.touchpoint, r.comment) == (
        "C-42",
        "ana@example.com",
        "contact_center",
        "Me cobraron dos veces",
    )
    assert r.customer.attributes == {"channel": "Phone"}
    assert ADAPTERS["qualtrics"].completion(doc["event"]) is None
    assert ADAPTERS["qualtrics"].completion({"Topic": "fedex.surveyengine.startedRecipientSession.SV_1"}) is not None
    assert ADAPTERS["qualtrics"].fetch_ids(doc["event"]) == ("SV_cVn9uBwheR9hz01", "R_suq806jn8LGzhx7")


GOOGLE = {
    "response_id": "response_id",
    "submitted_at": "$.submitted_at",
    "customer_id": 'answers["Customer number"]',
    "email": "respondent_email",
    "comment": 'answers["Anything else?"]',
    "answers": {
        "experience": 'answers["Do I remember my contacts with the company as positive experiences?"]',
        "worth": 'answers["Is it worth being a customer of the company?"]',
        "recommend": 'answers["Would I recommend the company to a colleague or friend?"]',
        "shop": {"field": 'answers["How was the shop?"]', "values": {"Muy bien": 9, "Mal": 2}},
    },
}


def test_generic_json_paths_strings_as_numbers_and_an_empty_comment():
    r = run("generic", fixture("generic_google_forms.json"), GOOGLE)
    assert r.response_id == "src:2_ABaOnudYx8oJ1b0n7Q4s2kX9r"
    assert r.answers == {"experience": 6, "worth": 7, "recommend": 8, "shop": 9}
    assert r.customer.id == "C-42" and r.comment is None
    assert (
        platform_response_id("generic", fixture("generic_google_forms.json"), Mapping.model_validate(GOOGLE))
        == "2_ABaOnudYx8oJ1b0n7Q4s2kX9r"
    )


def test_generic_without_a_response_id_is_an_error_and_shapes_are_checked():
    doc = fixture("generic_google_forms.json")
    del doc["response_id"]
    with pytest.raises(MappingError) as exc:
        run("generic", doc, GOOGLE)
    assert errors_of(exc)["response_id"]["path"] == "response_id"
    with pytest.raises(MappingError) as exc:
        run("typeform", {"event_type": "form_response"}, TYPEFORM)
    assert errors_of(exc)["response"]["path"] == "form_response"


def test_the_mapping_itself_is_validated():
    with pytest.raises(ValueError):
        Mapping.model_validate({"customer_id": {"field": "a", "value": "b"}})
    with pytest.raises(ValueError):
        Mapping.model_validate({"customer_id": "a", "answers": {"Experience": "x"}})
    with pytest.raises(ValueError):
        Mapping.model_validate({"answers": {}})


def test_paths():
    doc = {"a": {"b c": [{"k": "x", "v": 1}, {"k": "y", "v": 2}]}, "n": [10, 20]}
    assert paths.get(doc, 'a["b c"][k=y].v') == 2
    assert paths.get(doc, "$.n[-1]") == 20
    assert paths.get(doc, "a.b c[0].v") == 1  # plain names may hold spaces
    with pytest.raises(paths.Missing) as exc:
        paths.get(doc, 'a["b c"][k=z].v')
    assert exc.value.at == '$.a["b c"]'
    for bad in ("a..b", "a.", "a[", "", "a[0]b"):
        with pytest.raises(paths.PathSyntaxError):
            paths.parse(bad)


def test_only_the_outline_of_a_surveymonkey_survey_is_kept_and_it_maps_the_same():
    from services.ingest.domain.mapping.surveymonkey import outline, view

    survey = fixture("surveymonkey_survey_details.json")
    kept = outline(survey)
    assert set(kept) == {"id", "title", "pages"} and "href" not in str(kept) and "quiz_options" not in str(kept)
    response = fixture("surveymonkey_response_details.json")
    full, slim = view({"response": response, "survey": survey}), view({"response": response, "survey": kept})
    assert full.answers == slim.answers and full.answers
