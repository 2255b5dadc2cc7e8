"""Contact rules: send, or suppress with the machine reason; a case's follow-up skips only the
contact rules proper (open case, frequency), never erasure, unsubscribing, consent or a bounce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.surveys.domain.contacts import Channel, Contact
from services.surveys.domain.rules import ContactRules, InvitationKind, Reason, decide

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FOLLOW_UP = InvitationKind.FOLLOW_UP


def who(**over) -> Contact:
    return Contact(**{"customer_id": "C-1", "email": "ana@example.com", **over})


def reason(contact: Contact, **kw) -> Reason | None:
    return decide(contact, **{"channel": "email", "at": AT, **kw}).reason


def test_a_contact_with_nothing_against_it_is_sent():
    decision = decide(who(), channel=Channel.EMAIL, at=AT)
    assert decision.send and decision.reason is None


@pytest.mark.parametrize(
    "contact,kw,expected",
    [
        (who(), {"erased": True}, Reason.ERASED),
        (who(unsubscribed_at="2026-01-01T00:00:00Z"), {}, Reason.UNSUBSCRIBED),
        (who(consent=["webhook"]), {}, Reason.NO_CONSENT),
        (who(consent="none"), {"channel": "event_only"}, Reason.NO_CONSENT),
        (who(bounced=["email"]), {}, Reason.BOUNCED),
        (who(email=None), {}, Reason.NO_ADDRESS),
        (who(), {"open_cases": ["K-1"]}, Reason.OPEN_CASE),
        (who(), {"invited_at": [AT - timedelta(days=29)]}, Reason.CONTACT_FREQUENCY),
        (who(), {"invited_at": [AT + timedelta(days=3)]}, Reason.CONTACT_FREQUENCY),  # one already planned later
    ],
)
def test_each_rule_suppresses_with_its_reason(contact, kw, expected):
    assert reason(contact, **kw) is expected


def test_the_first_rule_that_holds_is_the_reason():
    everything = who(unsubscribed_at="2026-01-01", consent="none", bounced="email", email=None)
    kw = {"open_cases": ["K-1"], "invited_at": [AT]}
    assert reason(everything, erased=True, **kw) is Reason.ERASED
    assert reason(everything, **kw) is Reason.UNSUBSCRIBED
    assert reason(who(consent="none", bounced="email"), **kw) is Reason.NO_CONSENT
    assert reason(who(bounced="email", email=None), **kw) is Reason.BOUNCED
    assert reason(who(), **kw) is Reason.OPEN_CASE


def test_a_bounce_on_another_channel_does_not_matter_and_webhooks_need_no_address():
    assert reason(who(bounced=["email"], email=None), channel="webhook") is None


def test_frequency_is_measured_across_programmes_to_the_second():
    assert reason(who(), invited_at=[AT - timedelta(days=30)]) is None
    assert reason(who(), invited_at=[AT - timedelta(days=30) + timedelta(seconds=1)]) is Reason.CONTACT_FREQUENCY
    assert reason(who(), invited_at=[AT - timedelta(days=90), AT - timedelta(days=45)]) is None
    weekly = ContactRules(frequency_days=7)
    assert reason(who(), invited_at=[AT - timedelta(days=8)], rules=weekly) is None
    assert reason(who(), invited_at=[AT], rules=ContactRules(frequency_days=0)) is None


def test_the_follow_up_skips_the_contact_rules_proper():
    kw = {"kind": FOLLOW_UP, "open_cases": ["K-1"], "invited_at": [AT - timedelta(days=1)]}
    assert reason(who(), **kw) is None


@pytest.mark.parametrize(
    "contact,kw,expected",
    [
        (who(), {"erased": True}, Reason.ERASED),
        (who(unsubscribed_at="2026-01-01"), {}, Reason.UNSUBSCRIBED),
        (who(consent=["webhook"]), {}, Reason.NO_CONSENT),
        (who(bounced=["email"]), {}, Reason.BOUNCED),
        (who(email=None), {}, Reason.NO_ADDRESS),
    ],
)
def test_the_follow_up_still_obeys_the_law_and_the_channel(contact, kw, expected):
    assert reason(contact, kind=FOLLOW_UP, open_cases=["K-1"], **kw) is expected


def test_rules_read_plain_rows_too():
    class Row:  # a row from the service's table: channels as plain strings
        unsubscribed_at, consent, bounced, email = None, ["email"], [], "ana@example.com"

    assert reason(Row()) is None
    Row.bounced = ["email"]
    assert reason(Row()) is Reason.BOUNCED


def test_every_reason_is_a_stable_machine_string():
    assert {r.value for r in Reason} == {
        "erased",
        "unsubscribed",
        "no_consent",
        "bounced",
        "no_address",
        "open_case",
        "contact_frequency",
        "daily_cap",
    }


@pytest.mark.parametrize("days", [-1, 366])
def test_frequency_days_is_bounded(days):
    with pytest.raises(ValueError):
        ContactRules(frequency_days=days)
