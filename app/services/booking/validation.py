"""Basket → recap → confirm: the two-step validation of the portal (« Valider » shows the recap, « Confirmer »
records it), with no Qt.

``recap`` reads and explains; ``confirm`` re-checks everything in one transaction with the days locked, applies
the balance rule to the whole basket, writes reservations, charges, refunds and promotions, and returns each
line's outcome. A refused basket (bad input, balance) writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from ...models import Reservation, ReservationStatus
from ...text import short_date
from ..actors import Actor
from ..bounds import OperationKey, checked
from ..errors import AccountInDebit, InsufficientBalance
from ..money import ledger
from ..permissions import rule
from ..uow import Database, Operation, Shown
from . import lifecycle
from .basket import (
    Action,
    Basket,
    BasketLine,
    ConfirmResult,
    LineOutcome,
    OutcomeStatus,
    Recap,
    RecapLine,
)
from .context import (
    BasketContext,
    check_line,
    line_day_price,
    line_names,
    line_price,
    load_basket,
    locked_wallets,
    read_under_locks,
)
from .decide import Accept, Cancel, Request, Slot, Waitlist, decide, likely_of, rank_in
from .rules import RuleCheck, Verdict, balance_refusal
from .waitlist import accepted_counts, waitlist_queues

# --- recap ----------------------------------------------------------------------------------------


@checked
def recap(db: Database, actor: Actor, basket: Basket) -> Recap:
    """ "Valider": the recap of the basket, without writing anything."""
    with db.reading() as uow:
        s = uow.session
        now = db.clock.now()
        ctx = load_basket(s, basket, actor)
        day_ids = [d.id for d in ctx.days.values()]
        taken = accepted_counts(s, day_ids)
        checks = {line.key: check_line(ctx, line, now) for line in basket.lines}
        balance = ledger.family_balance(s, ctx.family.id)
        slots = _slots(ctx, taken, waitlist_queues(s, day_ids))
        decisions = decide(slots, _requests(ctx, basket, checks), balance)
        additions: list[RecapLine] = []
        removals: list[RecapLine] = []
        claimed: dict[int, int] = {}
        for line in basket.lines:
            check, existing = checks[line.key]
            child_name, activity_name = line_names(ctx, line)
            day = ctx.days.get((line.activity_id, line.day))
            places = None if day is None else day.capacity - taken[day.id] - claimed.get(day.id, 0)
            decision = decisions.lines[line.key]
            if line.action is Action.ADD:
                rank = decision.rank if isinstance(decision, Waitlist) else None
                if check.ok and day is not None:
                    claimed[day.id] = claimed.get(day.id, 0) + 1
                additions.append(
                    RecapLine(
                        line,
                        child_name,
                        activity_name,
                        check,
                        line_price(ctx, line),
                        places,
                        likely_of(decision),
                        rank,
                        wallet_kind=ctx.activities[line.activity_id].wallet_kind,
                        price=line_day_price(ctx, line),
                        structure_id=ctx.activities[line.activity_id].structure_id,
                    )
                )
            else:
                rank = (
                    rank_in(slots[day.id], existing.id) if existing is not None and day is not None else None
                )
                removals.append(
                    RecapLine(
                        line,
                        child_name,
                        activity_name,
                        check,
                        decision.refund_cents if isinstance(decision, Cancel) else 0,
                        places,
                        likely_of(decision),
                        rank,
                        existing.id if existing is not None else None,
                    )
                )
        return Recap(
            family_id=ctx.family.id,
            family_name=ctx.family.name,
            additions=additions,
            removals=removals,
            cost_cents=sum(r.amount_cents for r in additions if r.ok),
            refunds_cents=sum(r.amount_cents for r in removals if r.ok),
            balance_cents=balance,
            override_reason=basket.override_reason,
        )


def _slots(
    ctx: BasketContext, taken: dict[int, int], queues: dict[int, tuple[tuple[int, ...], int]]
) -> dict[int, Slot]:
    """The basket's days as the decision sees them (read for the recap, locked for the confirmation)."""
    return {
        day.id: Slot(
            day.capacity,
            taken[day.id],
            queues[day.id][0],
            queues[day.id][1],
            ctx.activities[day.activity_id].waitlist_enabled,
            day.closed,
        )
        for day in ctx.days.values()
    }


def _requests(
    ctx: BasketContext,
    basket: Basket,
    checks: dict[tuple[int, int, date], tuple[RuleCheck, Reservation | None]],
) -> list[Request]:
    """The basket's lines as the decision sees them: checked, priced, refunds counted."""
    requests = []
    for line in basket.lines:
        check, existing = checks[line.key]
        day = ctx.days.get((line.activity_id, line.day))
        if line.action is Action.ADD:
            requests.append(
                Request(
                    line.key,
                    line.action,
                    day.id if day else None,
                    check,
                    line_price(ctx, line),
                    override_capacity=line.override_capacity,
                )
            )
        else:
            refund = lifecycle.refund_due(existing) if check.ok and existing is not None else 0
            requests.append(
                Request(
                    line.key,
                    line.action,
                    day.id if day else None,
                    check,
                    refund,
                    existing_id=existing.id if existing is not None else None,
                    existing_accepted=existing is not None and existing.status is ReservationStatus.ACCEPTED,
                )
            )
    return requests


# --- confirm --------------------------------------------------------------------------------------


@checked
def confirm(db: Database, actor: Actor, basket: Basket, *, key: OperationKey) -> ConfirmResult:
    """ "Confirmer": re-check and apply the whole basket in one transaction (retried on deadlock/busy).

    ``key`` is made by the caller before the first try and kept for its retries: a retry after an unclear end
    returns the committed outcome instead of confirming again."""
    operation = Operation(key, "basket.confirm", ConfirmResult, family_id=basket.family_id)
    return db.write(
        lambda s: _confirm_in(s, db, actor, basket),
        operation=operation,
        actor=actor,
        rule=rule("booking.validation.confirm"),
        changed=(Shown.PLACES, Shown.ACCOUNTS),
    )


def _confirm_in(s: Session, db: Database, actor: Actor, basket: Basket) -> ConfirmResult:
    ctx = load_basket(s, basket, actor, locked=True)
    locked = read_under_locks(s, ctx, basket)
    entries = ledger.LedgerBatch(s, locked_wallets(s, ctx.family.id))
    balance = sum(w.balance_cents for w in entries.wallets.values())
    now = db.clock.now()  # taken once the days are locked: request order = waitlist order
    checks = {line.key: check_line(ctx, line, now) for line in basket.lines}
    queues = waitlist_queues(s, list(locked))
    decisions = decide(
        _slots(ctx, accepted_counts(s, list(locked)), queues), _requests(ctx, basket, checks), balance
    )
    verdict = decisions.balance
    if not verdict.ok:
        error = AccountInDebit if verdict.in_debit else InsufficientBalance
        raise error(verdict.missing_cents, balance_refusal(verdict, balance))

    plan = lifecycle.Plan(
        now,
        actor,
        str(uuid.uuid4()),
        entries,
        promoting=[(locked[p.day_id], p.reservation_id) for p in decisions.promotions],
        queues={day_id: slot.queue for day_id, slot in decisions.slots.items()},
    )
    outcomes: dict[tuple[int, int, date], LineOutcome] = {}
    for line in basket.removals:
        (check, res), decision = checks[line.key], decisions.lines[line.key]
        child_name, activity_name = line_names(ctx, line)
        if not isinstance(decision, Cancel) or res is None:
            outcomes[line.key] = LineOutcome(
                line, child_name, activity_name, OutcomeStatus.NOT_CANCELLED, check.reason
            )
            continue
        activity = ctx.activities[line.activity_id]
        plan.cancelling.append(
            lifecycle.Cancelling(
                res,
                ctx.family.id,
                activity,
                decision.refund_cents,
                f"Annulation – {activity.name} – {child_name} – {short_date(line.day)}",
                basket.override_reason if line.overridden else None,
            )
        )
        outcomes[line.key] = LineOutcome(
            line,
            child_name,
            activity_name,
            OutcomeStatus.CANCELLED,
            amount_cents=decision.refund_cents,
            reservation_id=res.id,
        )
    requested: list[BasketLine] = []
    for line in basket.additions:
        check = checks[line.key][0]
        day = ctx.days.get((line.activity_id, line.day))
        if check.verdict is Verdict.ALREADY_BOOKED or day is None:
            outcomes[line.key] = LineOutcome(
                line, *line_names(ctx, line), OutcomeStatus.REFUSED, check.reason
            )
            continue
        plan.requesting.append(
            lifecycle.Requesting(
                ctx.children[line.child_id],
                ctx.family,
                ctx.activities[line.activity_id],
                day,
                decisions.lines[line.key],
                basket.override_reason if line.overridden else None,
            )
        )
        requested.append(line)
    written = lifecycle.apply(s, plan)
    for line, rid in zip(requested, written.request_ids, strict=True):
        decision = decisions.lines[line.key]
        status, _position, _price, refusal = lifecycle.request_values(decision)
        rank = decision.rank if isinstance(decision, Waitlist) else None
        amount = (
            decision.price_cents if isinstance(decision, Accept | Waitlist) else 0
        )  # waitlisted: the estimate
        outcomes[line.key] = LineOutcome(
            line, *line_names(ctx, line), OutcomeStatus(status.value), refusal or "", rank, amount, rid
        )
    return ConfirmResult(
        [outcomes[ln.key] for ln in basket.lines],
        entries.balance(ctx.family.id),
        written.promoted_ids,
        plan.batch_id,
    )
