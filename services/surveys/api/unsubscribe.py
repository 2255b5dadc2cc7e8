"""One-click unsubscribe (RFC 8058): the link in every invitation and in its List-Unsubscribe header.

Public (the customer has no key): the signed token is the credential, and it can only unsubscribe
the customer of its invitation. `POST` is the one click a mail client makes (body
`List-Unsubscribe=One-Click`); `GET` is the page a person lands on from the email, with a button
that POSTs (a link scanner following every URL must not unsubscribe anyone).
"""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shared.http.deps import ClockDep, Provided, UowDep
from services.surveys import service
from services.surveys.domain.tokens import Purpose, TokenError, TokenKeys, verify

router = APIRouter(tags=["unsubscribe"])

_PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Lazo</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto"><p>{text}</p>{form}</body></html>"""
_FORM = (
    '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
    '<button type="submit">Darme de baja / Unsubscribe</button></form>'
)


def _page(text: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(text=html.escape(text), form=form),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _invitation(keys: TokenKeys, token: str, clock) -> str | None:
    try:
        return verify(keys, token, now=clock.now(), purpose=Purpose.UNSUBSCRIBE).invitation_id
    except TokenError:
        return None


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm(token: str, keys: Provided[TokenKeys], clock: ClockDep) -> HTMLResponse:
    if _invitation(keys, token, clock) is None:
        return _page("Este enlace no es válido o ha caducado. / This link is not valid or has expired.", status=404)
    return _page("¿No quieres recibir más encuestas? / No more surveys?", _FORM)


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
async def one_click(token: str, keys: Provided[TokenKeys], clock: ClockDep, uow: UowDep) -> HTMLResponse:
    invitation_id = _invitation(keys, token, clock)
    if invitation_id is None:
        return _page("Este enlace no es válido o ha caducado. / This link is not valid or has expired.", status=404)
    await service.unsubscribe(uow, invitation_id, clock.now())
    return _page("Listo: no recibirás más encuestas. / Done: you will receive no more surveys.")
