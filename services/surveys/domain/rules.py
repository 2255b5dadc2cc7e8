"""Contact rules: may this invitation go out now? Send, or suppress with a machine reason.

Two kinds of rule, applied in this order (the first that holds is the reason recorded):
1. Gates that always hold, for every invitation (a follow-up too), because the law or the channel
   demands it: `erased`, `unsubscribed`, `no_consent` for the plan's channel, `bounced` (a bounce
   disabled that channel), `no_address` (email with no address).
2. Contact rules proper, which a case's follow-up skips (it closes that case's loop):
   `open_case` — a case is being worked for the customer; `contact_frequency` — another
   invitation, any programme, within `frequency_days` of this one.
`daily_cap` is decided by the schedule (what the cap defers past a period's last day).

What to pass as `open_cases`: the ids of the customer's cases in a working state. A held-out
(control-group) case is not one: those customers are still surveyed, measurement needs them.
What to pass as `invited_at`: the moments of the customer's other invitations that were sent or
are due (any programme, follow-ups included), past or already planned.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.surveys.domain.contacts import Channel

DEFAULT_FREQUENCY_DAYS = 30


class Reason(StrEnum):
    ERASED = "erased"
    UNSUBSCRIBED = "unsubscribed"
    NO_CONSENT = "no_consent"
    BOUNCED = "bounced"
    NO_ADDRESS = "no_address"
    OPEN_CASE = "open_case"
    CONTACT_FREQUENCY = "contact_frequency"
    DAILY_CAP = "daily_cap"


class InvitationKind(StrEnum):
    SURVEY = "survey"  # the programme's planned survey
    FOLLOW_UP = "follow_up"  # the survey that closes a case (carries its case_id)


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason | None = None
    detail: str = ""

    @property
    def send(self) -> bool:
        return self.reason is None


SEND = Decision()


@dataclass(frozen=True, slots=True)
class ContactRules:
    frequency_days: int = DEFAULT_FREQUENCY_DAYS  # 0 turns the rule off

    def __post_init__(self) -> None:
        if not 0 <= self.frequency_days <= 365:
            raise ValueError("frequency_days must be between 0 and 365")


def decide(
    contact,
    *,
    channel: Channel | str,
    at: datetime,
    kind: InvitationKind | str = InvitationKind.SURVEY,
    invited_at: Iterable[datetime] = (),
    open_cases: Collection[str] = (),
    erased: bool = False,
    rules: ContactRules = ContactRules(),
) -> Decision:
    """Whether an invitation of `kind` over `channel` may reach `contact` at `at`, and if not, why.

    `contact` needs `unsubscribed_at`, `consent`, `bounced` and `email` (a Contact or a row).
    """
    channel = Channel(channel)
    if erased:
        return Decision(Reason.ERASED, "the customer's data was erased")
    if contact.unsubscribed_at is not None:
        return Decision(Reason.UNSUBSCRIBED, "the customer unsubscribed")
    if channel not in contact.consent:
        return Decision(Reason.NO_CONSENT, f"no consent for the {channel} channel")
    if channel in contact.bounced:
        return Decision(Reason.BOUNCED, f"the {channel} channel bounced and is disabled")
    if channel is Channel.EMAIL and not contact.email:
        return Decision(Reason.NO_ADDRESS, "no email address")
    if InvitationKind(kind) is InvitationKind.FOLLOW_UP:
        return SEND
    if open_cases:
        return Decision(Reason.OPEN_CASE, "a case is open for the customer")
    if rules.frequency_days:
        window = timedelta(days=rules.frequency_days)
        # Either side of `at`: an invitation already planned for later counts as much as a past one.
        if any(abs(at - other) < window for other in invited_at):
            return Decision(Reason.CONTACT_FREQUENCY, f"invited less than {rules.frequency_days} days apart")
    return SEND
