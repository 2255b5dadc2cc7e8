"""Contacts: the people the planner may survey. Loading them is a manager's job; agents read."""

from __future__ import annotations

import io

from fastapi import APIRouter, Request
from pydantic import ValidationError

from shared.errors import InvalidInput
from shared.http.auth import Manager, Reader
from shared.http.deps import ClockDep, SessionDep, SettingsDep, UowDep
from shared.http.doors import BATCH_BODY_LIMIT, body_limit, personal_data
from shared.http.paging import Limit, Offset
from shared.validation import validation_errors
from services.surveys import queries, service
from services.surveys.api.schemas import ContactBatchIn, ContactBatchOut, ContactOut, ContactPage, ImportOut, ItemOut
from services.surveys.domain.contact_csv import ImportedRow, ImportReport, read_contacts_csv
from services.surveys.domain.contacts import Contact

router = APIRouter(tags=["contacts"])
# Contacts written per unit of work while a CSV is read: the file is never held as objects.
IMPORT_CHUNK = 1000


@router.post("/v1/contacts", response_model=ContactOut)
async def upsert_contact(body: Contact, uow: UowDep, clock: ClockDep, session: SessionDep, _: Manager) -> ContactOut:
    """Insert or replace one contact by `customer_id`. An unsubscription is never undone by an upsert."""
    await service.upsert_contacts(uow, [body], clock.now())
    return ContactOut.of(await queries.get_contact(session, body.customer_id))


@router.post("/v1/contacts:batch", response_model=ContactBatchOut, dependencies=[body_limit(BATCH_BODY_LIMIT)])
async def upsert_contacts(
    body: ContactBatchIn, uow: UowDep, clock: ClockDep, settings: SettingsDep, _: Manager
) -> ContactBatchOut:
    """Many contacts at once (up to LAZO_MAX_BATCH): the valid ones are upserted, each broken one is
    answered with its errors (`contacts[3].email`)."""
    if len(body.contacts) > settings.max_batch:
        raise InvalidInput(
            f"contacts: at most {settings.max_batch} per batch",
            errors=[{"field": "contacts", "message": f"at most {settings.max_batch} items"}],
        )
    valid, items = [], []
    for index, raw in enumerate(body.contacts):
        try:
            contact = Contact.model_validate(raw)
        except ValidationError as exc:
            cid = raw.get("customer_id")
            items.append(
                ItemOut(
                    index=index,
                    customer_id=cid if isinstance(cid, str) else None,
                    status="rejected",
                    errors=validation_errors(exc.errors(), prefix=("contacts", index)),
                )
            )
            continue
        valid.append(contact)
        items.append(ItemOut(index=index, customer_id=contact.customer_id, status="upserted"))
    if valid:
        await service.upsert_contacts(uow, valid, clock.now())
    return ContactBatchOut(upserted=len(valid), rejected=len(items) - len(valid), items=items)


@router.post(
    "/v1/contacts:import",
    response_model=ImportOut,
    dependencies=[body_limit(BATCH_BODY_LIMIT)],
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_contacts(request: Request, uow: UowDep, clock: ClockDep, _: Manager) -> ImportOut:
    """A CSV of contacts (UTF-8; `,`, `;` or tab): the valid rows are imported, each broken row is
    reported with its line, field and message. A header without a customer id column is a 422."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"body: not UTF-8 text (byte {exc.start})",
            errors=[{"field": "body", "message": "the CSV must be UTF-8 text"}],
        ) from None
    report, chunk = ImportReport(), []
    now = clock.now()
    for row in read_contacts_csv(io.StringIO(text, newline="")):
        report.add(row)
        if isinstance(row, ImportedRow):
            chunk.append(row.contact)
            if len(chunk) >= IMPORT_CHUNK:
                await service.upsert_contacts(uow, chunk, now)
                chunk = []
    if chunk:
        await service.upsert_contacts(uow, chunk, now)
    return ImportOut(imported=report.imported, broken=report.broken, errors=report.errors)


@router.get("/v1/contacts", dependencies=[personal_data()], response_model=ContactPage)
async def list_contacts(session: SessionDep, _: Reader, limit: Limit = 50, offset: Offset = 0) -> ContactPage:
    rows, total = await queries.list_contacts(session, limit=limit, offset=offset)
    return ContactPage(items=[ContactOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/v1/contacts/{customer_id}", dependencies=[personal_data()], response_model=ContactOut)
async def get_contact(customer_id: str, session: SessionDep, _: Reader) -> ContactOut:
    return ContactOut.of(await queries.get_contact(session, customer_id))
