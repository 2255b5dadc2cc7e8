"""The invitation email, per locale (Spanish, English): subject, plain text, simple HTML, headers.

Nothing personal goes in but the greeting's first name; the subject is the same for everyone.
Every value is escaped for where it lands (HTML text and attributes); a name that looks like a
link or an address (phishing through the greeting) is dropped for the plain greeting.

Unsubscribing is one click (RFC 8058): `List-Unsubscribe: <https://…>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, the same link shown in the body.
`Message-ID` is the invitation's id, so a bounce names the invitation it belongs to.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import urlsplit

from services.surveys.domain.text import line_problem

MAX_GREETING_NAME = 60
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_LINKISH = re.compile(r"(://|www\.|@|<|>|/)", re.IGNORECASE)


class EmailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    FOLLOW_UP = "follow_up"
    FOLLOW_UP_REMINDER = "follow_up_reminder"


@dataclass(frozen=True, slots=True)
class Email:
    locale: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


_MONTHS = {
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

_COPY = {
    "es": {
        "greeting": "Hola, {name}:",
        "greeting_anonymous": "Hola:",
        "us": "nosotros",
        "of_company": " de {company}",
        "subject": {
            EmailKind.INVITATION: "¿Cómo es tu experiencia con {company}? (1 minuto)",
            EmailKind.REMINDER: "Recordatorio: ¿nos cuentas cómo te va con {company}?",
            EmailKind.FOLLOW_UP: "¿Hemos resuelto lo que nos contaste?",
            EmailKind.FOLLOW_UP_REMINDER: "Recordatorio: ¿hemos resuelto lo que nos contaste?",
        },
        "lead": {
            EmailKind.INVITATION: "Queremos saber cómo te sientes como cliente{of_company}. "
            "Son tres preguntas y te llevará un minuto.",
            EmailKind.REMINDER: "Hace unos días te pedimos tu opinión y aún no nos ha llegado. "
            "Son tres preguntas y te llevará un minuto.",
            EmailKind.FOLLOW_UP: "Hace poco nos contaste un problema y hemos trabajado para resolverlo. "
            "¿Nos dices si está resuelto y cómo te sientes ahora?",
            EmailKind.FOLLOW_UP_REMINDER: "Aún no sabemos si resolvimos lo que nos contaste. "
            "¿Nos dices cómo te sientes ahora?",
        },
        "button": "Responder la encuesta",
        "expires": "El enlace es personal y caduca el {date}.",
        "unsubscribe": "Si prefieres no recibir más encuestas, date de baja aquí:",
        "unsubscribe_short": "Darme de baja",
        "date": "{day} de {month} de {year}",
    },
    "en": {
        "greeting": "Hi {name},",
        "greeting_anonymous": "Hello,",
        "us": "us",
        "of_company": " of {company}",
        "subject": {
            EmailKind.INVITATION: "How is your experience with {company}? (1 minute)",
            EmailKind.REMINDER: "Reminder: how are things going with {company}?",
            EmailKind.FOLLOW_UP: "Did we solve what you told us about?",
            EmailKind.FOLLOW_UP_REMINDER: "Reminder: did we solve what you told us about?",
        },
        "lead": {
            EmailKind.INVITATION: "We would like to know how you feel as a customer{of_company}. "
            "It is three questions and takes a minute.",
            EmailKind.REMINDER: "A few days ago we asked for your opinion and have not heard back yet. "
            "It is three questions and takes a minute.",
            EmailKind.FOLLOW_UP: "You recently told us about a problem and we have worked to solve it. "
            "Could you tell us whether it is solved and how you feel now?",
            EmailKind.FOLLOW_UP_REMINDER: "We still do not know whether we solved what you told us about. "
            "Could you tell us how you feel now?",
        },
        "button": "Answer the survey",
        "expires": "This link is personal and expires on {date}.",
        "unsubscribe": "If you would rather not receive more surveys, unsubscribe here:",
        "unsubscribe_short": "Unsubscribe",
        "date": "{day} {month} {year}",
    },
}


def greeting_name(name: str | None) -> str | None:
    """The name as the greeting may use it, or None for the plain greeting."""
    if not name:
        return None
    name = " ".join(name.split())
    if not name or line_problem(name) or _LINKISH.search(name):
        return None
    return name if len(name) <= MAX_GREETING_NAME else name[:MAX_GREETING_NAME].rstrip() + "…"


def _https(url: str, what: str) -> str:
    if not isinstance(url, str) or len(url) > 2048 or line_problem(url) or any(c.isspace() or c in '<>"' for c in url):
        raise ValueError(f"the {what} must be a URL without spaces, quotes or angle brackets")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"the {what} must be an https:// URL")
    return url


def list_unsubscribe_headers(unsubscribe_url: str, mailto: str | None = None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe (RFC 2369 syntax: each URI in angle brackets, commas escaped)."""
    uris = [f"<{_https(unsubscribe_url, 'unsubscribe link').replace(',', '%2C')}>"]
    if mailto:
        if line_problem(mailto) or any(c.isspace() or c in '<>,"' for c in mailto) or "@" not in mailto:
            raise ValueError("the unsubscribe mailbox must be a plain address")
        uris.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(uris), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def message_id(invitation_id: str, domain: str) -> str:
    """`<invitation_id@domain>`: the Message-ID that ties replies and bounces to the invitation."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", invitation_id or ""):
        raise ValueError("an invitation id is 1–64 characters of A–Z, a–z, 0–9, '-' and '_'")
    if not _DOMAIN.match(domain or ""):
        raise ValueError("the Message-ID domain must be a DNS name such as 'surveys.example.com'")
    return f"<{invitation_id}@{domain.lower()}>"


def _long_date(locale: str, day: date) -> str:
    return _COPY[locale]["date"].format(day=day.day, month=_MONTHS[locale][day.month - 1], year=day.year)


def render_invitation(
    *,
    locale: str,
    link: str,
    unsubscribe_link: str,
    name: str | None = None,
    kind: EmailKind | str = EmailKind.INVITATION,
    company: str | None = None,
    expires_on: date | None = None,
    invitation_id: str | None = None,
    message_domain: str | None = None,
) -> Email:
    """The email for one invitation. `locale` 'es' or 'en'; `expires_on` is the customer's local date."""
    if locale not in _COPY:
        raise ValueError("locale must be 'es' or 'en'")
    copy, kind = _COPY[locale], EmailKind(kind)
    link = _https(link, "survey link")
    unsubscribe_link = _https(unsubscribe_link, "unsubscribe link")
    company = " ".join(company.split())[:100] if company and not line_problem(company) else None
    who = greeting_name(name)
    greeting = copy["greeting"].format(name=who) if who else copy["greeting_anonymous"]
    brand = company or copy["us"]
    subject = copy["subject"][kind].format(company=brand)
    of_company = copy["of_company"].format(company=company) if company else ""
    lead = copy["lead"][kind].format(of_company=of_company)
    expires = copy["expires"].format(date=_long_date(locale, expires_on)) if expires_on else None

    text_parts = [greeting, "", lead, "", link, ""]
    if expires:
        text_parts += [expires, ""]
    text_parts += [copy["unsubscribe"], unsubscribe_link, ""]

    e = html.escape
    html_parts = [
        f'<!doctype html>\n<html lang="{locale}"><head><meta charset="utf-8"><title>{e(subject)}</title></head><body>',
        f"<p>{e(greeting)}</p>",
        f"<p>{e(lead)}</p>",
        f'<p><a href="{e(link, quote=True)}">{e(copy["button"])}</a></p>',
    ]
    if expires:
        html_parts.append(f"<p>{e(expires)}</p>")
    html_parts.append(
        f'<p style="font-size:12px;color:#666">{e(copy["unsubscribe"])} '
        f'<a href="{e(unsubscribe_link, quote=True)}">{e(copy["unsubscribe_short"])}</a></p>'
    )
    html_parts.append("</body></html>\n")

    headers = {**list_unsubscribe_headers(unsubscribe_link), "Content-Language": locale}
    if invitation_id and message_domain:
        headers["Message-ID"] = message_id(invitation_id, message_domain)
    return Email(locale, subject, "\n".join(text_parts), "\n".join(html_parts), headers)
