"""Erasure's pure parts: which stored documents name a customer however they are encoded, the keyed
digest of the tombstones, the scrubbing of stored alert events, and the topics' retention."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from shared.broker import topic_configs
from shared.erasure import new_pseudonym
from shared.events import Topic
from shared.settings import Settings
from shared.tombstones import CustomerDigest
from services.alerts.domain.erasure import scrub_event
from services.ingest.domain.erasure import names_customer

IDS = ["josé@example.com", "客户-1", "C/42", "Zoë O'Brien", "ñandú 7"]


@pytest.mark.parametrize("customer", IDS)
def test_a_json_document_names_the_customer_however_it_was_escaped(customer):
    payload = {"data": {"contact": {"userId": customer}, "answers": [3, 4]}}
    for text in (
        json.dumps(payload),
        json.dumps(payload, ensure_ascii=False),
        json.dumps(payload).replace("/", "\\/"),
        json.dumps(payload).upper().replace("\\U", "\\u") if customer.isascii() else json.dumps(payload),
    ):
        assert names_customer(text, customer), text
    assert not names_customer(json.dumps({"data": {"contact": {"userId": customer + "x"}}}), customer)


@pytest.mark.parametrize("customer", IDS)
def test_a_form_body_names_the_customer_percent_encoded_and_in_json_inside_a_field(customer):
    assert names_customer(urlencode({"customer": customer, "x": "1"}), customer)
    # Qualtrics posts a form whose MSG field is JSON.
    assert names_customer(urlencode({"MSG": json.dumps({"recipient": customer}), "Topic": "x"}), customer)
    assert not names_customer(urlencode({"customer": customer + "9"}), customer)


def test_the_id_is_compared_after_unicode_normalisation_and_trimming():
    decomposed = "jose\u0301@example.com"  # é as e + combining accent
    assert names_customer(json.dumps({"email": f" {decomposed} "}), "josé@example.com")
    assert names_customer(json.dumps({"josé@example.com": {"answers": 1}}), "josé@example.com")  # as a key


def test_the_digest_is_keyed_and_finds_tombstones_across_a_key_rotation():
    old, new = CustomerDigest(["k" * 32]), CustomerDigest(["n" * 32, "k" * 32])
    assert old("ana@example.com") != CustomerDigest(["q" * 32])("ana@example.com")  # the key matters
    assert old("ana@example.com") in new.every("ana@example.com")
    assert new("ana@example.com") != old("ana@example.com")  # written under the newest key
    assert "ana" not in old("ana@example.com") and len(old("ana@example.com")) == 64
    assert old("\ud800 lone surrogate")  # any id is digested; an erasure never fails on it
    with pytest.raises(ValueError):
        CustomerDigest([])


def test_the_development_key_is_generated_once_and_readable_by_its_owner_only(tmp_path):
    settings = Settings(_env_file=None, var_dir=str(tmp_path))
    first = CustomerDigest.from_settings(settings)("C-1")
    assert CustomerDigest.from_settings(settings)("C-1") == first
    assert (tmp_path / "erasure-key").stat().st_mode & 0o077 == 0
    assert CustomerDigest.from_settings(Settings(_env_file=None, erasure_key="x" * 32))("C-1") != first


def test_a_stored_alert_event_is_scrubbed_and_renamed_to_the_pseudonym():
    pseudonym = new_pseudonym()
    event = {
        "specversion": "1.0",
        "id": "alert:1",
        "type": "lazo.alert.raised",
        "subject": "ana@example.com",
        "data": {
            "customer_id": "ana@example.com",
            "customer": {"email": "ana@example.com", "name": "Ana"},
            "comment": "mal",
            "comment_analysis": {"causes": [{"evidence": "mal"}]},
            "iec": 2.0,
        },
    }
    scrubbed = json.loads(scrub_event(json.dumps(event).encode(), pseudonym))
    text = json.dumps(scrubbed)
    assert "ana@" not in text and "Ana" not in text and '"mal"' not in text
    assert scrubbed["subject"] == scrubbed["data"]["customer_id"] == pseudonym
    assert scrubbed["data"]["iec"] == 2.0 and scrubbed["id"] == "alert:1"
    body = scrub_event(json.dumps(event).encode(), pseudonym)
    assert scrub_event(body, pseudonym) == body  # a second erasure changes nothing more


def test_pseudonyms_are_random():
    assert len({new_pseudonym() for _ in range(100)}) == 100


def test_topic_retention_is_a_setting():
    assert Settings(_env_file=None).topic_retention_h == 168
    hours = Settings(_env_file=None, topic_retention_h="36").topic_retention_h
    assert topic_configs(Topic.RESPONSES, hours) == {"retention.ms": str(36 * 3600 * 1000)}
    assert topic_configs(Topic.ERASURES, 1.5) == {"retention.ms": str(5_400_000)}
    assert topic_configs(Topic.PROGRAMS, hours) == {"cleanup.policy": "compact"}  # state, not history
    with pytest.raises(ValueError):
        Settings(_env_file=None, topic_retention_h="0")
