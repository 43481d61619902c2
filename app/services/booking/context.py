"""Loading and checking a basket against the database: shared by the recap and the confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    Child,
    Family,
    FamilyAid,
    Reservation,
    ReservationStatus,
    Wallet,
    agent_structures,
)
from ...text import short_date
from ..actors import Actor, authorize
from ..errors import (
    DateOutsideCalendar,
    EmptyBasket,
    OverrideReasonRequired,
    UnknownEntity,
    ValidationError,
    WrongFamily,
    WrongStructure,
)
from ..money.pricing import DayPrice, day_price
from ..permissions import rule
from . import calendar
from .basket import Action, Basket, BasketLine
from .rules import DayFacts, RuleCheck, Verdict, check_booking, check_cancellation, check_leave_waitlist
from .waitlist import lock_days

HOLIDAY_MARGIN = timedelta(days=40)  # deadlines count back over public holidays before the first day


@dataclass
class BasketContext:
    family: Family
    children: dict[int, Child]
    activities: dict[int, Activity]
    days: dict[tuple[int, date], ActivityDay]
    facts: dict[tuple[int, date], DayFacts]
    holidays: frozenset[date]
    live: dict[tuple[int, int], Reservation]
    """Live (accepted or waitlisted) reservations by (child id, activity day id)."""


def load_basket(session: Session, basket: Basket, actor: Actor, *, locked: bool = False) -> BasketContext:
    """Validate the basket against the database; raise a typed error for anything that does not fit.

    For a confirmation (``locked``), the live reservations are left out: ``read_under_locks`` reads them once the
    days are locked, with the days' closed flags, so that nothing read before decides."""
    if not basket.lines:
        raise EmptyBasket()
    if len({ln.key for ln in basket.lines}) != len(basket.lines):
        raise ValidationError("Le même jour est demandé deux fois pour le même enfant et la même activité.")
    overridden = any(ln.overridden for ln in basket.lines)
    authorize(session, actor, rule("booking.override" if overridden else "booking.validation.recap"))
    if overridden and not (basket.override_reason or "").strip():
        raise OverrideReasonRequired()
    if actor.family_id is not None and basket.family_id != actor.family_id:  # the portal: its own family only
        raise UnknownEntity(f"Famille inconnue (n° {basket.family_id}).")
    family = session.get(
        Family, basket.family_id, options=[selectinload(Family.aids).selectinload(FamilyAid.aid_type)]
    )
    if family is None or family.anonymized_at is not None:
        raise UnknownEntity(f"Famille inconnue (n° {basket.family_id}).")
    children: dict[int, Child] = {}
    for child_id in {ln.child_id for ln in basket.lines}:
        child = session.get(Child, child_id)
        if child is None:
            raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
        if (
            child.family_id != family.id and actor.family_id is not None
        ):  # the portal: no other family's names
            raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
        if child.family_id != family.id:
            raise WrongFamily(
                f"{child.first_name} {child.last_name} n'est pas un enfant de la famille {family.name}."
            )
        children[child_id] = child
    allowed = agent_structure_ids(session, actor)
    activities: dict[int, Activity] = {}
    for activity_id in {ln.activity_id for ln in basket.lines}:
        activity = session.get(Activity, activity_id, options=[selectinload(Activity.brackets)])
        if activity is None or not activity.active:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        if allowed is not None and activity.structure_id not in allowed:
            raise WrongStructure(
                f"L'activité « {activity.name} » dépend de la structure {activity.structure.name}, "
                "où vous ne travaillez pas."
            )
        activities[activity_id] = activity
    days = {
        (d.activity_id, d.day): d
        for d in session.scalars(
            select(ActivityDay).where(
                ActivityDay.activity_id.in_(list(activities)),
                ActivityDay.day.in_(sorted({ln.day for ln in basket.lines})),
            )
        )
    }
    for activity in activities.values():  # a day with its row is in the calendar: the others are asked about
        outside = [
            ln.day
            for ln in basket.lines
            if ln.activity_id == activity.id and (activity.id, ln.day) not in days
        ]
        coverage = calendar.activity_coverage(session, activity) if outside else None
        for d in outside:
            if coverage is None or not coverage[0] <= d <= coverage[1]:
                raise DateOutsideCalendar(
                    f"Le {short_date(d)} est en dehors du calendrier de l'activité « {activity.name} »."
                )
    all_dates = [ln.day for ln in basket.lines]
    holidays = calendar.public_holiday_set(session, min(all_dates) - HOLIDAY_MARGIN, max(all_dates))
    ctx = BasketContext(family, children, activities, days, {}, holidays, {})
    read_facts(session, ctx, basket)
    if not locked:
        reload_live(session, ctx, lock=False)
    return ctx


def agent_structure_ids(session: Session, actor: Actor) -> set[int] | None:
    """The structures an agent books in (every activity of them, from one basket); None when not restricted
    (the "système" agent of the command line, an agent attached to no structure)."""
    if actor.agent_id is None:
        return None
    ids = set(
        session.scalars(
            select(agent_structures.c.structure_id).where(agent_structures.c.agent_id == actor.agent_id)
        )
    )
    return ids or None


def read_facts(session: Session, ctx: BasketContext, basket: Basket) -> None:
    """What the calendar says of each requested day (open, closed and why, opening date)."""
    ctx.facts = {}
    for activity in ctx.activities.values():
        dates = [ln.day for ln in basket.lines if ln.activity_id == activity.id]
        for d, fact in calendar.day_facts(session, activity, dates).items():
            ctx.facts[(activity.id, d)] = fact


def read_under_locks(session: Session, ctx: BasketContext, basket: Basket) -> dict[int, ActivityDay]:
    """Lock the basket's days (in id order), then read what decides: the days' rows (capacity, closed flag) and
    the children's live reservations (locked too). Returns the locked days by id.

    The calendar's facts (public holidays, closings, periods' opening dates) do not depend on the locked rows:
    ``read_facts`` reads them before the lock; only if a day's closed flag changed meanwhile are they read again
    here, so that the closed flag that decides is the locked one."""
    seen = {key: d.closed for key, d in ctx.days.items()}
    locked = lock_days(session, [d.id for d in ctx.days.values()])
    ctx.days = {(d.activity_id, d.day): d for d in locked.values()}
    if not ctx.facts or {key: d.closed for key, d in ctx.days.items()} != seen:
        read_facts(session, ctx, basket)
    reload_live(session, ctx, lock=True)
    return locked


_LIVE = select(Reservation).where(
    Reservation.child_id.in_(bindparam("children", expanding=True)),
    Reservation.activity_day_id.in_(bindparam("days", expanding=True)),
    Reservation.status.in_(LIVE_STATUSES),
)
_LIVE_LOCKED = _LIVE.with_for_update().execution_options(populate_existing=True)
_WALLETS_LOCKED = (
    select(Wallet)
    .where(Wallet.family_id == bindparam("family"))
    .order_by(Wallet.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def reload_live(session: Session, ctx: BasketContext, *, lock: bool) -> None:
    """The children's live reservations on the basket's days (locked under a confirmation): another counter
    may have cancelled or added one meanwhile."""
    params = {"children": list(ctx.children), "days": [d.id for d in ctx.days.values()] or [-1]}
    rows = session.scalars(_LIVE_LOCKED if lock else _LIVE, params)
    ctx.live = {(r.child_id, r.activity_day_id): r for r in rows}


def check_line(ctx: BasketContext, line: BasketLine, now: datetime) -> tuple[RuleCheck, Reservation | None]:
    activity = ctx.activities[line.activity_id]
    day = ctx.days.get((line.activity_id, line.day))
    existing = ctx.live.get((line.child_id, day.id)) if day is not None else None
    if line.action is Action.ADD:
        if existing is not None:
            return RuleCheck(Verdict.ALREADY_BOOKED, "Déjà inscrit ce jour-là"), existing
        return (
            check_booking(
                opening_kind=activity.opening_kind,
                horizon_days=activity.horizon_days,
                booking_deadline=activity.booking_deadline,
                facts=ctx.facts[(line.activity_id, line.day)],
                now=now,
                public_holidays=ctx.holidays,
                ignore_deadlines=line.override_deadline,
            ),
            None,
        )
    if existing is None:
        return RuleCheck(Verdict.NOT_BOOKED, "Aucune réservation à annuler ce jour-là"), None
    if existing.status is ReservationStatus.WAITLISTED:
        return check_leave_waitlist(day=line.day, now=now), existing
    check = check_cancellation(
        cancel_deadline=activity.cancel_deadline,
        day=line.day,
        now=now,
        public_holidays=ctx.holidays,
        ignore_deadlines=line.override_deadline,
    )
    return check, existing


def line_price(ctx: BasketContext, line: BasketLine) -> int:
    return line_day_price(ctx, line).cents


def line_day_price(ctx: BasketContext, line: BasketLine) -> DayPrice:
    """The day's price with the aids deducted (what the recap explains)."""
    activity = ctx.activities[line.activity_id]
    return day_price(activity, line.day, ctx.family.quotient_familial, ctx.family.aids)


def locked_wallets(session: Session, family_id: int) -> list[Wallet]:
    """The family's wallets, locked in id order (a confirmation's balance and where its entries go)."""
    return list(session.scalars(_WALLETS_LOCKED, {"family": family_id}))


def line_names(ctx: BasketContext, line: BasketLine) -> tuple[str, str]:
    return ctx.children[line.child_id].first_name, ctx.activities[line.activity_id].name
