"""The invitation's lifecycle, exhaustively: every (from, to) pair is a move, a harmless repeat or
late report, or forbidden (409); the reminder happens once; the follow-up's expiry tells the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from shared.http.problems import status_of
from services.surveys.domain.invitations import (
    TRANSITIONS,
    EventKind,
    Invitation,
    Status,
    TransitionForbidden,
    follow_up_key,
)
from services.surveys.domain.rules import InvitationKind, Reason

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
AT = T0 + timedelta(days=20)  # past every deadline below

# The specification, written out independently of the code's table.
MOVES = {
    ("planned", "due"),
    ("planned", "suppressed"),
    ("planned", "expired"),
    ("due", "sent"),
    ("due", "opened"),
    ("due", "reminded"),
    ("due", "responded"),
    ("due", "bounced"),
    ("due", "suppressed"),
    ("due", "expired"),
    ("sent", "opened"),
    ("sent", "reminded"),
    ("sent", "responded"),
    ("sent", "bounced"),
    ("sent", "expired"),
    ("opened", "reminded"),
    ("opened", "responded"),
    ("opened", "expired"),
    ("reminded", "responded"),
    ("reminded", "bounced"),
    ("reminded", "expired"),
}
# (status, report): reports that repeat or arrive late — nothing changes, nothing is wrong.
STALE = {
    *((s, "sent") for s in ("sent", "opened", "reminded", "responded", "expired", "bounced")),
    *((s, "opened") for s in ("opened", "responded", "expired")),
    *((s, "bounced") for s in ("bounced", "opened", "responded")),
    ("responded", "responded"),
}
STATES = [s.value for s in Status]
TARGETS = [s for s in STATES if s != "planned"]  # nothing leads back to planned


def in_status(status: str, kind: InvitationKind = InvitationKind.SURVEY, **over) -> Invitation:
    values = dict(
        invitation_id="inv-1",
        program="default",
        customer_id="C-1",
        period_key="2026-11" if kind is InvitationKind.SURVEY else follow_up_key("K-1"),
        kind=kind,
        channel="email",
        status=Status(status),
        due_at=T0,
        expire_at=T0 + timedelta(days=14),
        remind_at=T0 + timedelta(days=3),
        case_id="K-1" if kind is InvitationKind.FOLLOW_UP else None,
        sent_at=T0 if status not in ("planned", "due") else None,
        seq=5,
    )
    values.update(over)
    return Invitation(**values)


def apply(invitation: Invitation, to: str):
    return {
        "due": lambda: invitation.become_due(AT),
        "sent": lambda: invitation.mark_sent(AT, expire_at=AT + timedelta(days=14), remind_at=AT + timedelta(days=3)),
        "opened": lambda: invitation.mark_opened(AT),
        "reminded": lambda: invitation.remind(AT),
        "responded": lambda: invitation.record_response("r-1", AT),
        "expired": lambda: invitation.expire(AT),
        "suppressed": lambda: invitation.suppress(Reason.UNSUBSCRIBED, AT),
        "bounced": lambda: invitation.mark_bounced(AT),
    }[to]()


def test_the_table_matches_the_specification():
    assert {(f, t) for f, targets in TRANSITIONS.items() for t in targets} == MOVES
    assert set(STATES) == {
        "planned",
        "due",
        "sent",
        "opened",
        "reminded",
        "responded",
        "expired",
        "suppressed",
        "bounced",
    }


@pytest.mark.parametrize("from_,to", sorted(MOVES))
def test_an_allowed_move_changes_the_status_and_records_one_event(from_, to):
    invitation = in_status(from_)
    result = apply(invitation, to)
    assert result in (None, True)
    assert invitation.status == to
    [event] = invitation.take_changes()
    assert (event.kind, event.from_status, event.to_status, event.at, event.seq) == (to, from_, to, AT, 6)


@pytest.mark.parametrize("from_,to", sorted(STALE))
def test_a_repeated_or_late_report_changes_nothing(from_, to):
    invitation = in_status(from_, opened_at=T0)
    assert apply(invitation, to) is False
    assert invitation.status == from_ and invitation.take_changes() == []


FORBIDDEN = sorted(set(product(STATES, TARGETS)) - MOVES - STALE - {("reminded", "opened"), ("expired", "bounced")})


@pytest.mark.parametrize("from_,to", FORBIDDEN)
def test_anything_else_is_forbidden_naming_what_is_allowed(from_, to):
    invitation = in_status(from_)
    with pytest.raises(TransitionForbidden) as caught:
        apply(invitation, to)
    assert status_of(caught.value)[0] == 409
    assert caught.value.extra["allowed"] == sorted(TRANSITIONS[Status(from_)])
    assert invitation.status == from_ and invitation.take_changes() == []


def test_the_reminder_happens_once():
    invitation = in_status("sent")
    invitation.remind(AT)
    invitation.mark_opened(AT + timedelta(hours=1))  # opened after the reminder: noted, no way back
    assert invitation.status is Status.REMINDED and invitation.opened_at == AT + timedelta(hours=1)
    assert [e.kind for e in invitation.take_changes()] == [EventKind.REMINDED, EventKind.OPENED]
    with pytest.raises(TransitionForbidden):
        invitation.remind(AT + timedelta(days=1))
    assert invitation.mark_opened(AT + timedelta(hours=2)) is False


def test_the_reminder_waits_for_its_moment_and_needs_one():
    with pytest.raises(ValueError):
        in_status("sent").remind(T0 + timedelta(days=2))
    with pytest.raises(TransitionForbidden):
        in_status("sent", remind_at=None).remind(AT)


def test_deadlines_are_kept():
    with pytest.raises(ValueError):
        in_status("sent").expire(T0 + timedelta(days=13))
    with pytest.raises(ValueError):
        in_status("planned").become_due(T0 - timedelta(seconds=1))


def test_sending_sets_the_deadlines_from_the_send():
    invitation = in_status("due")
    invitation.mark_sent(AT, expire_at=AT + timedelta(days=14), remind_at=AT + timedelta(days=3))
    assert (invitation.sent_at, invitation.expire_at, invitation.remind_at) == (
        AT,
        AT + timedelta(days=14),
        AT + timedelta(days=3),
    )


def test_an_event_only_invitation_counts_from_when_it_fell_due():
    invitation = in_status("planned", channel="event_only", expire_at=None, remind_at=None)
    invitation.become_due(T0, expire_at=T0 + timedelta(days=14), remind_at=T0 + timedelta(days=3))
    invitation.remind(T0 + timedelta(days=3))
    invitation.record_response("r-9", T0 + timedelta(days=4))
    assert invitation.status is Status.RESPONDED


def test_a_response_records_the_time_to_respond():
    invitation = in_status("sent")
    invitation.record_response("r-1", T0 + timedelta(hours=5))
    [event] = invitation.take_changes()
    assert (event.kind, event.response_id, event.seconds_to_respond) == (EventKind.RESPONDED, "r-1", 5 * 3600)
    assert invitation.record_response("r-1", T0 + timedelta(hours=6)) is False  # redelivered


def test_an_answer_after_expiry_is_refused_with_the_reason():
    with pytest.raises(TransitionForbidden, match="after the invitation expired"):
        in_status("expired").record_response("r-1", AT)


def test_a_bounce_after_expiry_still_disables_the_channel():
    invitation = in_status("expired")
    assert invitation.mark_bounced(AT) is True
    assert invitation.status is Status.EXPIRED
    assert [e.kind for e in invitation.take_changes()] == [EventKind.BOUNCED]


def test_the_follow_up_carries_its_case_and_its_expiry_tells_the_case():
    invitation = Invitation.follow_up(
        invitation_id="inv-f",
        program="default",
        customer_id="C-1",
        case_id="K-7",
        channel="email",
        due_at=T0,
        expire_at=T0 + timedelta(days=7),
        at=T0,
    )
    assert invitation.kind is InvitationKind.FOLLOW_UP and invitation.period_key == "case:K-7"
    invitation.become_due(T0)
    invitation.mark_sent(T0, expire_at=T0 + timedelta(days=7), remind_at=T0 + timedelta(days=3))
    invitation.remind(T0 + timedelta(days=3))
    invitation.expire(T0 + timedelta(days=7))
    events = invitation.take_changes()
    assert [e.kind for e in events] == [
        EventKind.PLANNED,
        EventKind.DUE,
        EventKind.SENT,
        EventKind.REMINDED,
        EventKind.EXPIRED,
        EventKind.FOLLOW_UP_UNANSWERED,
    ]
    assert "K-7" in events[-1].detail and invitation.case_id == "K-7"


def test_a_regular_invitation_expiring_tells_no_case():
    invitation = in_status("sent")
    invitation.expire(AT)
    assert [e.kind for e in invitation.take_changes()] == [EventKind.EXPIRED]


def test_only_a_follow_up_carries_a_case():
    with pytest.raises(ValueError):
        Invitation.planned(
            invitation_id="i",
            program="p",
            customer_id="C",
            period_key="2026-11",
            channel="email",
            due_at=T0,
            expire_at=T0,
            at=T0,
            case_id="K-1",
        )
    with pytest.raises(ValueError):
        Invitation.planned(
            invitation_id="i",
            program="p",
            customer_id="C",
            period_key="2026-11",
            channel="email",
            due_at=T0,
            expire_at=T0,
            at=T0,
            kind="follow_up",
            case_id="K-1",
        )


def test_a_suppressed_invitation_is_recorded_with_its_reason():
    invitation = Invitation.suppressed(
        invitation_id="inv-s",
        program="default",
        customer_id="C-1",
        period_key="2026-11",
        channel="email",
        reason="daily_cap",
        at=T0,
        detail="the cap left no room",
    )
    assert invitation.status is Status.SUPPRESSED and invitation.reason is Reason.DAILY_CAP
    [event] = invitation.take_changes()
    assert (event.kind, event.reason, event.detail) == (EventKind.SUPPRESSED, Reason.DAILY_CAP, "the cap left no room")
