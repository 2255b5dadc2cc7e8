"""The email built from a due event's data, and the SMTP address read from LAZO_SMTP_URL."""

from __future__ import annotations

import pytest

from services.surveys.sender import SmtpServer, message

DUE = {
    "invitation_id": "inv_abc",
    "kind": "survey",
    "locale": "es",
    "link": "https://forms.example.com/s?t=TOKEN",
    "unsubscribe_link": "https://surveys.example.com/u/UNSUB",
    "expire_at": "2027-05-24T17:00:00+00:00",
    "customer": {"email": "ana@example.com", "name": "Ana <script>"},
}


def test_the_invitation_email_in_spanish_with_one_click_unsubscribe():
    msg = message(DUE, purpose="invitation", sender="encuestas@example.com", message_domain="surveys.example.com")
    assert (msg["From"], msg["To"]) == ("encuestas@example.com", "ana@example.com")
    assert msg["Message-ID"] == "<inv_abc@surveys.example.com>"
    assert msg["List-Unsubscribe"] == "<https://surveys.example.com/u/UNSUB>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("Hola:")  # a name that looks like markup is not used in the greeting
    assert "https://forms.example.com/s?t=TOKEN" in text and "24 de mayo de 2027" in text
    assert "<script>" not in msg.get_body(("html",)).get_content()


def test_a_follow_up_reminder_has_its_own_message_id_and_copy():
    msg = message(
        {**DUE, "kind": "follow_up", "locale": "en", "customer": {"email": "a@example.com", "name": "Ana"}},
        purpose="reminder",
        sender="s@example.com",
        message_domain="surveys.example.com",
    )
    assert msg["Message-ID"] == "<inv_abc-r@surveys.example.com>"
    assert msg["Subject"] == "Reminder: did we solve what you told us about?"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://user:p%40ss@mail.example.com:587", ("mail.example.com", 587, "user", "p@ss", False, None)),
        ("smtps://mail.example.com", ("mail.example.com", 465, None, None, True, False)),
        ("smtp+plain://127.0.0.1:2525", ("127.0.0.1", 2525, None, None, False, False)),
    ],
)
def test_smtp_urls(url, expected):
    s = SmtpServer.from_url(url)
    assert (s.host, s.port, s.username, s.password, s.tls, s.starttls) == expected
    assert "p@ss" not in s.where()


def test_an_smtp_url_of_another_scheme_is_refused():
    with pytest.raises(ValueError):
        SmtpServer.from_url("http://mail.example.com")
