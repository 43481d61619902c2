"""Loading and checking a basket against the database: shared by the recap and the confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...clock import PARIS
from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    Child,
    Family,
    Reservation,
    ReservationStatus,
    Wallet,
)
from ..actors import Actor
from ..errors import (
    DateOutsideCalendar,
    EmptyBasket,
    OverrideReasonRequired,
    UnknownEntity,
    ValidationError,
    WrongFamily,
    WrongStructure,
)
from ..money import ledger
from ..money.pricing import day_price
from . import calendar
from .basket import Action, Basket, BasketLine
from .rules import DayFacts, RuleCheck, Verdict, check_booking, check_cancellation

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


def load_basket(session: Session, basket: Basket, actor: Actor, *, with_live: bool = True) -> BasketContext:
    """Validate the basket against the database; raise a typed error for anything that does not fit."""
    if not basket.lines:
        raise EmptyBasket()
    if len({ln.key for ln in basket.lines}) != len(basket.lines):
        raise ValidationError("Le même jour est demandé deux fois pour le même enfant et la même activité.")
    if any(ln.overridden for ln in basket.lines):
        actor.require_supervisor("passer outre un délai ou la capacité")
        if not (basket.override_reason or "").strip():
            raise OverrideReasonRequired()
    family = session.get(Family, basket.family_id, options=[selectinload(Family.aids)])
    if family is None or family.anonymized_at is not None:
        raise UnknownEntity(f"Famille inconnue (n° {basket.family_id}).")
    children: dict[int, Child] = {}
    for child_id in {ln.child_id for ln in basket.lines}:
        child = session.get(Child, child_id)
        if child is None:
            raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
        if child.family_id != family.id:
            raise WrongFamily(
                f"{child.first_name} {child.last_name} n'est pas un enfant de la famille {family.name}."
            )
        children[child_id] = child
    activities: dict[int, Activity] = {}
    for activity_id in {ln.activity_id for ln in basket.lines}:
        activity = session.get(Activity, activity_id, options=[selectinload(Activity.brackets)])
        if activity is None or not activity.active:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        if basket.structure_id is not None and activity.structure_id != basket.structure_id:
            raise WrongStructure(
                f"L'activité « {activity.name} » dépend de la structure {activity.structure.name}, "
                "pas de celle où vous travaillez."
            )
        activities[activity_id] = activity
    facts: dict[tuple[int, date], DayFacts] = {}
    for activity in activities.values():
        dates = [ln.day for ln in basket.lines if ln.activity_id == activity.id]
        coverage = calendar.activity_coverage(session, activity)
        for d in dates:
            if coverage is None or not coverage[0] <= d <= coverage[1]:
                raise DateOutsideCalendar(
                    f"Le {d:%d/%m/%Y} est en dehors du calendrier de l'activité « {activity.name} »."
                )
        for d, fact in calendar.day_facts(session, activity, dates).items():
            facts[(activity.id, d)] = fact
    days = {
        (d.activity_id, d.day): d
        for d in session.scalars(
            select(ActivityDay).where(
                ActivityDay.activity_id.in_(list(activities)),
                ActivityDay.day.in_(sorted({ln.day for ln in basket.lines})),
            )
        )
    }
    all_dates = [ln.day for ln in basket.lines]
    holidays = calendar.public_holiday_set(session, min(all_dates) - HOLIDAY_MARGIN, max(all_dates))
    ctx = BasketContext(family, children, activities, days, facts, holidays, {})
    if with_live:  # a confirmation reads them once the days are locked instead
        reload_live(session, ctx, lock=False)
    return ctx


def reload_live(session: Session, ctx: BasketContext, *, lock: bool) -> None:
    """The children's live reservations on the basket's days, read again (and locked) once the days are locked:
    another counter may have cancelled or added one meanwhile."""
    stmt = select(Reservation).where(
        Reservation.child_id.in_(list(ctx.children)),
        Reservation.activity_day_id.in_([d.id for d in ctx.days.values()] or [-1]),
        Reservation.status.in_(LIVE_STATUSES),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ctx.live = {(r.child_id, r.activity_day_id): r for r in session.scalars(stmt)}


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
        # Leaving a waitlist frees no place and refunds nothing: allowed until the day.
        if line.day < now.astimezone(PARIS).date():
            return RuleCheck(Verdict.PAST, "Journée passée"), existing
        return RuleCheck(Verdict.OK), existing
    check = check_cancellation(
        cancel_deadline=activity.cancel_deadline,
        day=line.day,
        now=now,
        public_holidays=ctx.holidays,
        ignore_deadlines=line.override_deadline,
    )
    return check, existing


def line_price(ctx: BasketContext, line: BasketLine) -> int:
    activity = ctx.activities[line.activity_id]
    return day_price(activity, line.day, ctx.family.quotient_familial, ctx.family.aids).cents


def family_balance(session: Session, family_id: int, *, lock: bool) -> int:
    """The account balance as stored now; with ``lock``, the family's wallet rows are locked (in id order)."""
    if not lock:
        return ledger.family_balance(session, family_id)
    stmt = select(Wallet).where(Wallet.family_id == family_id).order_by(Wallet.id)
    stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return sum(w.balance_cents for w in session.scalars(stmt))


def line_names(ctx: BasketContext, line: BasketLine) -> tuple[str, str]:
    return ctx.children[line.child_id].first_name, ctx.activities[line.activity_id].name
