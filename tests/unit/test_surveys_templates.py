"""The invitation email: Spanish and English, plain text and HTML, values escaped, nothing personal
beyond the greeting name, and RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.surveys.domain.templates import (
    EmailKind,
    greeting_name,
    list_unsubscribe_headers,
    message_id,
    render_invitation,
)

LINK = "https://forms.example.com/iec?t=AQBrDg4A&case=K-1"
UNSUBSCRIBE = "https://surveys.example.com/v1/unsubscribe?t=UNSUB"


def render(**over):
    return render_invitation(**{"locale": "es", "link": LINK, "unsubscribe_link": UNSUBSCRIBE, "name": "Ana", **over})


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("kind", list(EmailKind))
def test_spanish_and_english_for_every_kind(kind):
    es, en = render(kind=kind), render(kind=kind, locale="en")
    assert es.subject != en.subject and es.text != en.text
    assert es.text.startswith("Hola, Ana:") and en.text.startswith("Hi Ana,")
    assert '<html lang="es">' in es.html and '<html lang="en">' in en.html
    for email in (es, en):
        assert LINK in email.text and UNSUBSCRIBE in email.text
        assert parsed(email.html).hrefs == [LINK, UNSUBSCRIBE]  # the &amp; in the HTML reads back as the link


def test_the_follow_up_is_about_the_case_and_the_reminder_says_so():
    assert "resuelto" in render(kind="follow_up").subject
    assert "Reminder" in render(kind="reminder", locale="en").subject


def test_the_subject_carries_no_personal_data():
    email = render(name="Ana", company="Acme Seguros")
    assert "Ana" not in email.subject and "Acme Seguros" in email.subject
    assert "Ana" not in render(kind="follow_up").subject


def test_the_expiry_date_is_written_for_the_locale():
    assert "1 de diciembre de 2026" in render(expires_on=date(2026, 12, 1)).text
    assert "1 December 2026" in render(locale="en", expires_on=date(2026, 12, 1)).text


def test_without_a_usable_name_the_greeting_is_plain():
    assert render(name=None).text.startswith("Hola:")
    assert render(name="   ", locale="en").text.startswith("Hello,")
    for phishing in ("Ana, visit www.evil.example", "https://evil.example", "ana@example.com", "<b>Ana</b>"):
        assert greeting_name(phishing) is None
    assert greeting_name("María  José\t") == "María José"
    assert greeting_name("x" * 100).endswith("…") and len(greeting_name("x" * 100)) == 61


@given(st.text(max_size=80), st.text(max_size=40))
def test_names_and_company_never_break_the_html(name, company):
    email = render(name=name, company=company)
    assert parsed(email.html).hrefs == [LINK, UNSUBSCRIBE]
    body = email.html.split("<body>", 1)[1]
    # Every tag in the body is one of ours: whatever the name held arrived escaped.
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", body)) <= {"p", "a", "body", "html"}
    assert "\r" not in email.subject and "\n" not in email.subject


def test_html_special_characters_are_escaped():
    email = render(name="O'Brien & Hijos", company='"Acme" & Co')
    assert "O&#x27;Brien &amp; Hijos" in email.html and "&quot;Acme&quot; &amp; Co" in email.html
    assert "O'Brien & Hijos" in email.text


def test_one_click_unsubscribe_headers():
    headers = render().headers
    assert headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    both = list_unsubscribe_headers("https://s.example.com/u?a=1,2", mailto="unsubscribe@example.com")
    assert both["List-Unsubscribe"] == (
        "<https://s.example.com/u?a=1%2C2>, <mailto:unsubscribe@example.com?subject=unsubscribe>"
    )


def test_the_message_id_is_the_invitation_id():
    email = render(invitation_id="0b7f3c2a9e1d", message_domain="surveys.example.com")
    assert email.headers["Message-ID"] == "<0b7f3c2a9e1d@surveys.example.com>"
    for bad in (("a b", "x.com"), ("inv", "not a domain"), ("inv>", "x.com"), ("inv", "x.com\r\nBcc: y")):
        with pytest.raises(ValueError):
            message_id(*bad)


@pytest.mark.parametrize(
    "over",
    [
        {"link": "http://forms.example.com/x"},
        {"link": "javascript:alert(1)"},
        {"link": 'https://f.example.com/"onmouseover=x'},
        {"unsubscribe_link": "mailto:x@example.com"},
        {"locale": "de"},
        {"link": "https://f.example.com/\r\nX: y"},
    ],
)
def test_bad_links_and_locales_are_refused(over):
    with pytest.raises(ValueError):
        render(**over)
