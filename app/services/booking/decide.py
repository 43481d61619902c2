"""The booking decision, pure: no session, no clock, no I/O (places, waitlist ranks, promotions and the balance
rule; its place in a booking's flow: docs/architecture.md, « A booking, from a click to the e-mail »).

Given the facts read under the days' locks — each day's capacity, accepted count and waitlist (``Slot``) — the
family's balance, and the basket's lines already checked by the rules (``Request``: the verdict, the price or the
refund), ``decide`` says what becomes of each line: ``Accept`` (charged), ``Waitlist`` (its rank), ``Refuse`` (why),
``Cancel`` (refunded), ``NotCancelled`` (why); which waitlisted requests a freed place promotes (``Promote``); and the
balance rule's verdict on the whole basket. The recap calls it on what it reads (a forecast), the confirmation on
what it locked (the decision it then writes), the month view for one day at a time (``likely``): one rule, one place.

The order is the confirmation's: the cancellations first (an accepted day's place goes to the oldest waitlisted
request of that day, else it is free), then the requests in the basket's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from .basket import Action, Likely
from .rules import BalanceCheck, RuleCheck, check_balance

FULL_REASON = "Complet : plus de place disponible ce jour-là"


@dataclass(frozen=True)
class Slot:
    """An activity day as the decision sees it."""

    capacity: int
    taken: int
    """Accepted reservations."""
    queue: tuple[int, ...] = ()
    """The waitlisted reservations' ids, the oldest first (ranks 1, 2, … in that order)."""
    tail: int = 0
    """The last waitlist position given (positions order the list; a new request's is after it). A promotion or a
    cancelled request numbers the list again from 1 (``lifecycle.apply``)."""
    waitlist: bool = True
    """The activity has a waitlist (else a full day refuses)."""
    closed: bool = False
    """A closed day promotes nobody."""

    @property
    def free(self) -> int:
        return self.capacity - self.taken


@dataclass(frozen=True)
class Request:
    """One basket line as the decision sees it: checked by the rules already."""

    key: tuple[int, int, date]
    action: Action
    day_id: int | None
    check: RuleCheck
    amount_cents: int = 0
    """An addition's price, or a removal's refund (what the rules allow)."""
    override_capacity: bool = False
    """Supervisor: a full day gets one more place for this line."""
    existing_id: int | None = None
    """A removal's reservation."""
    existing_accepted: bool = False
    """A removal's reservation holds a place (else it waits on the list)."""


@dataclass(frozen=True)
class Accept:
    price_cents: int
    raised_capacity: int | None = None
    """The day's new capacity when a supervisor's override made the place."""


@dataclass(frozen=True)
class Waitlist:
    rank: int
    """1 = the next to get a place."""
    price_cents: int
    """Debited only if a place frees (at the promotion)."""
    position: int
    """Where it goes in the list (``Reservation.waitlist_position``)."""


@dataclass(frozen=True)
class Refuse:
    reason: str


@dataclass(frozen=True)
class Cancel:
    refund_cents: int


@dataclass(frozen=True)
class NotCancelled:
    reason: str


Decision = Accept | Waitlist | Refuse | Cancel | NotCancelled


@dataclass(frozen=True)
class Promote:
    day_id: int
    reservation_id: int


@dataclass
class Decisions:
    lines: dict[tuple[int, int, date], Decision]
    promotions: list[Promote]
    balance: BalanceCheck
    slots: dict[int, Slot] = field(default_factory=dict)
    """The days after the basket: taken places and waitlists as the confirmation leaves them."""


def likely_of(decision: Decision) -> Likely:
    if isinstance(decision, Accept | Cancel):
        return Likely.ACCEPTED
    if isinstance(decision, Waitlist):
        return Likely.WAITLISTED
    return Likely.REFUSED


def rank_in(slot: Slot, reservation_id: int) -> int | None:
    """A waitlisted request's rank on its day (1 = the next to get a place); None when it is not on the list. The
    position the lifecycle stores is this rank (the list is kept numbered 1..n)."""
    return slot.queue.index(reservation_id) + 1 if reservation_id in slot.queue else None


def decide(slots: dict[int, Slot], requests: list[Request], balance_cents: int) -> Decisions:
    """Every line's decision, the promotions and the balance verdict (see the module's doc). ``slots``: the days the
    basket names, by id. The balance rule weighs every addition the rules allow (the waitlisted ones too) against
    the refunds of the cancellations they allow (``rules.check_balance``)."""
    days = dict(slots)
    lines: dict[tuple[int, int, date], Decision] = {}
    promotions: list[Promote] = []
    freed: set[int] = set()
    for req in requests:
        if req.action is not Action.REMOVE:
            continue
        if not req.check.ok or req.existing_id is None:
            lines[req.key] = NotCancelled(req.check.reason)
            continue
        lines[req.key] = Cancel(req.amount_cents)
        if req.day_id is None or req.day_id not in days:
            continue
        slot = days[req.day_id]
        if req.existing_accepted:
            days[req.day_id] = replace(slot, taken=slot.taken - 1)
            freed.add(req.day_id)
        else:
            queue = tuple(i for i in slot.queue if i != req.existing_id)
            days[req.day_id] = replace(slot, queue=queue, tail=len(queue))  # the list is numbered again
    for day_id in sorted(freed):  # a place freed goes to the oldest waitlisted request of its day
        chosen, days[day_id] = promoted(days[day_id])
        promotions += [Promote(day_id, rid) for rid in chosen]
    waiting = {day_id: (len(slot.queue), max(slot.tail, len(slot.queue))) for day_id, slot in days.items()}
    for req in requests:
        if req.action is not Action.ADD:
            continue
        if not req.check.ok or req.day_id is None or req.day_id not in days:
            lines[req.key] = Refuse(req.check.reason)
            continue
        slot = days[req.day_id]
        decision = place(slot, *waiting[req.day_id], req.amount_cents, req.override_capacity)
        lines[req.key] = decision
        if isinstance(decision, Accept):
            days[req.day_id] = replace(
                slot, taken=slot.taken + 1, capacity=decision.raised_capacity or slot.capacity
            )
        elif isinstance(decision, Waitlist):
            waiting[req.day_id] = (decision.rank, decision.position)
    cost = sum(r.amount_cents for r in requests if r.action is Action.ADD and r.check.ok)
    refunds = sum(d.refund_cents for d in lines.values() if isinstance(d, Cancel))
    verdict = check_balance(
        balance_cents=balance_cents,
        additions_cents=cost,
        refunds_cents=refunds,
        has_additions=any(r.check.ok for r in requests if r.action is Action.ADD),
    )
    return Decisions(lines, promotions, verdict, days)


def promoted(slot: Slot) -> tuple[tuple[int, ...], Slot]:
    """The waitlisted requests a day's free places go to — the oldest first, none on a closed day — and the day
    after (its list numbered again from 1)."""
    chosen = () if slot.closed else slot.queue[: max(0, slot.free)]
    if not chosen:
        return (), slot
    queue = slot.queue[len(chosen) :]
    return chosen, replace(slot, taken=slot.taken + len(chosen), queue=queue, tail=len(queue))


def place(slot: Slot, waiting: int, tail: int, price_cents: int, override_capacity: bool = False) -> Decision:
    """One request on a day: accepted while places remain (a supervisor's override makes one more), else
    waitlisted behind the ``waiting`` requests (after position ``tail``) when the activity has a waitlist, else
    refused, full."""
    if slot.taken < slot.capacity:
        return Accept(price_cents)
    if override_capacity:
        return Accept(price_cents, raised_capacity=slot.taken + 1)
    if slot.waitlist:
        return Waitlist(waiting + 1, price_cents, tail + 1)
    return Refuse(FULL_REASON)
