"""Push delivery to contact centers. Managing endpoints (and reading their delivery log, which
shows where events go) is a manager's job."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from shared.egress import Egress
from shared.errors import InvalidInput
from shared.http.auth import Manager
from shared.http.deps import Provided, SessionDep, SettingsDep, UowDep
from shared.http.paging import Limit, Offset
from shared.outbound import target_refusal
from shared.sealing import SecretBox
from services.alerts import queries, service
from services.alerts.api.schemas import DeliveryOut, DeliveryPage, SubscriptionIn, SubscriptionOut
from services.alerts.domain import chat

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionOut)
async def subscribe(
    body: SubscriptionIn,
    uow: UowDep,
    settings: SettingsDep,
    box: Provided[SecretBox],
    egress: Provided[Egress],
    who: Manager,
    response: Response,
) -> SubscriptionOut:
    """Every matching event raised from now on is POSTed to `url` as a structured CloudEvent
    (`application/cloudevents+json`) signed with `Lazo-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
    "<t>.<body>")>`. Non-2xx answers (a redirect too: none is followed) and timeouts are retried with
    exponential backoff and jitter for 24 hours. Deliveries are at-least-once: deduplicate on the
    CloudEvent id.

    `url` must be http(s) without credentials in it, and its host must be on the internet: loopback,
    private and local names are refused unless `LAZO_ALLOW_PRIVATE_TARGETS` is on; cloud metadata,
    link-local and reserved addresses always (422). The address is vetted again at every connection.

    `format: slack` posts a Block Kit message to a Slack incoming webhook (`https://hooks.slack.com/services/…`),
    `format: teams` an Adaptive Card to a Teams workflow webhook (a Power Automate or Logic Apps URL):
    customer, IEC and segment, the comment, why it was selected and a link to the case in the dashboard.
    Same retries and delivery log; another host is a 422."""
    url = str(body.url)
    why = chat.host_refusal(body.format, url, loopback_for_tests=settings.test_chat_loopback) or await target_refusal(
        url, egress
    )
    if why:
        raise InvalidInput(f"url: {why}", errors=[{"field": "url", "message": why}])
    sub = await service.subscribe(
        uow,
        box,
        url=url,
        secret=body.secret,
        event_types=body.event_types,
        programs=body.programs,
        who=who.who,
        fmt=body.format,
        language=body.language,
    )
    response.headers["Location"] = f"/v1/subscriptions/{sub.id}"
    return SubscriptionOut.of(sub)


@router.get("", response_model=list[SubscriptionOut])
async def list_subscriptions(session: SessionDep, _: Manager) -> list[SubscriptionOut]:
    return [SubscriptionOut.of(s) for s in await queries.list_subscriptions(session)]


@router.get("/{subscription_id}", response_model=SubscriptionOut)
async def get_subscription(subscription_id: str, session: SessionDep, _: Manager) -> SubscriptionOut:
    return SubscriptionOut.of(await queries.get_subscription(session, subscription_id))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(subscription_id: str, uow: UowDep, _: Manager) -> Response:
    """Stop pushing to this endpoint; its pending deliveries are cancelled."""
    await service.unsubscribe(uow, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    subscription_id: str,
    session: SessionDep,
    _: Manager,
    status_: Annotated[Literal["pending", "delivered", "failed", "cancelled"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """Deliveries newest first, each with every attempt: when, status code or error, duration, next attempt."""
    rows, total = await queries.list_deliveries(session, subscription_id, status=status_, limit=limit, offset=offset)
    return DeliveryPage(items=[DeliveryOut.of(d) for d in rows], total=total, limit=limit, offset=offset)
