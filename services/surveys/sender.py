"""Email over SMTP (aiosmtplib), when LAZO_SMTP_URL is set: an invitation or its reminder, rendered
from the due event the send row holds (domain/templates.py: Spanish or English, one-click
unsubscribe headers, the invitation's id in the Message-ID).

`LAZO_SMTP_URL`: `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it),
`smtps://…` (TLS from the first byte, port 465 by default), `smtp+plain://…` (no TLS: a relay on
the same host, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from services.surveys.domain.templates import EmailKind, render_invitation

TIMEOUT_S = 20.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool  # implicit TLS (smtps)
    starttls: bool | None  # None: if the server offers it

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+plain") or not parts.hostname:
            raise ValueError("LAZO_SMTP_URL must be smtp://, smtps:// or smtp+plain:// with a host")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            starttls=False if parts.scheme == "smtp+plain" or tls else None,
        )

    def where(self) -> str:
        return f"{self.host}:{self.port}"  # never the credentials: this goes to logs


def message(data: dict, *, purpose: str, sender: str, message_domain: str) -> EmailMessage:
    """The email of a `lazo.survey.due` / `lazo.survey.reminded` event's data."""
    follow_up = data.get("kind") == "follow_up"
    kind = {
        ("invitation", False): EmailKind.INVITATION,
        ("reminder", False): EmailKind.REMINDER,
        ("invitation", True): EmailKind.FOLLOW_UP,
        ("reminder", True): EmailKind.FOLLOW_UP_REMINDER,
    }[(purpose, follow_up)]
    customer = data.get("customer") or {}
    expires = datetime.fromisoformat(data["expire_at"]) if data.get("expire_at") else None
    # Each message its own Message-ID; the invitation's id in it ties a bounce to the invitation.
    ref = data["invitation_id"] + ("" if purpose == "invitation" else "-r")
    email = render_invitation(
        locale=data.get("locale") or "es",
        link=data["link"],
        unsubscribe_link=data["unsubscribe_link"],
        name=customer.get("name"),
        kind=kind,
        expires_on=expires.date() if expires else None,
        invitation_id=ref,
        message_domain=message_domain,
    )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = customer["email"]
    msg["Subject"] = email.subject
    for name, value in email.headers.items():
        msg[name] = value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


async def send(server: SmtpServer, msg: EmailMessage) -> None:
    """One message; raises aiosmtplib.SMTPException or OSError when it did not go."""
    await aiosmtplib.send(
        msg,
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.tls,
        start_tls=server.starttls,
        timeout=TIMEOUT_S,
    )
