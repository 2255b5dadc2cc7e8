"""The case: one customer's closed loop, from the alert to the customer's confirmation.

Pure domain code (no I/O). The aggregate records every change as a `CaseChange` in its
`changes` list (cosmicpython's collected events); the service layer writes them to the
timeline and, for the published kinds, to the outbox in the same transaction.

The state machine (CONTRACT.md):

    open ──► contacted ──► analysing ──► responded ══(confirmation: solved)══► closed
     │        (cause)          ▲             │
     │                         └─────────────┘  responded → analysing: the customer is not satisfied
     └── any open state (open, contacted, analysing, responded) ──► unreachable

    control: a held-out (control-group) customer's case. It allows nothing, ever.

Decisions where the method is silent, as a contact center would expect them:
- `closed` is reached only through confirmation (agent or follow-up survey), never by a plain
  transition: the loop is closed by the customer, not by the agent.
- `unreachable` is a parked state, not an end: when the customer is finally reached (calls
  back, answers at last) the agent moves it to `contacted` (with the cause, as any first
  contact). A new alert for that customer puts the case back in the queue (`open`): the
  customer just answered a survey, so there is fresh reason and a fresh chance to reach them.
- A new alert for a customer whose case is not closed is added to that case's timeline
  (one open case per customer and programme); a control case absorbs alerts without action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict, InvalidInput


class Status(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    ANALYSING = "analysing"
    RESPONDED = "responded"
    CLOSED = "closed"
    UNREACHABLE = "unreachable"
    CONTROL = "control"


# The states in which the case is being worked: SLAs run, `unreachable` may be declared.
WORKING = frozenset({Status.OPEN, Status.CONTACTED, Status.ANALYSING, Status.RESPONDED})

# What an agent may ask for with POST /transitions. `closed` is absent on purpose (confirmation only).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.CONTACTED, Status.UNREACHABLE}),
    Status.CONTACTED: frozenset({Status.ANALYSING, Status.UNREACHABLE}),
    Status.ANALYSING: frozenset({Status.RESPONDED, Status.UNREACHABLE}),
    Status.RESPONDED: frozenset({Status.ANALYSING, Status.UNREACHABLE}),
    Status.UNREACHABLE: frozenset({Status.CONTACTED}),
    Status.CLOSED: frozenset(),
    Status.CONTROL: frozenset(),
}

# Transitions that record the cause of the customer's trouble (the seed's step 3).
NEEDS_CAUSE = frozenset({Status.CONTACTED})
# A cause key of the programme's taxonomy (scoring's comment analysis), as the agent confirms it.
CAUSE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def allowed_from(status: Status) -> list[str]:
    """The agent transitions allowed from `status`, sorted (as shown in a 409)."""
    return sorted(TRANSITIONS[status])


class Kind(StrEnum):
    """What a timeline entry records."""

    OPENED = "opened"
    ALERT_ADDED = "alert_added"
    TRANSITIONED = "transitioned"
    FOLLOW_UP = "follow_up"  # a follow-up survey that did not close the case
    FOLLOW_UP_EXPIRED = "follow_up_expired"  # the planner's follow-up went unanswered: call instead
    OVERDUE = "overdue"
    CLOSED = "closed"


class Breach(StrEnum):
    FIRST_CONTACT = "first_contact"
    CLOSE = "close"


class TransitionForbidden(Conflict):
    def __init__(self, case_id: str, current: Status, to: str, allowed: list[str], why: str = ""):
        detail = f"case {case_id} is '{current}': it cannot go to '{to}'"
        detail += f" ({why})" if why else ""
        detail += f"; allowed: {', '.join(allowed) or 'none'}"
        super().__init__(detail, current=str(current), to=str(to), allowed=allowed)


class CauseRequired(InvalidInput):
    def __init__(self, to: Status):
        super().__init__(
            f"a transition to '{to}' records the cause found with the customer",
            errors=[{"field": "cause", "message": f"required when going to '{to}'"}],
        )


class BadCauseKey(InvalidInput):
    def __init__(self, why: str):
        super().__init__(f"cause_key: {why}", errors=[{"field": "cause_key", "message": why}])


class FeelingRequired(InvalidInput):
    def __init__(self):
        super().__init__(
            "a solved confirmation records how the customer feels now",
            errors=[{"field": "current_feeling", "message": "required when solved is true"}],
        )


@dataclass(frozen=True)
class CaseChange:
    """One timeline entry, and the domain event the service layer publishes (when it is one)."""

    seq: int
    kind: Kind
    at: datetime
    by: str
    from_status: Status | None = None
    to_status: Status | None = None
    note: str | None = None
    cause: str | None = None
    owner: str | None = None
    alert_id: str | None = None
    response_id: str | None = None
    current_feeling: float | None = None
    solved: bool | None = None
    overdue: Breach | None = None


@dataclass
class Case:
    case_id: str
    customer_id: str
    program: str
    status: Status
    opened_at: datetime
    first_contact_due: datetime
    close_due: datetime
    owner: str | None = None
    cause: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    # A timestamp per status: the first contact is kept, the others are the latest entry.
    first_contact_at: datetime | None = None
    analysing_at: datetime | None = None
    responded_at: datetime | None = None
    unreachable_at: datetime | None = None
    closed_at: datetime | None = None
    current_feeling: float | None = None
    # When each SLA breach was recorded (and published): once per kind per case.
    first_contact_overdue_at: datetime | None = None
    close_overdue_at: datetime | None = None
    seq: int = 0  # last timeline sequence number; event ids are f"{case_id}:{seq}"
    # The causes the comment analysis suggested (key, evidence, polarity: from the alert), the key
    # the agent settled on at first contact, and whether it was one of the suggestions (a KPI:
    # the analyzer's precision in production); None when nothing was suggested or chosen.
    suggested_causes: list[dict] | None = None
    cause_key: str | None = None
    suggestion_kept: bool | None = None
    changes: list[CaseChange] = field(default_factory=list)

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        customer_id: str,
        program: str,
        control: bool,
        at: datetime,
        first_contact_due: datetime,
        close_due: datetime,
        alert_id: str,
        response_id: str | None,
        by: str,
        customer_email: str | None = None,
        customer_name: str | None = None,
        note: str | None = None,
        suggested_causes: list[dict] | None = None,
    ) -> Case:
        status = Status.CONTROL if control else Status.OPEN
        case = cls(
            case_id=case_id,
            customer_id=customer_id,
            program=program,
            status=status,
            opened_at=at,
            first_contact_due=first_contact_due,
            close_due=close_due,
            customer_email=customer_email,
            customer_name=customer_name,
            suggested_causes=suggested_causes or None,
        )
        case._record(Kind.OPENED, at=at, by=by, to_status=status, alert_id=alert_id, response_id=response_id, note=note)
        return case

    # -- what happens to it -----------------------------------------------------------------

    @property
    def allowed(self) -> list[str]:
        return allowed_from(self.status)

    @property
    def is_closed(self) -> bool:
        return self.status is Status.CLOSED

    def add_alert(
        self,
        *,
        alert_id: str,
        response_id: str | None,
        at: datetime,
        by: str,
        held_out: bool = False,
        note: str | None = None,
    ) -> None:
        """A later alert for the same customer: recorded here; it re-queues an unreachable case."""
        if self.is_closed:
            raise ValueError("a closed case takes no alerts: open a new case")
        self._record(Kind.ALERT_ADDED, at=at, by=by, alert_id=alert_id, response_id=response_id, note=note)
        if self.status is Status.UNREACHABLE and not held_out:
            self._move(
                Status.OPEN,
                at=at,
                by=by,
                alert_id=alert_id,
                response_id=response_id,
                note="a new alert put the unreachable case back in the queue",
            )

    def transition(
        self,
        to: Status | str,
        *,
        at: datetime,
        by: str,
        note: str | None = None,
        cause: str | None = None,
        owner: str | None = None,
        cause_key: str | None = None,
    ) -> None:
        """An agent's transition. Closing is not one: see `confirm`. At `contacted` the agent may
        confirm a suggested cause or pick another key (`cause_key`); it stands for the cause text
        when none is typed."""
        allowed = self.allowed
        try:
            target = Status(to)
        except ValueError:
            raise TransitionForbidden(self.case_id, self.status, str(to), allowed, "no such state") from None
        if target not in TRANSITIONS[self.status]:
            why = ""
            if self.status is Status.CONTROL:
                why = "a control-group case allows no actions"
            elif target is Status.CLOSED:
                why = "a case is closed only by the customer's confirmation"
            raise TransitionForbidden(self.case_id, self.status, target, allowed, why)
        cause = cause.strip() if cause else None
        if cause_key is not None:
            if target not in NEEDS_CAUSE:
                raise BadCauseKey(f"a cause key is recorded at '{Status.CONTACTED}' only")
            if not CAUSE_KEY.match(cause_key):
                raise BadCauseKey("a taxonomy key: lowercase letters, digits and _, starting with a letter")
            cause = cause or cause_key
        if target in NEEDS_CAUSE and not cause:
            raise CauseRequired(target)
        if cause_key is not None:
            self.cause_key = cause_key
            suggested = {s.get("key") for s in self.suggested_causes or ()}
            self.suggestion_kept = (cause_key in suggested) if suggested else None
        self._move(target, at=at, by=by, note=note, cause=cause, owner=owner)

    def confirm(
        self,
        *,
        solved: bool,
        at: datetime,
        by: str,
        current_feeling: float | None = None,
        note: str | None = None,
        response_id: str | None = None,
    ) -> None:
        """The customer's confirmation (by the agent, or a follow-up survey): only from `responded`."""
        if self.status is not Status.RESPONDED:
            raise TransitionForbidden(
                self.case_id,
                self.status,
                "closed" if solved else "analysing",
                self.allowed,
                "confirmation is only possible once the case is 'responded'",
            )
        if solved and current_feeling is None:
            raise FeelingRequired()
        if current_feeling is not None:
            self.current_feeling = current_feeling
        self._move(
            Status.CLOSED if solved else Status.ANALYSING,
            at=at,
            by=by,
            note=note,
            current_feeling=current_feeling,
            response_id=response_id,
            solved=solved,
        )

    def record_follow_up(self, *, response_id: str, current_feeling: float, at: datetime, by: str) -> None:
        """A follow-up survey that arrives before the company responded: noted, nothing closes."""
        self._record(
            Kind.FOLLOW_UP,
            at=at,
            by=by,
            response_id=response_id,
            current_feeling=current_feeling,
            note=f"follow-up survey while the case is '{self.status}'",
        )

    def follow_up_unanswered(self, *, invitation_id: str, at: datetime, by: str) -> None:
        """The follow-up survey the planner sent expired unanswered: noted, so an agent calls instead."""
        self._record(
            Kind.FOLLOW_UP_EXPIRED,
            at=at,
            by=by,
            note=f"follow-up survey {invitation_id} expired unanswered: call the customer",
        )

    def mark_overdue(self, breach: Breach, *, at: datetime, by: str) -> bool:
        """Record an SLA breach once per kind; False when it was already recorded."""
        attr = f"{breach.value}_overdue_at"
        if getattr(self, attr) is not None:
            return False
        setattr(self, attr, at)
        self._record(Kind.OVERDUE, at=at, by=by, overdue=breach)
        return True

    # -- internals --------------------------------------------------------------------------

    def _move(
        self,
        to: Status,
        *,
        at: datetime,
        by: str,
        owner: str | None = None,
        cause: str | None = None,
        solved: bool | None = None,
        **detail,
    ) -> None:
        previous = self.status
        self.status = to
        if owner:
            self.owner = owner
        if cause:
            self.cause = cause
        if to is Status.CONTACTED and self.first_contact_at is None:
            self.first_contact_at = at
        elif to in (Status.ANALYSING, Status.RESPONDED, Status.UNREACHABLE, Status.CLOSED):
            setattr(self, f"{to.value}_at", at)
        kind = Kind.CLOSED if to is Status.CLOSED else Kind.TRANSITIONED
        # The entry shows the owner in charge after the change (a reassignment or not).
        self._record(
            kind,
            at=at,
            by=by,
            from_status=previous,
            to_status=to,
            owner=self.owner,
            cause=cause,
            solved=solved,
            **detail,
        )

    def _record(self, kind: Kind, **fields) -> None:
        self.seq += 1
        self.changes.append(CaseChange(seq=self.seq, kind=kind, **fields))

    def take_changes(self) -> list[CaseChange]:
        """Hand the collected changes to the service layer (once)."""
        out, self.changes = self.changes, []
        return out
