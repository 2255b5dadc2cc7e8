"""Invitations by email: surveys sends over SMTP (LAZO_SMTP_URL) to a real SMTP server on loopback
(aiosmtpd), and the test reads what arrived: the locale's template, the link with its token, the
one-click unsubscribe headers, the invitation's id as Message-ID; the reminder once; nothing twice."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest
from aiosmtpd.controller import Controller

from ops.embedded_broker import free_port
from tests.harness import System
from tests.support import poll

UTC = UTC


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def mailing(tmp_path_factory, inbox):
    _, port = inbox
    sys_ = System(
        tmp_path_factory.mktemp("smtp"),
        services=("surveys",),
        extra_env={
            "LAZO_SURVEYS_CLOCK": "manual",
            "LAZO_PLANNER_EVERY_S": "3600",
            "LAZO_SMTP_URL": f"smtp+plain://127.0.0.1:{port}",
            "LAZO_SMTP_FROM": "iec@lazo.test",
            "LAZO_SURVEYS_PUBLIC_URL": "https://surveys.lazo.test",
        },
    )
    yield sys_
    sys_.close()


async def test_invitations_and_reminders_go_out_by_email_once(mailing, inbox, uid):
    box, _ = inbox
    customer = f"{uid}-mail"
    async with mailing.client("surveys", "manager") as api:
        r = await api.post(
            "/v1/contacts",
            json={
                "customer_id": customer,
                "email": "ana@example.com",
                "name": "Ana",
                "locale": "en",
                "customer_since": "2027-05-10",
            },
        )
        assert r.status_code == 200, r.text
        r = await api.put(
            f"/v1/programs/m{uid}/survey-plan",
            json={
                "link_template": "https://forms.example.com/s?t={token}",
                "channel": "email",
                "anchor": "0 days after customer_since",
                "reminder_after_days": 3,
                "expire_after_days": 10,
            },
        )
        assert r.status_code == 200, r.text

        async def round_at(moment: datetime) -> dict:
            assert (await api.put("/v1/clock", json={"now": moment.isoformat()})).status_code == 200
            r = await api.post("/v1/planner/runs")
            assert r.status_code == 200, r.text
            return r.json()

        def mine() -> list:
            return [m for m in box.messages if m["To"] == "ana@example.com"]

        assert (await round_at(datetime(2027, 5, 10, 17, tzinfo=UTC)))["sent"] == 1
        [first] = await poll(mine, what="the invitation email")
        [inv] = (await api.get("/v1/invitations", params={"customer_id": customer})).json()["items"]
        assert inv["status"] == "sent" and inv["sent_at"]
        assert first["Subject"] == "How is your experience with us? (1 minute)"
        assert first["From"] == "iec@lazo.test"
        assert first["Message-ID"] == f"<{inv['invitation_id']}@surveys.lazo.test>"
        assert first["List-Unsubscribe"].startswith("<https://surveys.lazo.test/u/")
        assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = first.get_body(("plain",)).get_content()
        assert text.startswith("Hi Ana,") and "https://forms.example.com/s?t=" in text
        assert first.get_body(("html",)) is not None

        # The same round again sends nothing more; three days later, the reminder, once.
        await round_at(datetime(2027, 5, 11, 17, tzinfo=UTC))
        await round_at(datetime(2027, 5, 14, 17, tzinfo=UTC))
        await round_at(datetime(2027, 5, 15, 17, tzinfo=UTC))
        both = await poll(lambda: len(mine()) >= 2 and mine(), what="the reminder email")
        assert len(both) == 2
        reminder = both[1]
        assert reminder["Subject"].startswith("Reminder:")
        assert reminder["Message-ID"] == f"<{inv['invitation_id']}-r@surveys.lazo.test>"
        [inv] = (await api.get("/v1/invitations", params={"customer_id": customer})).json()["items"]
        assert inv["status"] == "reminded"
        await api.delete(f"/v1/programs/m{uid}/survey-plan")
