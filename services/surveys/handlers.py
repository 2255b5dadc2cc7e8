"""Event type → handler: what the planner does with what it consumes.

- `lazo.contact.upserted` (a CRM on `lazo.contacts.v1`): the contact is upserted; one that breaks a
  rule is poison (dead-lettered with the field named), one of an erased customer is dropped.
- `lazo.case.*` (casework): open cases are kept (no survey while one is worked); a case moved to
  `responded` gets its follow-up invitation.
- `lazo.score.computed` (scoring): a response answers the invitation its token names (the form
  returns it as a hidden field; ingest's mapping carries it), else the case's follow-up when it
  names a case, else the customer's newest invitation out in the programme: it is recorded as
  responded with its time to respond.
Erasure has its own group (shared.erasure), as in every service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from shared.bus import Handler
from shared.clock import Clock
from shared.contracts.cases import CaseEvent
from shared.contracts.invitations import ContactUpserted
from shared.contracts.scores import ScoreComputed
from shared.errors import PermanentError
from shared.events import Envelope, EventType
from shared.tombstones import Action, ErasureGuard
from shared.uow import UnitOfWork
from shared.validation import validation_errors
from services.surveys import repository as repo
from services.surveys import service
from services.surveys.domain.contacts import Contact
from services.surveys.domain.invitations import TransitionForbidden
from services.surveys.domain.tokens import TokenError, TokenExpired, TokenKeys, verify

log = logging.getLogger("lazo.surveys")

CASE_TYPES = (EventType.CASE_OPENED, EventType.CASE_TRANSITIONED, EventType.CASE_OVERDUE, EventType.CASE_CLOSED)


def _contact(envelope: Envelope) -> Contact:
    data = envelope.parse(ContactUpserted)
    try:
        return Contact.model_validate(data.model_dump(exclude_none=True))
    except ValidationError as exc:
        where = "; ".join(f"{e['field']}: {e['message']}" for e in validation_errors(exc.errors())[:10])
        raise PermanentError(f"{envelope.type} {envelope.id}: {where}") from None


def handlers(guard: ErasureGuard, clock: Clock, keys: TokenKeys) -> dict[str, Handler]:
    def invitation_of(token: str | None) -> str | None:
        """The invitation a response's token names; an expired one too (the invitation then refuses
        the late answer). A forged or garbled token names none: the answer is matched as without one."""
        if not token:
            return None
        try:
            return verify(keys, token, now=clock.now()).invitation_id
        except TokenExpired as exc:
            return exc.invitation_id
        except TokenError:
            return None

    async def erased(tx: UnitOfWork, events: Sequence[Envelope], customers) -> tuple[list, set[str]]:
        gone = await guard.erased(tx.session, {c for e, cid in zip(events, customers) for c in (e.subject, cid)})
        late = [e for e, cid in zip(events, customers) if {e.subject, cid} & gone]
        await guard.record(tx.session, late, Action.DROPPED)
        return late, gone

    async def contacts(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        parsed = [_contact(e) for e in events]
        _, gone = await erased(tx, events, [c.customer_id for c in parsed])
        await repo.upsert_contacts(
            tx.session, [c for e, c in zip(events, parsed) if not {e.subject, c.customer_id} & gone], clock.now()
        )

    async def cases(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        parsed = [e.parse(CaseEvent) for e in events]
        _, gone = await erased(tx, events, [c.customer_id for c in parsed])
        for envelope, case in zip(events, parsed):
            if {envelope.subject, case.customer_id} & gone:
                continue
            await repo.track_case(
                tx.session, case_id=case.case_id, customer_id=case.customer_id, program=case.program, status=case.status
            )
            if envelope.type == EventType.CASE_TRANSITIONED and case.status == "responded":
                if not await service.invite_follow_up(
                    tx, case_id=case.case_id, customer_id=case.customer_id, program=case.program, now=clock.now()
                ):
                    log.info(
                        "no follow-up for case %s: invited already, or no survey plan for programme %s "
                        "nor for 'default'",
                        case.case_id,
                        case.program,
                    )

    async def scores(tx: UnitOfWork, events: Sequence[Envelope]) -> None:
        parsed = [e.parse(ScoreComputed) for e in events]
        _, gone = await erased(tx, events, [s.customer_id for s in parsed])
        for envelope, score in zip(events, parsed):
            if {envelope.subject, score.customer_id} & gone:
                continue
            try:
                await service.record_response(
                    tx,
                    customer_id=score.customer_id,
                    program=score.program,
                    case_id=score.case_id,
                    response_id=score.response_id,
                    at=clock.now(),
                    invitation_id=invitation_of(score.invitation_token),
                )
            except TransitionForbidden:
                pass  # an answer after the invitation expired: the response stands, the invitation stays expired

    return {EventType.CONTACT_UPSERTED: contacts, EventType.SCORE_COMPUTED: scores, **{t: cases for t in CASE_TYPES}}
