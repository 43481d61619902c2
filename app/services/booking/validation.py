"""Basket → recap → confirm: the two-step validation of the portal (DESIGN.md §2.5), with no Qt.

``recap`` reads and explains; ``confirm`` re-checks everything in one transaction with the days locked, applies
the balance rule to the whole basket, writes reservations, charges, refunds and promotions, and returns each
line's outcome. A refused basket (bad input, balance) writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from ...models import LedgerKind, Reservation, ReservationStatus
from .. import audit
from ..actors import Actor
from ..errors import AccountInDebit, InsufficientBalance
from ..money import ledger
from ..money.amounts import format_eur
from ..uow import Database, with_retry
from .basket import (
    Action,
    Basket,
    BasketLine,
    ConfirmResult,
    Likely,
    LineOutcome,
    OutcomeStatus,
    Recap,
    RecapLine,
)
from .context import (
    BasketContext,
    check_line,
    family_balance,
    line_names,
    line_price,
    load_basket,
    reload_live,
)
from .rules import RuleCheck, Verdict
from .waitlist import (
    accepted_counts,
    change_capacity,
    charge_reservation,
    fill_places,
    lock_days,
    rank_of,
    renumber,
    waitlist_lengths,
    waitlist_tails,
)

FULL_REASON = "Complet : plus de place disponible ce jour-là"


# --- recap ----------------------------------------------------------------------------------------


def recap(db: Database, actor: Actor, basket: Basket) -> Recap:
    """ "Valider": the recap of the basket, without writing anything."""
    with db.reading() as uow:
        s = uow.session
        now = db.clock.now()
        ctx = load_basket(s, basket, actor)
        day_ids = [d.id for d in ctx.days.values()]
        taken = accepted_counts(s, day_ids)
        queued = waitlist_lengths(s, day_ids)
        additions: list[RecapLine] = []
        removals: list[RecapLine] = []
        claimed: dict[int, int] = {}
        for line in basket.lines:
            check, existing = check_line(ctx, line, now)
            child_name, activity_name = line_names(ctx, line)
            day = ctx.days.get((line.activity_id, line.day))
            places = None if day is None else day.capacity - taken[day.id] - claimed.get(day.id, 0)
            if line.action is Action.ADD:
                likely, rank = Likely.REFUSED, None
                if check.ok and day is not None:
                    claimed[day.id] = claimed.get(day.id, 0) + 1
                    activity = ctx.activities[line.activity_id]
                    if places > 0 or line.override_capacity:
                        likely = Likely.ACCEPTED
                    elif activity.waitlist_enabled:
                        likely, rank = Likely.WAITLISTED, queued[day.id] + (1 - places)
                additions.append(
                    RecapLine(
                        line,
                        child_name,
                        activity_name,
                        check,
                        line_price(ctx, line),
                        places,
                        likely,
                        rank,
                        wallet_kind=ctx.activities[line.activity_id].wallet_kind,
                    )
                )
            else:
                refund = 0
                if check.ok and existing is not None and existing.status is ReservationStatus.ACCEPTED:
                    refund = existing.price_cents or 0
                rank = rank_of(s, existing) if existing is not None else None
                removals.append(
                    RecapLine(
                        line,
                        child_name,
                        activity_name,
                        check,
                        refund,
                        places,
                        Likely.ACCEPTED if check.ok else Likely.REFUSED,
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
            balance_cents=family_balance(s, ctx.family.id, lock=False),
            override_reason=basket.override_reason,
        )


# --- confirm --------------------------------------------------------------------------------------


def confirm(db: Database, actor: Actor, basket: Basket) -> ConfirmResult:
    """ "Confirmer": re-check and apply the whole basket in one transaction (retried on deadlock/busy)."""
    return with_retry(lambda: _confirm_once(db, actor, basket))


def _confirm_once(db: Database, actor: Actor, basket: Basket) -> ConfirmResult:
    with db.writing() as uow:
        s = uow.session
        ctx = load_basket(s, basket, actor, with_live=False)
        locked = lock_days(s, [d.id for d in ctx.days.values()])
        reload_live(s, ctx, lock=True)
        balance = family_balance(s, ctx.family.id, lock=True)
        now = db.clock.now()  # taken once the days are locked: request order = waitlist order
        checks = {line.key: check_line(ctx, line, now) for line in basket.lines}
        cost = sum(line_price(ctx, ln) for ln in basket.additions if checks[ln.key][0].ok)
        refunds = sum(
            (res.price_cents or 0)
            for ln in basket.removals
            for check, res in [checks[ln.key]]
            if check.ok and res is not None and res.status is ReservationStatus.ACCEPTED
        )
        _require_balance(balance, cost - refunds)

        batch = str(uuid.uuid4())
        outcomes: dict[tuple[int, int, date], LineOutcome] = {}
        freed: set[int] = set()
        for line in basket.removals:
            outcomes[line.key] = _apply_removal(s, ctx, line, checks[line.key], now, actor, basket, freed)
        promoted: list[int] = []
        for day_id in sorted(freed):
            promoted += [r.id for r in fill_places(s, locked[day_id], now, actor)]
        # Additions: the places are counted once, under the locks, then followed in memory.
        taken = accepted_counts(s, [d.id for d in ctx.days.values()])
        tails = waitlist_tails(s, [d.id for d in ctx.days.values()])
        entries = ledger.LedgerBatch(s)
        created: list[tuple[BasketLine, Reservation]] = []
        for line in basket.additions:
            outcome, res = _apply_addition(
                s, ctx, line, checks[line.key][0], now, actor, basket, batch, taken, tails, entries
            )
            outcomes[line.key] = outcome
            if res is not None:
                created.append((line, res))
        s.flush()
        entries.apply()
        for line, res in created:
            _audit_creation(s, ctx, line, res, now, actor, basket)
            outcomes[line.key] = replace(outcomes[line.key], reservation_id=res.id)
        s.flush()
        balance_after = family_balance(s, ctx.family.id, lock=False)
        uow.commit()
    return ConfirmResult([outcomes[ln.key] for ln in basket.lines], balance_after, promoted, batch)


def _require_balance(balance: int, needed: int) -> None:
    missing = max(0, max(0, needed) - balance)
    if missing == 0:
        return
    if balance < 0:
        raise AccountInDebit(
            missing,
            f"Compte famille débiteur ({format_eur(balance)}) : aucune réservation ne peut être validée ; "
            f"il manque {format_eur(missing)}.",
        )
    raise InsufficientBalance(
        missing,
        f"Solde insuffisant : il manque {format_eur(missing)} "
        f"(demandes {format_eur(needed)}, solde {format_eur(balance)}).",
    )


def _apply_removal(
    s: Session,
    ctx: BasketContext,
    line: BasketLine,
    checked: tuple[RuleCheck, Reservation | None],
    now: datetime,
    actor: Actor,
    basket: Basket,
    freed: set[int],
) -> LineOutcome:
    check, res = checked
    child_name, activity_name = line_names(ctx, line)
    if not check.ok or res is None:
        return LineOutcome(line, child_name, activity_name, OutcomeStatus.NOT_CANCELLED, check.reason)
    activity = ctx.activities[line.activity_id]
    was = res.status
    refund = (res.price_cents or 0) if was is ReservationStatus.ACCEPTED else 0
    res.status = ReservationStatus.CANCELLED
    res.waitlist_position = None
    res.cancelled_at = now
    res.transmitted_at = None
    if line.overridden:
        res.override_reason = basket.override_reason
    s.flush()
    if refund:
        ledger.post(
            s,
            ledger.wallet_for(s, ctx.family.id, activity.wallet_kind),
            kind=LedgerKind.REFUND,
            amount_cents=refund,
            label=f"Annulation – {activity.name} – {child_name} – {line.day:%d/%m/%Y}",
            at=now,
            structure_id=activity.structure_id,
            agent_id=actor.agent_id,
            reservation_id=res.id,
        )
    if was is ReservationStatus.ACCEPTED:
        freed.add(res.activity_day_id)
    else:
        renumber(s, res.activity_day_id)
    audit.record(
        s,
        at=now,
        action="reservation.cancel",
        entity="reservation",
        entity_id=res.id,
        agent_id=actor.agent_id,
        structure_id=activity.structure_id,
        family_id=ctx.family.id,
        before={"status": was},
        after={"status": "cancelled", "refund_cents": refund},
        reason=basket.override_reason if line.overridden else None,
    )
    return LineOutcome(
        line, child_name, activity_name, OutcomeStatus.CANCELLED, amount_cents=refund, reservation_id=res.id
    )


def _apply_addition(
    s: Session,
    ctx: BasketContext,
    line: BasketLine,
    check: RuleCheck,
    now: datetime,
    actor: Actor,
    basket: Basket,
    batch: str,
    taken: dict[int, int],
    tails: dict[int, int],
    entries: ledger.LedgerBatch,
) -> tuple[LineOutcome, Reservation | None]:
    """Create the line's reservation (accepted, waitlisted or refused) and its charge; no flush here."""
    child_name, activity_name = line_names(ctx, line)
    activity = ctx.activities[line.activity_id]
    day = ctx.days.get((line.activity_id, line.day))
    if check.verdict is Verdict.ALREADY_BOOKED or day is None:
        return LineOutcome(line, child_name, activity_name, OutcomeStatus.REFUSED, check.reason), None
    res = Reservation(
        child_id=line.child_id,
        activity_day_id=day.id,
        requested_at=now,
        decided_at=now,
        agent_id=actor.agent_id,
        batch_id=batch,
        override_reason=basket.override_reason if line.overridden else None,
    )
    res.child = ctx.children[line.child_id]
    if not check.ok:
        res.status, res.refusal_reason = ReservationStatus.REFUSED, check.reason
    else:
        if taken[day.id] >= day.capacity and line.override_capacity:
            change_capacity(s, day, taken[day.id] + 1, now, actor, basket.override_reason or "",
                            "activity_day.capacity_override")  # fmt: skip
        if taken[day.id] < day.capacity:
            res.status = ReservationStatus.ACCEPTED
            taken[day.id] += 1
        elif activity.waitlist_enabled:
            tails[day.id] += 1  # positions followed in memory under the day's lock
            res.status, res.waitlist_position = ReservationStatus.WAITLISTED, tails[day.id]
        else:
            res.status, res.refusal_reason = ReservationStatus.REFUSED, FULL_REASON
    s.add(res)
    if res.status is ReservationStatus.ACCEPTED:
        charge_reservation(s, res, ctx.family, activity, day, now, actor, entries)
    ctx.live[(line.child_id, day.id)] = res
    outcome = LineOutcome(
        line,
        child_name,
        activity_name,
        OutcomeStatus(res.status.value),
        res.refusal_reason or "",
        res.waitlist_position,
        res.price_cents or 0,
    )
    return outcome, res


def _audit_creation(
    s: Session,
    ctx: BasketContext,
    line: BasketLine,
    res: Reservation,
    now: datetime,
    actor: Actor,
    basket: Basket,
) -> None:
    activity = ctx.activities[line.activity_id]
    audit.record(
        s,
        at=now,
        action="reservation.create",
        entity="reservation",
        entity_id=res.id,
        agent_id=actor.agent_id,
        structure_id=activity.structure_id,
        family_id=ctx.family.id,
        after={
            "child_id": line.child_id,
            "day": line.day,
            "activity_id": activity.id,
            "status": res.status,
            "waitlist_position": res.waitlist_position,
            "price_cents": res.price_cents,
            "refusal_reason": res.refusal_reason,
        },
        reason=basket.override_reason if line.overridden else None,
    )
