"""Each platform's signature scheme: genuine, tampered, wrong secret, unsigned, out of tolerance."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest
from standardwebhooks.webhooks import Webhook

from services.ingest.domain import platforms, signatures
from services.ingest.domain.signatures import SignatureError

BODY = b'{"event_type":"form_response","form_response":{"token":"abc"}}'
SECRET = "s3cr3t-typeform-0123456789"
WHSEC = "whsec_" + base64.b64encode(b"formbricks-signing-key-32-bytes!").decode()


def b64_hmac(key: bytes, body: bytes, digest=hashlib.sha256) -> str:
    return base64.b64encode(hmac.new(key, body, digest).digest()).decode()


def test_typeform():
    good = {"Typeform-Signature": "sha256=" + b64_hmac(SECRET.encode(), BODY)}
    signatures.verify_typeform(SECRET, BODY, good)
    for headers, body, secret in [
        ({}, BODY, SECRET),
        (good, BODY + b" ", SECRET),
        (good, BODY, "other-secret"),
        ({"Typeform-Signature": good["Typeform-Signature"][7:]}, BODY, SECRET),
    ]:
        with pytest.raises(SignatureError):
            signatures.verify_typeform(secret, body, headers)


def test_tally():
    signatures.verify_tally(SECRET, BODY, {"tally-signature": b64_hmac(SECRET.encode(), BODY)})
    with pytest.raises(SignatureError, match="does not match"):
        signatures.verify_tally(
            SECRET, BODY.replace(b"abc", b"abd"), {"tally-signature": b64_hmac(SECRET.encode(), BODY)}
        )
    with pytest.raises(SignatureError, match="missing"):
        signatures.verify_tally(SECRET, BODY, {})


def formbricks_headers(body: bytes, at: float, msg_id: str = "msg_1") -> dict[str, str]:
    sig = hmac.new(base64.b64decode(WHSEC[6:]), f"{msg_id}.{int(at)}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": "v1," + base64.b64encode(sig).decode(),
    }


def test_formbricks_standard_webhooks_with_its_timestamp_tolerance():
    now = time.time()
    signatures.verify_formbricks(WHSEC, BODY, formbricks_headers(BODY, now))
    rotated = formbricks_headers(BODY, now)
    rotated["webhook-signature"] = "v1,AAAA " + rotated["webhook-signature"]  # several signatures: any may match
    signatures.verify_formbricks(WHSEC, BODY, rotated)
    cases = {
        "too old": formbricks_headers(BODY, now - 600),
        "too new": formbricks_headers(BODY, now + 600),
        "other id": {**formbricks_headers(BODY, now), "webhook-id": "msg_2"},
        "malformed": {**formbricks_headers(BODY, now), "webhook-signature": "garbage"},
        "unsigned": {k: v for k, v in formbricks_headers(BODY, now).items() if k != "webhook-signature"},
        "no timestamp": {k: v for k, v in formbricks_headers(BODY, now).items() if k != "webhook-timestamp"},
    }
    for name, headers in cases.items():
        with pytest.raises(SignatureError):
            signatures.verify_formbricks(WHSEC, BODY, headers)
            pytest.fail(name)
    with pytest.raises(SignatureError, match="too old"):
        signatures.verify_formbricks(WHSEC, BODY, cases["too old"])
    # Our own signer agrees with the library's.
    lib = Webhook(WHSEC).sign("msg_1", __import__("datetime").datetime.fromtimestamp(int(now)), BODY.decode())
    assert lib == formbricks_headers(BODY, now)["webhook-signature"]


def test_surveymonkey_hmac_sha1_keyed_by_client_id_and_secret():
    key = b"client-123&secret-456"
    signed = {"Sm-Signature": b64_hmac(key, BODY, hashlib.sha1)}
    signatures.verify_surveymonkey("client-123", "secret-456", BODY, signed)
    with pytest.raises(SignatureError):
        signatures.verify_surveymonkey("client-123", "secret-457", BODY, signed)
    with pytest.raises(SignatureError):
        signatures.verify_surveymonkey("client-123", "secret-456", BODY, {})


def test_qualtrics_hmac_sha512_hex_of_msg_in_a_form_body():
    msg = '{"SurveyID":"SV_1","ResponseID":"R_1","Status":"Complete"}'
    mac = hmac.new(b"shared-key", msg.encode(), hashlib.sha512).hexdigest()
    body = urlencode({"Topic": "brand.surveyengine.completedResponse.SV_1", "MSG": msg, "HMAC": mac}).encode()
    form = signatures.parse_form(body)
    signatures.verify_qualtrics("shared-key", form)
    signatures.verify_qualtrics("shared-key", {**form, "HMAC": mac.upper()})
    with pytest.raises(SignatureError):
        signatures.verify_qualtrics("shared-key", {**form, "MSG": msg.replace("R_1", "R_2")})
    with pytest.raises(SignatureError):
        signatures.verify_qualtrics("shared-key", {k: v for k, v in form.items() if k != "HMAC"})
    payload = platforms.parse(platforms.PLATFORMS["qualtrics"], body)
    assert payload["MSG"]["ResponseID"] == "R_1" and "HMAC" not in payload


def test_generic_token_digest_or_hmac():
    digest = signatures.token_digest("tok-abc")
    signatures.verify_generic(BODY, {"X-Lazo-Token": "tok-abc"}, token_sha256=digest)
    signatures.verify_generic(BODY, {"Authorization": "Bearer tok-abc"}, token_sha256=digest)
    with pytest.raises(SignatureError):
        signatures.verify_generic(BODY, {"X-Lazo-Token": "tok-abd"}, token_sha256=digest)
    sig = "sha256=" + hmac.new(b"k", BODY, hashlib.sha256).hexdigest()
    signatures.verify_generic(BODY, {"X-Lazo-Signature": sig}, secret="k")
    with pytest.raises(SignatureError):
        signatures.verify_generic(BODY + b"x", {"X-Lazo-Signature": sig}, secret="k")
    with pytest.raises(SignatureError):
        signatures.verify_generic(BODY, {}, secret="k")


def test_credentials_are_checked_per_platform_and_tokens_kept_only_as_digests():
    spec = platforms.PLATFORMS

    def fields(platform: str, credentials: dict) -> list[str]:
        return [e["field"] for e in platforms.credential_errors(spec[platform], credentials, None)]

    long_ = "x" * 16
    assert fields("typeform", {"secret": long_}) == []
    assert fields("surveymonkey", {"client_id": "a"}) == ["credentials.client_secret", "credentials.access_token"]
    assert fields("qualtrics", {"shared_key": long_, "api_token": long_}) == ["api_base_url"]
    assert fields("formbricks", {"secret": "not-whsec!"}) == ["credentials.secret"]
    assert fields("generic", {"token": long_, "secret": long_}) == ["credentials"]
    assert fields("tally", {"secret": long_, "token": long_}) == ["credentials.token"]
    digest = signatures.token_digest("tok")
    assert platforms.stored_credentials(spec["generic"], {"token": "tok"}) == {"token_sha256": digest}


def test_secrets_and_tokens_shorter_than_16_characters_are_refused_by_name():
    spec = platforms.PLATFORMS

    def fields(platform: str, credentials: dict) -> list[str]:
        return [e["field"] for e in platforms.credential_errors(spec[platform], credentials, "https://x.qualtrics.com")]

    short, enough = "s" * 15, "s" * 16
    assert fields("typeform", {"secret": short}) == ["credentials.secret"]
    assert fields("tally", {"secret": enough}) == []
    assert fields("generic", {"token": short}) == ["credentials.token"]
    assert fields("qualtrics", {"shared_key": short, "api_token": short}) == [
        "credentials.shared_key",
        "credentials.api_token",
    ]
    # a client id is public, not a secret; the client secret and the token are
    assert fields("surveymonkey", {"client_id": "abc", "client_secret": short, "access_token": enough}) == [
        "credentials.client_secret"
    ]
    assert fields("typeform", {"secret": "s" * 2001}) == ["credentials.secret"]
