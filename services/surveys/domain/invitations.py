"""The invitation: one customer, one programme, one period (or one case), from planned to answered.

Pure domain code (no I/O). Like the case, the aggregate collects its changes as plain events in
`changes`; the service layer stores them and publishes the ones the contract names
(`lazo.survey.due`, `lazo.survey.suppressed`, …) through the outbox in the same transaction.

    planned ──► due ──► sent ──► opened ──► reminded ──► responded
                 │       │         │           │
                 └───────┴─────────┴───────────┴──► responded | expired   (unanswered by expire_at)
    planned, due ──► suppressed   (a rule, checked again when it falls due)
    due, sent, reminded ──► bounced   (the channel is disabled)
    planned ──► expired   (it never went out before its expiry)
    reminded happens once: nothing leads back to a state that could remind again.

Reports from a sending tool race each other and repeat: a repeat or a late report (`sent` after
`opened`, `opened` after the answer) changes nothing and is not an error; a report that makes no
sense (`sent` for a suppressed invitation) is a TransitionForbidden (409). An `opened` that arrives
after the reminder is recorded without moving back. A bounce reported after expiry still disables
the channel (an event) without changing the outcome.

A follow-up (kind `follow_up`) carries its case's id; its key is `case:<case_id>` (one per case);
when it expires unanswered a `follow_up_unanswered` event tells the case, so an agent calls instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict
from services.surveys.domain.contacts import Channel
from services.surveys.domain.rules import InvitationKind, Reason


class Status(StrEnum):
    PLANNED = "planned"
    DUE = "due"
    SENT = "sent"
    OPENED = "opened"
    REMINDED = "reminded"
    RESPONDED = "responded"
    EXPIRED = "expired"
    SUPPRESSED = "suppressed"
    BOUNCED = "bounced"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.DUE, Status.SUPPRESSED, Status.EXPIRED}),
    Status.DUE: frozenset(
        {
            Status.SENT,
            Status.OPENED,
            Status.REMINDED,
            Status.RESPONDED,
            Status.BOUNCED,
            Status.SUPPRESSED,
            Status.EXPIRED,
        }
    ),
    Status.SENT: frozenset({Status.OPENED, Status.REMINDED, Status.RESPONDED, Status.BOUNCED, Status.EXPIRED}),
    Status.OPENED: frozenset({Status.REMINDED, Status.RESPONDED, Status.EXPIRED}),
    Status.REMINDED: frozenset({Status.RESPONDED, Status.BOUNCED, Status.EXPIRED}),
    Status.RESPONDED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.SUPPRESSED: frozenset(),
    Status.BOUNCED: frozenset(),
}
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
OUT = frozenset({Status.DUE, Status.SENT, Status.OPENED, Status.REMINDED})  # awaiting an answer

# Reports that arrive after the invitation moved past them: nothing to do.
_STALE: dict[Status, frozenset[Status]] = {
    Status.SENT: frozenset(
        {Status.SENT, Status.OPENED, Status.REMINDED, Status.RESPONDED, Status.EXPIRED, Status.BOUNCED}
    ),
    Status.OPENED: frozenset({Status.OPENED, Status.RESPONDED, Status.EXPIRED}),
    Status.BOUNCED: frozenset({Status.BOUNCED, Status.OPENED, Status.RESPONDED}),
    Status.RESPONDED: frozenset({Status.RESPONDED}),
}


def allowed_from(status: Status) -> list[str]:
    return sorted(TRANSITIONS[status])


def follow_up_key(case_id: str) -> str:
    """The period key of a case's follow-up: one follow-up per case."""
    return f"case:{case_id}"


class EventKind(StrEnum):
    PLANNED = "planned"
    DUE = "due"
    SENT = "sent"
    OPENED = "opened"
    REMINDED = "reminded"
    RESPONDED = "responded"
    EXPIRED = "expired"
    SUPPRESSED = "suppressed"
    BOUNCED = "bounced"  # the service disables `channel` on the contact
    FOLLOW_UP_UNANSWERED = "follow_up_unanswered"  # tell the case: an agent calls instead


class TransitionForbidden(Conflict):
    def __init__(self, invitation_id: str, current: Status, to: str, why: str = ""):
        allowed = allowed_from(current)
        detail = f"invitation {invitation_id} is '{current}': it cannot become '{to}'"
        detail += f" ({why})" if why else ""
        detail += f"; allowed: {', '.join(allowed) or 'none'}"
        super().__init__(detail, current=str(current), to=str(to), allowed=allowed)


@dataclass(frozen=True, slots=True)
class InvitationEvent:
    seq: int
    kind: EventKind
    at: datetime
    from_status: Status | None
    to_status: Status
    reason: Reason | None = None
    response_id: str | None = None
    seconds_to_respond: float | None = None
    detail: str | None = None


@dataclass
class Invitation:
    invitation_id: str
    program: str
    customer_id: str
    period_key: str
    kind: InvitationKind
    channel: Channel
    status: Status
    due_at: datetime | None
    expire_at: datetime | None = None  # provisional while planned; from the send once sent
    remind_at: datetime | None = None
    case_id: str | None = None
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    reminded_at: datetime | None = None
    responded_at: datetime | None = None
    response_id: str | None = None
    closed_at: datetime | None = None  # expired, suppressed or bounced
    reason: Reason | None = None
    seq: int = 0
    changes: list[InvitationEvent] = field(default_factory=list)

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def planned(
        cls,
        *,
        invitation_id: str,
        program: str,
        customer_id: str,
        period_key: str,
        channel: Channel | str,
        due_at: datetime,
        expire_at: datetime,
        at: datetime,
        kind: InvitationKind | str = InvitationKind.SURVEY,
        case_id: str | None = None,
    ) -> Invitation:
        kind = InvitationKind(kind)
        if (kind is InvitationKind.FOLLOW_UP) != (case_id is not None):
            raise ValueError("a follow-up carries its case_id, and only a follow-up does")
        if kind is InvitationKind.FOLLOW_UP and period_key != follow_up_key(case_id):
            raise ValueError("a follow-up's key is follow_up_key(case_id)")
        invitation = cls(
            invitation_id,
            program,
            customer_id,
            period_key,
            kind,
            Channel(channel),
            Status.PLANNED,
            due_at,
            expire_at=expire_at,
            case_id=case_id,
        )
        invitation._record(EventKind.PLANNED, at, None)
        return invitation

    @classmethod
    def follow_up(
        cls,
        *,
        invitation_id: str,
        program: str,
        customer_id: str,
        case_id: str,
        channel: Channel | str,
        due_at: datetime,
        expire_at: datetime,
        at: datetime,
    ) -> Invitation:
        return cls.planned(
            invitation_id=invitation_id,
            program=program,
            customer_id=customer_id,
            period_key=follow_up_key(case_id),
            channel=channel,
            due_at=due_at,
            expire_at=expire_at,
            at=at,
            kind=InvitationKind.FOLLOW_UP,
            case_id=case_id,
        )

    @classmethod
    def suppressed(
        cls,
        *,
        invitation_id: str,
        program: str,
        customer_id: str,
        period_key: str,
        channel: Channel | str,
        reason: Reason | str,
        at: datetime,
        detail: str | None = None,
        kind: InvitationKind | str = InvitationKind.SURVEY,
        case_id: str | None = None,
    ) -> Invitation:
        """An invitation that will never go out, recorded with its reason (it holds the period's key)."""
        invitation = cls(
            invitation_id,
            program,
            customer_id,
            period_key,
            InvitationKind(kind),
            Channel(channel),
            Status.SUPPRESSED,
            None,
            case_id=case_id,
            closed_at=at,
            reason=Reason(reason),
        )
        invitation._record(EventKind.SUPPRESSED, at, None, reason=Reason(reason), detail=detail)
        return invitation

    # -- what happens to it ---------------------------------------------------------------------

    def become_due(self, at: datetime, *, expire_at: datetime | None = None, remind_at: datetime | None = None) -> None:
        """Its moment came (`lazo.survey.due`). Event-only invitations count from here: give their deadlines."""
        if self.status is Status.PLANNED and self.due_at is not None and at < self.due_at:
            raise ValueError(f"invitation {self.invitation_id} is not due before {self.due_at.isoformat()}")
        self._move(Status.DUE, at)
        self.expire_at = expire_at or self.expire_at
        self.remind_at = remind_at or self.remind_at

    def suppress(self, reason: Reason | str, at: datetime, detail: str | None = None) -> None:
        """A rule stopped it when it fell due (unsubscribed since planning, a case opened …)."""
        self._move(Status.SUPPRESSED, at, reason=Reason(reason), detail=detail)
        self.reason, self.closed_at = Reason(reason), at

    def mark_sent(self, at: datetime, *, expire_at: datetime, remind_at: datetime | None) -> bool:
        """It went out (Lazo's SMTP or the tool's report). False: a repeat or late report, nothing changed."""
        if self._stale(Status.SENT):
            return False
        self._move(Status.SENT, at)
        self.sent_at, self.expire_at, self.remind_at = at, expire_at, remind_at
        return True

    def mark_opened(self, at: datetime) -> bool:
        if self.status is Status.REMINDED:
            if self.opened_at is not None:
                return False
            self.opened_at = at  # noted; a reminded invitation does not move back
            self._record(EventKind.OPENED, at, self.status)
            return True
        if self._stale(Status.OPENED):
            return False
        self._move(Status.OPENED, at)
        self.opened_at = at
        return True

    def remind(self, at: datetime) -> None:
        if self.status in TRANSITIONS and Status.REMINDED in TRANSITIONS[self.status]:
            if self.remind_at is None:
                raise TransitionForbidden(self.invitation_id, self.status, Status.REMINDED, "no reminder is planned")
            if at < self.remind_at:
                raise ValueError(f"the reminder is not due before {self.remind_at.isoformat()}")
        self._move(Status.REMINDED, at)
        self.reminded_at = at

    def record_response(self, response_id: str, at: datetime) -> bool:
        """The customer answered (the token came back). False: the same answer again."""
        if self._stale(Status.RESPONDED):
            return False
        if self.status is Status.EXPIRED:
            raise TransitionForbidden(
                self.invitation_id, self.status, Status.RESPONDED, "the answer came after the invitation expired"
            )
        started = self.sent_at or self.due_at
        seconds = max((at - started).total_seconds(), 0.0) if started else None
        self._move(Status.RESPONDED, at, response_id=response_id, seconds_to_respond=seconds)
        self.responded_at, self.response_id = at, response_id
        return True

    def expire(self, at: datetime) -> None:
        if self.expire_at is None or at < self.expire_at:
            raise ValueError(
                f"invitation {self.invitation_id} does not expire before "
                f"{self.expire_at.isoformat() if self.expire_at else 'it is sent'}"
            )
        self._move(Status.EXPIRED, at)
        self.closed_at = at
        if self.kind is InvitationKind.FOLLOW_UP:
            self._record(
                EventKind.FOLLOW_UP_UNANSWERED,
                at,
                Status.EXPIRED,
                detail=f"the follow-up for case {self.case_id} expired unanswered",
            )

    def mark_bounced(self, at: datetime, detail: str | None = None) -> bool:
        """The channel bounced. False: nothing to record (already bounced, or it was answered)."""
        if self.status is Status.EXPIRED:
            self._record(EventKind.BOUNCED, at, self.status, detail=detail)  # still disables the channel
            return True
        if self._stale(Status.BOUNCED):
            return False
        self._move(Status.BOUNCED, at, detail=detail)
        self.closed_at = at
        return True

    # -- internals ------------------------------------------------------------------------------

    def _stale(self, report: Status) -> bool:
        return self.status in _STALE.get(report, ())

    def _move(self, to: Status, at: datetime, **detail) -> None:
        if to not in TRANSITIONS[self.status]:
            why = "it is over" if self.status in TERMINAL else ""
            raise TransitionForbidden(self.invitation_id, self.status, to, why)
        previous, self.status = self.status, to
        self._record(EventKind(to.value), at, previous, **detail)

    def _record(self, kind: EventKind, at: datetime, from_status: Status | None, **detail) -> None:
        self.seq += 1
        self.changes.append(InvitationEvent(self.seq, kind, at, from_status, self.status, **detail))

    def take_changes(self) -> list[InvitationEvent]:
        out, self.changes = self.changes, []
        return out
