"""The taxonomy of causes as a value a programme owns: the default's ten keys, JSON round trips,
and every way a bad taxonomy is refused with the field it names."""

from __future__ import annotations

import json

import pytest

from services.scoring.domain.comments import DEFAULT_KEYS, DEFAULT_TAXONOMY, Taxonomy, TaxonomyCause, TaxonomyError


def test_the_default_taxonomy_has_exactly_the_ten_keys_of_the_issue():
    assert DEFAULT_TAXONOMY.keys == (
        "billing",
        "price",
        "product_quality",
        "usability",
        "responsiveness",
        "staff_attitude",
        "staff_knowledge",
        "sales_promise",
        "digital_channels",
        "delivery",
    )
    assert DEFAULT_TAXONOMY.keys == DEFAULT_KEYS
    for cause in DEFAULT_TAXONOMY.causes:
        assert cause.names["es"] and cause.names["en"] and cause.names["es"] != cause.key
        assert len(cause.cues["es"]) >= 30 and len(cause.cues["en"]) >= 30
        assert not cause.retired


def test_the_default_taxonomy_round_trips_through_json():
    text = DEFAULT_TAXONOMY.to_json()
    again = Taxonomy.from_json(text)
    assert again == DEFAULT_TAXONOMY
    assert json.loads(again.to_json()) == json.loads(text)


def test_an_edited_copy_is_independent_of_the_default():
    data = DEFAULT_TAXONOMY.to_dict()
    data["causes"][0]["names"]["es"] = "Cobros y facturas"
    data["causes"][0]["cues"]["es"].append("cobro de más")
    data["causes"].append({"key": "parking", "names": {"es": "Aparcamiento"}, "cues": {"es": ["aparcar"]}})
    edited = Taxonomy.from_dict(data)
    assert edited.get("billing").name("es") == "Cobros y facturas"
    assert "cobro de más" in edited.get("billing").cues["es"]
    assert edited.get("parking").name("en") == "Aparcamiento"  # falls back to a name it has
    assert DEFAULT_TAXONOMY.get("billing").name("es") == "Facturación"
    assert DEFAULT_TAXONOMY.get("parking") is None


def test_the_cause_values_are_read_only():
    cause = DEFAULT_TAXONOMY.get("billing")
    with pytest.raises(TypeError):
        cause.names["es"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        cause.cues["es"].append("x")  # type: ignore[attr-defined]


def test_retired_causes_stay_in_the_taxonomy_but_are_not_active():
    data = DEFAULT_TAXONOMY.to_dict()
    data["causes"][1]["retired"] = True
    t = Taxonomy.from_dict(data)
    assert "price" in t.keys and "price" not in [c.key for c in t.active]


def test_cues_are_normalised_and_deduplicated():
    c = TaxonomyCause(key="x", names={"en": " X "}, cues={"en": ["  car   park ", "car park", "parking"]})
    assert c.cues["en"] == ("car park", "parking")
    assert c.names["en"] == "X"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"causes": "billing"}, "causes"),
        ([], "causes"),
        ({"causes": [{"key": "Billing", "names": {"en": "B"}}]}, "causes[0].key"),
        ({"causes": [{"key": "1billing", "names": {"en": "B"}}]}, "causes[0].key"),
        ({"causes": [{"key": "b" * 41, "names": {"en": "B"}}]}, "causes[0].key"),
        ({"causes": [{"key": "billing", "names": {}}]}, "causes[0].names"),
        ({"causes": [{"key": "billing", "names": {"english": "B"}}]}, "causes[0].names"),
        ({"causes": [{"key": "billing", "names": {"en": ""}}]}, "causes[0].names.en"),
        ({"causes": [{"key": "billing", "names": {"en": "B" * 81}}]}, "causes[0].names.en"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": "factura"}}]}, "causes[0].cues.en"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": [""]}}]}, "causes[0].cues.en[0]"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["ok", 3]}}]}, "causes[0].cues.en[1]"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["fa*"]}}]}, "causes[0].cues.en[0]"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["_ bill"]}}]}, "causes[0].cues.en[0]"),
        (
            {"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["a b c d e f g"]}}]},
            "causes[0].cues.en[0]",
        ),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["x" * 81]}}]}, "causes[0].cues.en[0]"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["!!!"]}}]}, "causes[0].cues.en[0]"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "cues": {"en": ["bill"] * 501}}]}, "causes[0].cues.en"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "retired": "no"}]}, "causes[0].retired"),
        ({"causes": [{"key": "billing", "names": {"en": "B"}, "colour": "red"}]}, "causes[0].colour"),
        (
            {"causes": [{"key": "billing", "names": {"en": "B"}}, {"key": "billing", "names": {"en": "C"}}]},
            "causes[1].key",
        ),
        ({"causes": [{"key": f"k{i}", "names": {"en": "K"}} for i in range(101)]}, "causes"),
        ({"causes": [], "version": 0}, "version"),
        ({"causes": [], "version": True}, "version"),
    ],
)
def test_a_bad_taxonomy_is_refused_naming_the_field(data, field):
    with pytest.raises(TaxonomyError) as e:
        Taxonomy.from_dict(data)
    assert e.value.field == field


def test_text_that_is_not_json_is_refused():
    with pytest.raises(TaxonomyError) as e:
        Taxonomy.from_json("{not json")
    assert e.value.field == "taxonomy"
