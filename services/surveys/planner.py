"""The planner: a leased loop whose rounds plan, send, remind and expire invitations.

A round, at the clock's `now` (injectable: a manual clock moves through months in tests):
1. plan: for each plan, the contacts who have no invitation for the period (in their own time
   zone's calendar) get one, `planned` for their moment (the spread or the anchor, inside the
   window), or `suppressed` with the rule's reason (an event says which). Without a daily cap
   the whole period is planned at once; with one, day by day, the day's earliest-due first;
2. fall due: planned invitations whose moment has passed are checked again (unsubscribed, a case
   opened since…) and become `due` (`lazo.survey.due`, with the link) or `suppressed`;
3. remind once after the plan's days, expire after its days (a follow-up's expiry tells its case).

Contacts are streamed in keyset chunks; per chunk, what the rules need (invitations already in
the period, the customers' other invitations, open cases) is read in three queries. Memory holds
a chunk (with a daily cap: the day's candidates), never the contact base.

One replica plans at a time (a lease row, taken over when it runs out); the unique key
(customer, programme, period) keeps one invitation per period even if two rounds overlap.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import aiosmtplib
import orjson
from sqlalchemy import exists, func, select, update

from shared.background import BackgroundTask
from shared.errors import Conflict
from shared.events import Topic, utcnow
from shared.runtime import Runtime
from services.surveys import repository as repo
from services.surveys import sender
from services.surveys.domain.contacts import Channel, Contact
from services.surveys.domain.invitations import Invitation, Status
from services.surveys.domain.periods import Period, period_of
from services.surveys.domain.plans import SurveyPlan
from services.surveys.domain.rules import ContactRules, InvitationKind, Reason, decide
from services.surveys.domain.schedule import (
    DueInvitation,
    Scheduled,
    Suppressed,
    due_on,
    expiry_at,
    nominal_day,
    reminder_at,
    schedule,
    spread,
    zone_of,
)
from services.surveys.domain.tokens import TokenKeys
from services.surveys.domain.windows import local_date
from services.surveys.models import ContactRow, InvitationRow, OpenCaseRow, PlanRow, SendRow
from services.surveys.service import (
    bare_contact,
    events_of,
    new_invitation_id,
    plan_for,
    store,
    survey_link,
    unsubscribe_link,
)

log = logging.getLogger("lazo.surveys.planner")

CONTACT_CHUNK = 2000
SEND_CHUNK = 50  # emails in flight at once
SEND_ATTEMPTS = 8  # about four hours of retries (1, 2, 4 … 60 minutes apart)
SEND_LEASE = timedelta(minutes=5)  # longer than any SMTP exchange (sender.TIMEOUT_S)
ROW_CHUNK = 500
LEASE = "planner"
# Renewed as a round goes (each chunk written): a replica that dies mid-round holds it this long at most.
LEASE_FOR = timedelta(seconds=30)
# Invitations that count as contacting the customer (the frequency rule): all but the suppressed.
_CONTACTED = [str(s) for s in Status if s is not Status.SUPPRESSED]


class Planner(BackgroundTask):
    name = "survey-planner"

    def __init__(self, runtime: Runtime, keys: TokenKeys):
        super().__init__()
        self._runtime = runtime
        self._keys = keys
        self._every_s = runtime.settings.planner_every_s
        self._public_url = runtime.settings.surveys_public_url
        self._settings = runtime.settings
        self._smtp = sender.SmtpServer.from_url(runtime.settings.smtp_url) if runtime.settings.smtp_url else None
        self._message_domain = urlsplit(self._public_url).hostname or "surveys.example.com"
        self._rules = ContactRules(runtime.settings.contact_frequency_days)
        self._holder = f"{uuid.uuid4().hex[:12]}"
        # programme -> (its plan's version, the period, the contacts' last change) last planned ahead:
        # while none of the three changes, a round has nothing to plan and skips the scan.
        self._planned: dict[str, tuple] = {}
        self._lock = asyncio.Lock()  # the loop and a "plan now" call never overlap in one process
        self.last_round: dict | None = None

    async def run(self) -> None:
        while True:
            try:
                await self.round(required=False)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away, say: the next round picks up where this one stopped
                log.exception("planner round failed; retrying in %.0fs", self._every_s)
            await asyncio.sleep(self._every_s)

    async def _lease(self) -> bool:
        now = utcnow()  # the lease runs on real time, whatever the planner's clock says
        async with self._runtime.uow() as tx:
            return await repo.take_lease(tx.session, LEASE, self._holder, now, now + LEASE_FOR)

    async def round(self, *, required: bool = True) -> dict:
        """One round at the clock's now; its counts. `required`: refuse (409) when another replica
        holds the lease, rather than skip."""
        async with self._lock:
            if not await self._lease():
                if required:
                    raise Conflict("another planner replica is running a round; try again shortly")
                return {}
            now = self._runtime.clock.now()
            counts: Counter[str] = Counter()
            async with self._runtime.uow.read() as session:
                plans = [
                    (repo.plan_of(r), r.updated_at)
                    for r in await session.scalars(select(PlanRow).order_by(PlanRow.program))
                ]
            for plan, version in plans:
                await self._plan(plan, version, now, counts)
                await self._lease()
            await self._fall_due(now, counts)
            await self._remind(now, counts)
            await self._expire(now, counts)
            await self._send(now, counts)
            self.last_round = {"at": now, **counts}
            return {"at": now, **counts}

    # -- 1. plan -------------------------------------------------------------------------------

    async def _plan(self, plan: SurveyPlan, version: datetime, now: datetime, counts: Counter) -> None:
        async with self._runtime.uow.read() as session:
            stored = await session.scalars(select(ContactRow.time_zone).distinct())
            zones = {z or plan.default_time_zone for z in stored}
        days = sorted({local_date(z, now) for z in zones})
        if plan.daily_cap is not None:
            for day in days:  # the cap is a day's: each day's due invitations, earliest-due first
                await self._plan_day(plan, day, now, counts)
            return
        for period in sorted({period_of(plan.cadence, d) for d in days}, key=lambda p: p.start):
            mark = (version, period.key, await self._contacts_changed())
            if self._planned.get(plan.program) == mark:
                continue  # nothing new since this period was planned: no scan
            await self._plan_ahead(plan, period, now, counts)
            self._planned[plan.program] = mark

    async def _contacts_changed(self) -> tuple:
        """How many contacts there are and their last change: a new or changed contact moves it (the
        count covers a manual clock set back, whose changes can be dated before the last)."""
        async with self._runtime.uow.read() as session:
            return tuple((await session.execute(select(func.count(), func.max(ContactRow.updated_at)))).one())

    async def _plan_ahead(self, plan: SurveyPlan, period: Period, now: datetime, counts: Counter) -> None:
        """Without a daily cap, the whole period at once: every contact in it who has no invitation
        yet gets one `planned` for its own moment (or `suppressed`), chunk by chunk. Later rounds only
        see what falls due (an indexed read), until a contact changes or the period turns."""
        reach = timedelta(days=self._rules.frequency_days + 1)
        async for chunk in self._contacts(missing=(plan.program, period.key)):
            rows, suppressed = [], []
            mine = [c for c in chunk if local_date(zone_of(plan, c), now) in period]
            context = await self._context(
                plan,
                period,
                [c.customer_id for c in mine],
                now,
                around=(_midnight(period.start) - reach, _midnight(period.end) + reach),
            )
            for contact in mine:
                if contact.customer_id in context.invited_here:
                    continue
                scheduled = schedule(plan, contact, period, now=now)
                if scheduled is None:
                    continue  # no day in this period (an anchor elsewhere)
                # Open cases are for when it falls due: a case open today may be closed by then.
                decision = decide(
                    contact,
                    channel=plan.channel,
                    at=scheduled.due_at,
                    rules=self._rules,
                    invited_at=context.invited_at.get(contact.customer_id, ()),
                )
                if decision.send:
                    inv = Invitation.planned(
                        invitation_id=new_invitation_id(),
                        program=plan.program,
                        customer_id=contact.customer_id,
                        period_key=period.key,
                        channel=plan.channel,
                        due_at=scheduled.due_at,
                        expire_at=expiry_at(plan, scheduled.due_at),
                        at=now,
                    )
                else:
                    inv = Invitation.suppressed(
                        invitation_id=new_invitation_id(),
                        program=plan.program,
                        customer_id=contact.customer_id,
                        period_key=period.key,
                        channel=plan.channel,
                        reason=decision.reason,
                        at=now,
                        detail=decision.detail,
                    )
                    suppressed.append(inv)
                rows.append(
                    repo.invitation_values(
                        inv, day=scheduled.day, time_zone=scheduled.time_zone, fraction=scheduled.fraction, now=now
                    )
                )
            await self._write(rows, suppressed, period, counts)

    async def _write(self, rows: list[dict], suppressed: list[Invitation], period: Period, counts: Counter) -> None:
        if not rows:
            return
        await self._lease()
        async with self._runtime.uow() as tx:
            written = await repo.insert_invitations(tx.session, rows)
            envelopes = [
                e
                for inv in suppressed
                if inv.invitation_id in written
                for e in events_of(inv, inv.take_changes(), period_key=period.key)
            ]
            await tx.publish_all(Topic.INVITATIONS, envelopes)
        counts["planned"] += len(written) - len(envelopes)
        counts["suppressed"] += len(envelopes)

    async def _plan_day(self, plan: SurveyPlan, day: date, now: datetime, counts: Counter) -> None:
        period = period_of(plan.cadence, day)
        candidates: list[Contact] = []
        decisions = {}
        async for chunk in self._contacts():
            mine = [
                c
                for c in chunk
                if local_date(zone_of(plan, c), now) == day
                and (n := nominal_day(plan, c, period)) is not None
                and n <= day
            ]
            if not mine:
                continue
            context = await self._context(plan, period, [c.customer_id for c in mine], now)
            for contact in mine:
                if contact.customer_id in context.invited_here:
                    continue
                candidates.append(contact)
                decisions[contact.customer_id] = decide(
                    contact,
                    channel=plan.channel,
                    at=now,
                    invited_at=context.invited_at.get(contact.customer_id, ()),
                    open_cases=context.open_cases.get(contact.customer_id, ()),
                    rules=self._rules,
                )
        if not candidates:
            return
        async with self._runtime.uow.read() as session:
            already = await session.scalar(
                select(func.count())
                .select_from(InvitationRow)
                .where(
                    InvitationRow.program == plan.program,
                    InvitationRow.day == day,
                    InvitationRow.status != Status.SUPPRESSED,
                )
            )
        rows, suppressed = [], []
        for item in due_on(
            plan, candidates, day, now=now, already_today=already or 0, decide=lambda c: decisions[c.customer_id]
        ):
            if isinstance(item, DueInvitation):
                s = item.scheduled
                inv = Invitation.planned(
                    invitation_id=new_invitation_id(),
                    program=plan.program,
                    customer_id=s.customer_id,
                    period_key=s.period_key,
                    channel=plan.channel,
                    due_at=s.due_at,
                    expire_at=expiry_at(plan, s.due_at),
                    at=now,
                )
                rows.append(repo.invitation_values(inv, day=day, time_zone=s.time_zone, fraction=s.fraction, now=now))
            elif isinstance(item, Suppressed):
                inv = Invitation.suppressed(
                    invitation_id=new_invitation_id(),
                    program=plan.program,
                    customer_id=item.contact.customer_id,
                    period_key=item.period_key,
                    channel=plan.channel,
                    reason=item.reason,
                    at=now,
                    detail=item.detail,
                )
                rows.append(
                    repo.invitation_values(
                        inv,
                        day=day,
                        time_zone=zone_of(plan, item.contact),
                        fraction=spread(plan.program, inv.customer_id).fraction,
                        now=now,
                    )
                )
                suppressed.append(inv)
        await self._write(rows, suppressed, period, counts)

    async def _contacts(self, missing: tuple[str, str] | None = None):
        """Every contact (`missing`: only those with no invitation of that programme and period), in
        chunks by customer id (keyset: each chunk one indexed range read)."""
        after = ""
        while True:
            query = select(*repo.PLANNING_COLUMNS).where(ContactRow.customer_id > after)
            if missing is not None:
                query = query.where(
                    ~exists().where(
                        InvitationRow.customer_id == ContactRow.customer_id,
                        InvitationRow.program == missing[0],
                        InvitationRow.period_key == missing[1],
                    )
                )
            async with self._runtime.uow.read() as session:
                rows = (await session.execute(query.order_by(ContactRow.customer_id).limit(CONTACT_CHUNK))).all()
            if not rows:
                return
            after = rows[-1].customer_id
            yield [repo.planning_contact(r) for r in rows]

    async def _context(
        self,
        plan: SurveyPlan,
        period: Period,
        ids: list[str],
        now: datetime,
        around: tuple[datetime, datetime] | None = None,
    ) -> _Context:
        """What the rules need about these customers: invitations already in the period, the moments
        of their other invitations (near `now`, or in `around`), their open cases."""
        context = _Context()
        if not ids:
            return context
        reach = timedelta(days=self._rules.frequency_days)
        lo, hi = around or (now - reach, now + reach)
        async with self._runtime.uow.read() as session:
            context.invited_here = set(
                await session.scalars(
                    select(InvitationRow.customer_id).where(
                        InvitationRow.customer_id.in_(ids),
                        InvitationRow.program == plan.program,
                        InvitationRow.period_key == period.key,
                    )
                )
            )
            if reach:
                moment = func.coalesce(InvitationRow.sent_at, InvitationRow.due_at)
                for customer_id, at in await session.execute(
                    select(InvitationRow.customer_id, moment).where(
                        InvitationRow.customer_id.in_(ids),
                        InvitationRow.status.in_(_CONTACTED),
                        moment > lo,
                        moment < hi,
                    )
                ):
                    context.invited_at[customer_id].append(at)
            for customer_id, case_id in await session.execute(
                select(OpenCaseRow.customer_id, OpenCaseRow.case_id).where(
                    OpenCaseRow.customer_id.in_(ids), OpenCaseRow.status != "control"
                )
            ):
                context.open_cases[customer_id].append(case_id)
        return context

    # -- 2. fall due ----------------------------------------------------------------------------

    async def _fall_due(self, now: datetime, counts: Counter) -> None:
        while True:
            async with self._runtime.uow() as tx:
                rows = await repo.lock_invitations(
                    tx.session,
                    select(InvitationRow)
                    .where(InvitationRow.status == Status.PLANNED, InvitationRow.due_at <= now)
                    .order_by(InvitationRow.due_at)
                    .limit(ROW_CHUNK),
                )
                ids = {r.customer_id for r in rows}
                contacts = {
                    r.customer_id: repo.contact_of(r)
                    for r in await tx.session.scalars(select(ContactRow).where(ContactRow.customer_id.in_(ids)))
                }
                open_cases = defaultdict(list)
                for customer_id, case_id in await tx.session.execute(
                    select(OpenCaseRow.customer_id, OpenCaseRow.case_id).where(
                        OpenCaseRow.customer_id.in_(ids), OpenCaseRow.status != "control"
                    )
                ):
                    open_cases[customer_id].append(case_id)
                plans: dict[str, SurveyPlan | None] = {}
                for row in rows:
                    if row.program not in plans:
                        plans[row.program] = await plan_for(tx.session, row.program)
                    await self._due_one(tx, row, plans[row.program], contacts, open_cases, now, counts)
            if len(rows) < ROW_CHUNK:
                return

    async def _due_one(
        self,
        tx,
        row: InvitationRow,
        plan: SurveyPlan | None,
        contacts: dict,
        open_cases: dict,
        now: datetime,
        counts: Counter,
    ) -> None:
        inv = repo.invitation_of(row)
        contact = contacts.get(row.customer_id)
        if contact is None and inv.kind is InvitationKind.SURVEY:
            decision_reason, detail = Reason.ERASED, "the contact is gone"
        else:
            who = contact or bare_contact(row.customer_id)
            decision = decide(
                who,
                channel=inv.channel,
                at=now,
                kind=inv.kind,
                open_cases=[c for c in open_cases.get(row.customer_id, ()) if c != inv.case_id],
                rules=self._rules,
            )
            decision_reason, detail = decision.reason, decision.detail
        if decision_reason is not None or plan is None:
            inv.suppress(decision_reason or Reason.NO_CONSENT, now, detail or "no survey plan for the programme")
            store(tx, row, inv)
            counts["suppressed"] += 1
            return
        scheduled = Scheduled(
            inv.program,
            inv.customer_id,
            row.period_key,
            row.day or local_date(row.time_zone, now),
            inv.due_at or now,
            row.time_zone,
            row.fraction,
        )
        inv.become_due(now, expire_at=expiry_at(plan, now), remind_at=reminder_at(plan, scheduled, now))
        locale = (contact.locale if contact else None) or plan.default_locale
        envelopes = store(
            tx,
            row,
            inv,
            contact=contact,
            link=survey_link(self._keys, plan, inv, locale),
            locale=locale,
            unsubscribe=unsubscribe_link(self._keys, self._public_url, inv),
        )
        if inv.channel in (Channel.EMAIL, Channel.WEBHOOK):
            await repo.add_send(tx.session, inv.invitation_id, "invitation", inv.channel, envelopes[0].to_bytes(), now)
        counts["due"] += 1

    # -- 3. remind and expire -------------------------------------------------------------------

    async def _remind(self, now: datetime, counts: Counter) -> None:
        while True:
            async with self._runtime.uow() as tx:
                rows = await repo.lock_invitations(
                    tx.session,
                    select(InvitationRow)
                    .where(
                        InvitationRow.status.in_([Status.DUE, Status.SENT, Status.OPENED]),
                        InvitationRow.reminded_at.is_(None),
                        InvitationRow.remind_at <= now,
                        InvitationRow.expire_at > now,
                    )
                    .order_by(InvitationRow.remind_at)
                    .limit(ROW_CHUNK),
                )
                for row in rows:
                    plan = await plan_for(tx.session, row.program)
                    contact_row = await tx.session.get(ContactRow, row.customer_id)
                    contact = repo.contact_of(contact_row) if contact_row else None
                    inv = repo.invitation_of(row)
                    inv.remind(now)
                    locale = (contact.locale if contact else None) or (plan.default_locale if plan else "es")
                    link = survey_link(self._keys, plan, inv, locale) if plan else None
                    envelopes = store(
                        tx,
                        row,
                        inv,
                        contact=contact,
                        link=link,
                        locale=locale,
                        unsubscribe=unsubscribe_link(self._keys, self._public_url, inv),
                    )
                    if inv.channel in (Channel.EMAIL, Channel.WEBHOOK):
                        await repo.add_send(
                            tx.session, inv.invitation_id, "reminder", inv.channel, envelopes[0].to_bytes(), now
                        )
                    counts["reminded"] += 1
            if len(rows) < ROW_CHUNK:
                return

    async def _expire(self, now: datetime, counts: Counter) -> None:
        while True:
            async with self._runtime.uow() as tx:
                rows = await repo.lock_invitations(
                    tx.session,
                    select(InvitationRow)
                    .where(
                        InvitationRow.status.in_(
                            [Status.PLANNED, Status.DUE, Status.SENT, Status.OPENED, Status.REMINDED]
                        ),
                        InvitationRow.expire_at <= now,
                    )
                    .order_by(InvitationRow.expire_at)
                    .limit(ROW_CHUNK),
                )
                for row in rows:
                    inv = repo.invitation_of(row)
                    inv.expire(now)
                    store(tx, row, inv)
                    counts["expired"] += 1
                await repo.cancel_sends(tx.session, [r.invitation_id for r in rows], "expired")
            if len(rows) < ROW_CHUNK:
                return

    # -- 4. send ---------------------------------------------------------------------------------

    async def _send(self, now: datetime, counts: Counter) -> None:
        """The messages due: emails over SMTP when LAZO_SMTP_URL is set; otherwise (and for webhooks,
        not built yet) each is logged as it would go (no address, no link: the log is no place for
        personal data) and counted as sent, so reminders, expiries and figures behave the same.

        At most once per send row: a row is marked `sending` (committed) before the SMTP exchange
        and `sent` after it; a row found still `sending` once its lease ran out (the process died in
        between) is marked `unknown`, never sent again."""
        while True:
            emails = []
            async with self._runtime.uow() as tx:
                await tx.session.execute(
                    update(SendRow)
                    .where(SendRow.status == "sending", SendRow.next_attempt_at <= now)
                    .values(
                        status="unknown",
                        next_attempt_at=None,
                        last_error="the process stopped while sending: not sent again",
                    )
                )
                sends = list(
                    await tx.session.scalars(
                        select(SendRow)
                        .where(SendRow.status == "pending", SendRow.next_attempt_at <= now)
                        .order_by(SendRow.id)
                        .limit(SEND_CHUNK)
                    )
                )
                for send in sends:
                    send.attempt_count += 1
                    if self._smtp is not None and send.channel == Channel.EMAIL:
                        send.status, send.next_attempt_at = "sending", now + SEND_LEASE
                        emails.append((send.id, send.invitation_id, send.purpose, send.body))
                        continue
                    send.status, send.sent_at, send.next_attempt_at = "logged", now, None
                    log.info(
                        "would send the %s of invitation %s by %s (%s)",
                        send.purpose,
                        send.invitation_id,
                        send.channel,
                        "LAZO_SMTP_URL is unset"
                        if send.channel == Channel.EMAIL
                        else "webhooks to a sending tool are not built yet",
                    )
                    await self._sent(tx, send, now, counts)
            if emails:
                outcomes = await asyncio.gather(*(self._email(purpose, body) for _, _, purpose, body in emails))
                async with self._runtime.uow() as tx:
                    for (send_id, _, _, _), error in zip(emails, outcomes):
                        send = await tx.session.get(SendRow, send_id)
                        if send is None or send.status != "sending":
                            continue  # cancelled meanwhile (erased, answered)
                        if error is None:
                            send.status, send.sent_at, send.next_attempt_at = "sent", now, None
                            await self._sent(tx, send, now, counts)
                        elif send.attempt_count >= SEND_ATTEMPTS:
                            send.status, send.next_attempt_at, send.last_error = "failed", None, error
                        else:
                            delay = timedelta(seconds=min(60 * 2 ** (send.attempt_count - 1), 3600))
                            send.status, send.next_attempt_at, send.last_error = "pending", now + delay, error
            if len(sends) < SEND_CHUNK:
                return

    async def _sent(self, tx, send: SendRow, now: datetime, counts: Counter) -> None:
        counts["sent"] += 1
        row = await repo.invitation_row(tx.session, send.invitation_id)
        if row is not None and send.purpose == "invitation":
            inv = repo.invitation_of(row)
            if inv.mark_sent(now, expire_at=inv.expire_at or now, remind_at=inv.remind_at):
                store(tx, row, inv)

    async def _email(self, purpose: str, body: str) -> str | None:
        """Send one; None when the server took it, else why not (no personal data in it)."""
        try:
            data = orjson.loads(body)["data"]
            msg = sender.message(
                data, purpose=purpose, sender=self._settings.smtp_from, message_domain=self._message_domain
            )
            await sender.send(self._smtp, msg)
            return None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return f"{type(exc).__name__} from {self._smtp.where()}"[:500]
        except (KeyError, ValueError, orjson.JSONDecodeError) as exc:
            return f"the message could not be built: {type(exc).__name__}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class _Context:
    def __init__(self) -> None:
        self.invited_here: set[str] = set()
        self.invited_at: dict[str, list[datetime]] = defaultdict(list)
        self.open_cases: dict[str, list[str]] = defaultdict(list)
