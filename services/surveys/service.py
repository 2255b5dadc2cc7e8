"""Surveys use cases: contacts in, plans set, reports from the sending tool, unsubscriptions,
answers tied to their invitations, and the follow-up a responded case gets. One unit of work each.

Events about an invitation are built here from the aggregate's changes (domain/invitations.py)
and published through the outbox in the same transaction as the row they describe.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from shared.contracts.invitations import SurveyInvitation
from shared.contracts.scores import CustomerContact
from shared.errors import NotFound
from shared.events import Envelope, EventType, Topic
from shared.uow import UnitOfWork, UnitsOfWork
from services.surveys import repository as repo
from services.surveys.domain.contacts import DEFAULT_CONSENT, Contact
from services.surveys.domain.invitations import OUT, EventKind, Invitation, InvitationEvent, Status, follow_up_key
from services.surveys.domain.plans import SurveyPlan
from services.surveys.domain.schedule import expiry_at, moment_from, zone_of
from services.surveys.domain.tokens import Purpose, TokenKeys, build_link, mint
from services.surveys.domain.windows import local_date
from services.surveys.models import ContactRow, InvitationRow, PlanRow

SOURCE = "/lazo/surveys"
DEFAULT_PROGRAM = "default"
# An unsubscribe link keeps working long after the survey it came with has expired.
UNSUBSCRIBE_VALID = timedelta(days=365)

_EVENT_OF = {
    EventKind.DUE: EventType.SURVEY_DUE,
    EventKind.SUPPRESSED: EventType.SURVEY_SUPPRESSED,
    EventKind.REMINDED: EventType.SURVEY_REMINDED,
    EventKind.RESPONDED: EventType.SURVEY_RESPONDED,
    EventKind.EXPIRED: EventType.SURVEY_EXPIRED,
    EventKind.FOLLOW_UP_UNANSWERED: EventType.SURVEY_FOLLOWUP_EXPIRED,
}
_WITH_LINK = (EventKind.DUE, EventKind.REMINDED)


def new_invitation_id() -> str:
    """A creation-time prefix and 96 random bits: a link says nothing about whom it was for and
    cannot be guessed, and ids made together sort together, so a million new invitations are
    appended to the primary key's index instead of scattered over it (cache misses, on SQLite)."""
    return f"inv_{time.time_ns() // 1_000_000:011x}{secrets.token_urlsafe(12)}"


def bare_contact(customer_id: str) -> Contact:
    """A customer the planner has no contact for (a case's customer): only event-only invitations reach them."""
    return Contact.model_construct(
        customer_id=customer_id,
        email=None,
        name=None,
        locale=None,
        time_zone=None,
        consent=DEFAULT_CONSENT,
        customer_since=None,
        next_renewal=None,
        attributes={},
        unsubscribed_at=None,
        bounced=frozenset(),
    )


def survey_link(keys: TokenKeys, plan: SurveyPlan, inv: Invitation, locale: str) -> str:
    token = mint(keys, inv.invitation_id, inv.expire_at)
    return build_link(plan.link_template, token, case_id=inv.case_id, program=inv.program, locale=locale)


def unsubscribe_link(keys: TokenKeys, public_url: str, inv: Invitation) -> str:
    token = mint(
        keys, inv.invitation_id, (inv.expire_at or inv.due_at) + UNSUBSCRIBE_VALID, purpose=Purpose.UNSUBSCRIBE
    )
    return f"{public_url.rstrip('/')}/u/{token}"


def events_of(
    inv: Invitation,
    changes: Sequence[InvitationEvent],
    *,
    period_key: str,
    contact: Contact | None = None,
    link: str | None = None,
    locale: str | None = None,
    unsubscribe: str | None = None,
) -> list[Envelope]:
    out = []
    for change in changes:
        kind = _EVENT_OF.get(change.kind)
        if kind is None:
            continue
        with_link = change.kind in _WITH_LINK
        data = SurveyInvitation(
            invitation_id=inv.invitation_id,
            customer_id=inv.customer_id,
            program=inv.program,
            kind=str(inv.kind),
            period_key=period_key,
            channel=str(inv.channel),
            status=str(change.to_status),
            at=change.at,
            case_id=inv.case_id,
            due_at=inv.due_at,
            expire_at=inv.expire_at,
            link=link if with_link else None,
            unsubscribe_link=unsubscribe if with_link else None,
            locale=locale if with_link else None,
            customer=CustomerContact(email=contact.email, name=contact.name) if with_link and contact else None,
            reason=str(change.reason) if change.reason else None,
            detail=change.detail,
            response_id=change.response_id,
            seconds_to_respond=change.seconds_to_respond,
        )
        out.append(
            Envelope.new(
                id=f"survey:{inv.invitation_id}:{change.seq}",
                type=kind,
                source=SOURCE,
                subject=inv.customer_id,
                data=data,
                time=change.at,
            )
        )
    return out


# -- contacts and plans -----------------------------------------------------------------------


async def upsert_contacts(uow: UnitsOfWork, contacts: Sequence[Contact], now: datetime) -> int:
    async with uow() as tx:
        return await repo.upsert_contacts(tx.session, contacts, now)


async def put_plan(uow: UnitsOfWork, plan: SurveyPlan, who: str, now: datetime) -> None:
    async with uow() as tx:
        await repo.put_plan(tx.session, plan, who, now)


async def delete_plan(uow: UnitsOfWork, program: str) -> None:
    """No more invitations for the programme: those planned and not yet due go with the plan."""
    async with uow() as tx:
        row = await tx.session.get(PlanRow, program)
        if row is None:
            raise NotFound(f"no survey plan for programme '{program}'")
        await tx.session.delete(row)
        await tx.session.execute(
            delete(InvitationRow).where(InvitationRow.program == program, InvitationRow.status == Status.PLANNED)
        )


async def plan_for(session, program: str) -> SurveyPlan | None:
    """The programme's plan, or the `default` programme's (a follow-up for a case of a programme
    that has no plan of its own still goes out)."""
    row = await session.get(PlanRow, program) or await session.get(PlanRow, DEFAULT_PROGRAM)
    return repo.plan_of(row) if row is not None else None


# -- what happens to an invitation ------------------------------------------------------------


async def report(uow: UnitsOfWork, invitation_id: str, event: str, at: datetime, detail: str | None) -> Invitation:
    """The sending tool's report: `sent`, `opened` or `bounced` (a bounce disables the channel)."""
    async with uow() as tx:
        row = await repo.invitation_row(tx.session, invitation_id)
        if row is None:
            raise NotFound(f"no invitation '{invitation_id}'")
        inv = repo.invitation_of(row)
        if event == "sent":
            inv.mark_sent(at, expire_at=inv.expire_at or at, remind_at=inv.remind_at)
        elif event == "opened":
            inv.mark_opened(at)
        else:
            if inv.mark_bounced(at, detail):
                await repo.disable_channel(tx.session, inv.customer_id, inv.channel, at)
                await repo.cancel_sends(tx.session, [inv.invitation_id], "the channel bounced")
        store(tx, row, inv)
        return inv


async def unsubscribe(uow: UnitsOfWork, invitation_id: str, at: datetime) -> bool:
    """The customer of the invitation never gets another survey (nor a pending one)."""
    async with uow() as tx:
        row = await tx.session.get(InvitationRow, invitation_id)
        if row is None:
            return False  # erased since, or never ours: nothing left to stop
        await repo.unsubscribe(tx.session, row.customer_id, at)
        return True


def store(
    tx: UnitOfWork,
    row: InvitationRow,
    inv: Invitation,
    *,
    contact: Contact | None = None,
    link: str | None = None,
    locale: str | None = None,
    unsubscribe: str | None = None,
) -> list[Envelope]:
    changes = inv.take_changes()
    repo.store_invitation(row, inv, changes)
    envelopes = events_of(
        inv, changes, period_key=row.period_key, contact=contact, link=link, locale=locale, unsubscribe=unsubscribe
    )
    for envelope in envelopes:
        tx.publish(Topic.INVITATIONS, envelope)
    return envelopes


async def record_response(
    tx: UnitOfWork,
    *,
    customer_id: str,
    program: str,
    case_id: str | None,
    response_id: str,
    at: datetime,
    invitation_id: str | None = None,
) -> bool:
    """A scored response answers an invitation: the one its token names (a hidden field of the form),
    else the case's follow-up when it names a case, else the customer's newest one still out in its
    programme. False: no invitation was waiting for it."""
    rows = select(InvitationRow)
    if invitation_id:
        query = rows.where(InvitationRow.invitation_id == invitation_id)
    elif case_id:
        query = rows.where(InvitationRow.customer_id == customer_id, InvitationRow.period_key == follow_up_key(case_id))
    else:
        query = rows.where(
            InvitationRow.customer_id == customer_id,
            InvitationRow.program == program,
            InvitationRow.kind == "survey",
            InvitationRow.status.in_([str(s) for s in OUT]),
        )
    row = (await tx.session.scalars(query.order_by(InvitationRow.due_at.desc()).limit(1))).first()
    if row is None or row.status not in {str(s) for s in OUT}:
        return False
    inv = repo.invitation_of(row)
    if not inv.record_response(response_id, at):
        return False
    await repo.cancel_sends(tx.session, [inv.invitation_id], "answered")
    store(tx, row, inv)
    return True


async def invite_follow_up(tx: UnitOfWork, *, case_id: str, customer_id: str, program: str, now: datetime) -> bool:
    """The case was answered by the company: invite its customer to the survey that confirms the fix.

    Contact rules do not apply (the loop must close); unsubscription, consent and bounces still
    do, when it falls due. One per case (its key), however often the event comes."""
    plan = await plan_for(tx.session, program)
    if plan is None:
        return False
    contact_row = await tx.session.get(ContactRow, customer_id)
    contact = repo.contact_of(contact_row) if contact_row else bare_contact(customer_id)
    zone = zone_of(plan, contact)
    # Not spread: the loop closes as soon as the customer's window allows (now, if inside it).
    fraction = 0.0
    due_at = moment_from(plan, zone, local_date(zone, now), fraction, now) or now
    inv = Invitation.follow_up(
        invitation_id=new_invitation_id(),
        program=program,
        customer_id=customer_id,
        case_id=case_id,
        channel=plan.channel,
        due_at=due_at,
        expire_at=expiry_at(plan, due_at),
        at=now,
    )
    written = await repo.insert_invitations(
        tx.session,
        [repo.invitation_values(inv, day=local_date(zone, due_at), time_zone=zone, fraction=fraction, now=now)],
    )
    return bool(written)
