"""Invitation tokens: they round-trip, refuse any tampering, expire, rotate keys, keep purposes
apart and carry nothing personal; the link is the plan's template with the token URL-encoded."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.surveys.domain.tokens import (
    Purpose,
    TokenExpired,
    TokenKeys,
    TokenMalformed,
    TokenTampered,
    build_link,
    mint,
    verify,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=14)
KEYS = TokenKeys(["k1-" + "a" * 40])
ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=64)


@given(ids, st.integers(1, 10**7))
def test_a_token_round_trips(invitation_id, seconds):
    expires = NOW + timedelta(seconds=seconds)
    token = mint(KEYS, invitation_id, expires)
    claims = verify(KEYS, token, now=NOW)
    assert claims.invitation_id == invitation_id
    assert claims.expires_at == expires.replace(microsecond=0)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(ids, st.data())
def test_any_change_to_a_token_is_refused(invitation_id, data):
    token = mint(KEYS, invitation_id, LATER)
    at = data.draw(st.integers(0, len(token) - 1))
    char = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    changed = token[:at] + char + token[at + 1 :]
    if changed == token:
        return
    with pytest.raises((TokenTampered, TokenMalformed)):
        verify(KEYS, changed, now=NOW)


@given(ids, st.integers(0, 10**6))
def test_a_token_with_a_later_expiry_spliced_in_is_refused(invitation_id, extra):
    raw = bytearray(base64.urlsafe_b64decode(mint(KEYS, invitation_id, NOW + timedelta(seconds=1)) + "=="))
    raw[1:6] = (int(LATER.timestamp()) + extra).to_bytes(5, "big")
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(TokenTampered):
        verify(KEYS, forged, now=NOW)


def test_an_expired_token_says_which_invitation_it_was():
    token = mint(KEYS, "inv-1", NOW + timedelta(hours=1))
    assert verify(KEYS, token, now=NOW + timedelta(minutes=59)).invitation_id == "inv-1"
    with pytest.raises(TokenExpired) as caught:
        verify(KEYS, token, now=NOW + timedelta(hours=1))  # expiry is exclusive
    assert caught.value.invitation_id == "inv-1" and caught.value.reason == "expired"
    assert verify(KEYS, token, now=NOW + timedelta(hours=1), leeway_s=60).invitation_id == "inv-1"


def test_expiry_is_only_believed_after_the_signature():
    token = mint(TokenKeys(["other-" + "b" * 40]), "inv-1", NOW - timedelta(days=1))
    with pytest.raises(TokenTampered):  # not TokenExpired: a forged token reveals nothing
        verify(KEYS, token, now=NOW)


def test_keys_rotate_newest_first_and_retire():
    old, new = "old-" + "o" * 40, "new-" + "n" * 40
    minted_before = mint(TokenKeys([old]), "inv-1", LATER)
    rotated = TokenKeys([new, old])
    assert verify(rotated, minted_before, now=NOW).invitation_id == "inv-1"
    minted_after = mint(rotated, "inv-2", LATER)
    assert verify(TokenKeys([new]), minted_after, now=NOW).invitation_id == "inv-2"
    with pytest.raises(TokenTampered):
        verify(TokenKeys([new]), minted_before, now=NOW)  # the old key retired


def test_an_invitation_token_does_not_unsubscribe_and_back():
    token = mint(KEYS, "inv-1", LATER)
    with pytest.raises(TokenTampered):
        verify(KEYS, token, now=NOW, purpose=Purpose.UNSUBSCRIBE)
    unsubscribe = mint(KEYS, "inv-1", LATER, purpose=Purpose.UNSUBSCRIBE)
    assert verify(KEYS, unsubscribe, now=NOW, purpose=Purpose.UNSUBSCRIBE).invitation_id == "inv-1"
    with pytest.raises(TokenTampered):
        verify(KEYS, unsubscribe, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a",
        "abc$",
        "x" * 201,
        "====",
        "AQ",
        None,
        42,
        "a b",
        mint(KEYS, "inv-1", LATER) + "=",  # padding is not part of the token
        base64.urlsafe_b64encode(b"\x02" + b"\x00" * 40).rstrip(b"=").decode(),
    ],
)
def test_malformed_tokens_are_refused_as_malformed(token):
    with pytest.raises(TokenMalformed) as caught:
        verify(KEYS, token, now=NOW)
    assert caught.value.reason == "malformed"


def test_a_token_with_non_canonical_trailing_bits_is_refused():
    token = mint(KEYS, "inv-1", LATER)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = [
        token[:-1] + c
        for c in alphabet
        if c != token[-1]
        and base64.urlsafe_b64decode(token[:-1] + c + "=" * (-len(token) % 4))
        == base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    ]
    assert twins
    for twin in twins:
        with pytest.raises(TokenMalformed):
            verify(KEYS, twin, now=NOW)


def test_the_token_carries_nothing_but_the_invitation_and_its_expiry():
    raw = base64.urlsafe_b64decode(mint(KEYS, "0b7f3c2a9e1d4f60", LATER) + "==")
    assert len(raw) == 1 + 5 + 16 + 32


@pytest.mark.parametrize("bad", ["has space", "ana@example.com", "x" * 65, "", "ñ"])
def test_only_opaque_invitation_ids_can_be_minted(bad):
    with pytest.raises(ValueError):
        mint(KEYS, bad, LATER)


def test_keys_are_checked_and_never_shown():
    for keys in ([], ["short"], ["k" * 40] * 9):
        with pytest.raises(ValueError):
            TokenKeys(keys)
    with pytest.raises(TypeError):
        TokenKeys("k" * 40)
    assert "a" * 40 not in repr(KEYS)
    with pytest.raises(ValueError):
        mint(KEYS, "inv-1", datetime(2026, 12, 1))  # naive
    with pytest.raises(ValueError):
        verify(KEYS, mint(KEYS, "inv-1", LATER), now=datetime(2026, 11, 20))  # naive: which zone's 'now'?


# -- the link ----------------------------------------------------------------------------------------


def test_the_link_carries_the_token_url_encoded():
    token = mint(KEYS, "inv-1", LATER)
    link = build_link(
        "https://forms.example.com/s/{program}?t={token}&case={case_id}&hl={locale}#x",
        token,
        case_id="K 1/2&x",
        program="default",
        locale="es",
    )
    parts = urlsplit(link)
    assert (parts.scheme, parts.hostname, parts.path, parts.fragment) == (
        "https",
        "forms.example.com",
        "/s/default",
        "x",
    )
    assert parse_qs(parts.query) == {"t": [token], "case": ["K 1/2&x"], "hl": ["es"]}
    assert verify(KEYS, parse_qs(parts.query)["t"][0], now=NOW).invitation_id == "inv-1"


def test_an_absent_optional_value_leaves_its_placeholder_empty():
    assert build_link("https://f.example.com/?t={token}&c={case_id}", "TOK") == "https://f.example.com/?t=TOK&c="


@pytest.mark.parametrize(
    "template", ["https://f.example.com/", "http://f.example.com/{token}", "https://f.example.com/{token}/{email}"]
)
def test_a_link_is_never_built_from_a_bad_template(template):
    with pytest.raises(ValueError):
        build_link(template, "TOK")
