"""Activities: create (the defaults of the kind prefilled, ``booking.kinds``), edit, archive, delete an activity
never booked; prices by quotient-familial bracket; the booking policy (when days open, the booking and cancelling
deadlines) stored as data on the activity, which the booking rules read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Annotated

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    Activity,
    ActivityDay,
    ActivityKind,
    CafCategory,
    DeadlineKind,
    DeadlineRule,
    OpeningKind,
    Period,
    PeriodOpeningRule,
    PeriodScope,
    PriceBracket,
    Reservation,
    Structure,
    WalletKind,
)
from ...text import clock_time, format_eur
from .. import audit
from ..actors import Actor
from ..booking.kinds import Policy, kind_entry
from ..bounds import AmountText, Text, checked
from ..errors import UnknownEntity, ValidationError
from ..money.amounts import parse_amount
from ..permissions import rule
from ..uow import Database, Shown

NAME_MAX = 120
MAX_PRICE_CENTS = 100_000  # 1 000,00 € a day
MAX_CAPACITY = 10_000
MAX_HORIZON = 400
WALLET_LOCKED = (
    "Le porte-monnaie d'une activité déjà réservée ne peut pas changer (les débits et remboursements doivent "
    "rester sur le même porte-monnaie) : créez une nouvelle activité."
)


def policy_for(kind: ActivityKind) -> Policy:
    """The defaults of a kind of activity (what the creation form shows first): its registry entry's policy;
    ``UnknownActivityKind`` for a kind without one."""
    return kind_entry(kind).policy


@dataclass
class ActivityInput:
    """What the administrator types to create or edit an activity (prices as typed, e.g. "13,00")."""

    structure_id: int
    kind: ActivityKind
    name: Annotated[str, Text(Activity.name)]
    price: AmountText
    default_capacity: int
    wallet_kind: WalletKind | None = None
    """None: the kind's usual wallet (ALAE → ALAE, ALSH → ALSH)."""
    waitlist_enabled: bool | None = None
    period_scope: PeriodScope = PeriodScope.ALL
    period_opening_rule: PeriodOpeningRule | None = None
    period_opening_weeks: int | None = None
    period_opening_fixed: Annotated[str | None, Text(max_len=10, label="date d'ouverture fixe")] = None
    """ "MM-DD" (or "JJ/MM") for a fixed opening date."""
    brackets: list[tuple[int, int | None, str]] = field(default_factory=list)
    booking: DeadlineRule | None = None
    """The booking policy; None: the seed's for the kind (likewise ``cancel``, ``opening_kind``, ``horizon``)."""
    cancel: DeadlineRule | None = None
    opening_kind: OpeningKind | None = None
    horizon_days: int | None = None
    day_starts_at: Annotated[str | None, Text(max_len=10, label="heure d'ouverture")] = None
    """A day's opening hours as typed ("13:30", "13h30"); None: kept (a new activity: its kind's)."""
    day_ends_at: Annotated[str | None, Text(max_len=10, label="heure de fermeture")] = None
    caf_category: CafCategory | None = None
    """Périscolaire or extrascolaire for the CAF's hours; None: kept (a new activity: its kind's)."""
    meal: Annotated[str | None, Text(max_len=30, label="part repas du prix")] = None
    """The meal part of the day price, typed like the price; None: kept (a new activity: 0)."""


def _check_text_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Le nom de l'activité est obligatoire.")
    if len(name) > NAME_MAX:
        raise ValidationError(f"Nom d'activité trop long ({NAME_MAX} caractères au plus).")
    return name


def _check_price(text: str) -> int:
    cents = parse_amount(text)
    if not 0 <= cents <= MAX_PRICE_CENTS:
        raise ValidationError(
            f"Le prix d'une journée doit être compris entre 0 et {format_eur(MAX_PRICE_CENTS)}."
        )
    return cents


def _check_capacity(capacity: int) -> int:
    if not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        raise ValidationError(f"La capacité par défaut doit être comprise entre 0 et {MAX_CAPACITY}.")
    return capacity


def _check_hour(text: str, label: str) -> time:
    """ "13:30", "13h30", "13 h", "8h05" → a time of day; a French message for anything else."""
    raw = " ".join(text.split())
    m = re.fullmatch(r"([0-9]{1,2}) ?[:hH] ?([0-9]{2})?", raw) or re.fullmatch(r"([0-9]{1,2})()", raw)
    if m is None or int(m.group(1)) > 23 or (m.group(2) and int(m.group(2)) > 59):
        raise ValidationError(f"{label} invalide : « {raw[:10]} » (une heure, ex. 13:30 ou 13h30).")
    return time(int(m.group(1)), int(m.group(2) or 0))


def _day_values(data: ActivityInput) -> dict[str, object]:
    """The opening hours, the CAF category and the meal part given in the form (only those given)."""
    values: dict[str, object] = {}
    if data.day_starts_at is not None:
        values["day_starts_at"] = _check_hour(data.day_starts_at, "Heure d'ouverture")
    if data.day_ends_at is not None:
        values["day_ends_at"] = _check_hour(data.day_ends_at, "Heure de fermeture")
    if data.caf_category is not None:
        values["caf_category"] = CafCategory(data.caf_category)
    if data.meal is not None:
        meal = parse_amount(data.meal) if data.meal.strip() else 0
        if meal < 0:
            raise ValidationError("La part repas du prix ne peut pas être négative.")
        values["meal_cents"] = meal
    return values


def _check_day(a: Activity) -> None:
    """What the activity holds once the form is applied: a day ends after it starts, the meal part within the
    price."""
    if a.day_ends_at <= a.day_starts_at:
        raise ValidationError(
            f"La journée finit après son début : fermeture à {clock_time(a.day_ends_at)}, ouverture à "
            f"{clock_time(a.day_starts_at)}."
        )
    if a.meal_cents > a.price_cents:
        raise ValidationError(
            f"La part repas ({format_eur(a.meal_cents)}) ne peut pas dépasser le prix de la journée "
            f"({format_eur(a.price_cents)})."
        )


def _fixed_opening(text: str | None) -> str | None:
    """ "05-06", "06/05" (jour/mois) → "05-06" (month-day), checked as a real date."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if m := re.fullmatch(r"([0-9]{1,2})-([0-9]{1,2})", raw):
        month, day = int(m.group(1)), int(m.group(2))
    elif m := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})", raw):
        day, month = int(m.group(1)), int(m.group(2))
    else:
        raise ValidationError(f"Date d'ouverture fixe invalide : « {raw[:10]} » (jour/mois, ex. 06/05).")
    try:
        date(2024, month, day)  # a leap year accepts 29/02
    except ValueError as exc:
        raise ValidationError(f"Date d'ouverture fixe impossible : « {raw[:10]} ».") from exc
    return f"{month:02d}-{day:02d}"


def check_brackets(brackets: list[tuple[int, int | None, str]]) -> list[tuple[int, int | None, int]]:
    """Prices by quotient familial: [(qf_min, qf_max or None, price text)], without overlap."""
    parsed = sorted((lo, hi, _check_price(p)) for lo, hi, p in brackets)
    if not parsed:
        return parsed
    if any(lo < 0 or lo > 100_000 or (hi is not None and hi > 100_000) for lo, hi, _ in parsed):
        raise ValidationError(
            "Les tranches de quotient familial vont de 0 à 100 000 ; les prix ne peuvent pas être négatifs."
        )

    def shown(lo: int, hi: int | None) -> str:
        return f"{lo}–{hi if hi is not None else '∞'}"

    if parsed[0][0] != 0:
        raise ValidationError(
            f"La première tranche de quotient familial commence à 0, pas à {parsed[0][0]} "
            f"(un quotient de 0 à {parsed[0][0] - 1} n'aurait pas de prix)."
        )
    for (lo, hi, _), nxt in zip(parsed, parsed[1:] + [None], strict=True):
        if hi is not None and hi < lo:
            raise ValidationError(f"Tranche invalide : {lo} – {hi}.")
        if nxt is None:
            if hi is not None:
                raise ValidationError(
                    f"La dernière tranche ({shown(lo, hi)}) va jusqu'à l'infini : laissez sa "
                    "borne haute vide (un quotient plus élevé n'aurait pas de prix)."
                )
            continue
        if hi is None or nxt[0] <= hi:
            raise ValidationError(
                f"Tranches qui se chevauchent : {shown(lo, hi)} et {shown(nxt[0], nxt[1])}."
            )
        if nxt[0] > hi + 1:
            raise ValidationError(
                f"Trou entre les tranches {shown(lo, hi)} et {shown(nxt[0], nxt[1])} : un quotient "
                f"de {hi + 1} à {nxt[0] - 1} n'aurait pas de prix ; les tranches se suivent sans "
                "trou."
            )
    return parsed


def check_deadline(rule: DeadlineRule) -> DeadlineRule:
    parts = [x.strip() for x in rule.skip_weekdays.split(",") if x.strip()]
    if any(len(x) != 1 or x not in "0123456" for x in parts) or len(set(parts)) >= 7:
        raise ValidationError("Jours à ne pas décompter invalides (lundi = 0 … dimanche = 6, six au plus).")
    if rule.kind is DeadlineKind.COUNTED_DAYS and (rule.days is None or not 0 <= rule.days <= MAX_HORIZON):
        raise ValidationError("Un délai en jours décomptés demande un nombre de jours entre 0 et 400.")
    if rule.kind is DeadlineKind.LAST_WEEKDAY and rule.weekday not in range(7):
        raise ValidationError(
            "Un délai « le dernier jour de la semaine » demande ce jour (lundi … dimanche)."
        )
    return replace(rule, skip_weekdays=",".join(sorted(set(parts))))


def _check_opening(opening_kind: OpeningKind, horizon_days: int | None) -> None:
    if opening_kind is OpeningKind.ROLLING and (horizon_days is None or not 0 <= horizon_days <= MAX_HORIZON):
        raise ValidationError("Une ouverture glissante demande un nombre de jours entre 0 et 400.")


def _code_for(s: Session, structure_id: int, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:28] or "ACTIVITE"
    taken = set(s.scalars(select(Activity.code).where(Activity.structure_id == structure_id)))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def _get(s: Session, activity_id: int) -> Activity:
    activity = s.get(Activity, activity_id, options=[selectinload(Activity.brackets)])
    if activity is None:
        raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
    return activity


def _has_reservations(s: Session, activity_id: int) -> bool:
    return bool(
        s.scalar(
            select(func.count())
            .select_from(Reservation)
            .join(ActivityDay)
            .where(ActivityDay.activity_id == activity_id)
        )
    )


def _snapshot(a: Activity) -> dict[str, object]:
    return {
        "name": a.name,
        "kind": a.kind,
        "structure_id": a.structure_id,
        "wallet": a.wallet_kind,
        "price_cents": a.price_cents,
        "default_capacity": a.default_capacity,
        "waitlist_enabled": a.waitlist_enabled,
        "active": a.active,
        "period_scope": a.period_scope,
        "period_opening_rule": a.period_opening_rule,
        "period_opening_weeks": a.period_opening_weeks,
        "period_opening_fixed": a.period_opening_fixed,
        "day_starts_at": f"{a.day_starts_at:%H:%M}",
        "day_ends_at": f"{a.day_ends_at:%H:%M}",
        "caf_category": a.caf_category,
        "meal_cents": a.meal_cents,
    }


def _validated(data: ActivityInput) -> dict[str, object]:
    entry = kind_entry(data.kind)  # a kind without an entry is refused here, before anything is written
    kind, policy = entry.kind, entry.policy
    rule = data.period_opening_rule or policy.period_opening_rule
    weeks = (
        data.period_opening_weeks if data.period_opening_weeks is not None else policy.period_opening_weeks
    )
    if weeks is not None and not 0 <= weeks <= 52:
        raise ValidationError("L'ouverture d'une période se fait de 0 à 52 semaines avant son début.")
    fixed = _fixed_opening(data.period_opening_fixed)
    if rule is PeriodOpeningRule.FIXED_DATE and fixed is None:
        raise ValidationError("Une ouverture à date fixe demande cette date (jour/mois, ex. 06/05).")
    return {
        "kind": kind,
        "name": _check_text_name(data.name),
        "price_cents": _check_price(data.price),
        "default_capacity": _check_capacity(data.default_capacity),
        "wallet_kind": WalletKind(data.wallet_kind) if data.wallet_kind is not None else policy.wallet_kind,
        "waitlist_enabled": policy.waitlist_enabled
        if data.waitlist_enabled is None
        else bool(data.waitlist_enabled),
        "period_scope": PeriodScope(data.period_scope),
        "period_opening_rule": PeriodOpeningRule(rule),
        "period_opening_weeks": weeks,
        "period_opening_fixed": fixed,
    } | _day_values(data)


def _policy_of(data: ActivityInput) -> tuple[DeadlineRule, DeadlineRule, OpeningKind, int | None]:
    """The booking policy given in the form, the seed's for the kind where it says nothing; checked."""
    usual = policy_for(data.kind)
    booking = check_deadline(data.booking) if data.booking is not None else replace(usual.booking)
    cancel = check_deadline(data.cancel) if data.cancel is not None else replace(usual.cancel)
    opening_kind = OpeningKind(data.opening_kind) if data.opening_kind is not None else usual.opening_kind
    horizon = data.horizon_days if data.opening_kind is not None else usual.horizon_days
    _check_opening(opening_kind, horizon)
    return booking, cancel, opening_kind, horizon


def _apply_brackets(s: Session, a: Activity, parsed: list[tuple[int, int | None, int]]) -> None:
    a.brackets.clear()
    s.flush()  # the old brackets go before the new ones come (the same qf_min may come back)
    a.brackets = [PriceBracket(qf_min=lo, qf_max=hi, price_cents=p) for lo, hi, p in parsed]


def _full_snapshot(a: Activity) -> dict[str, object]:
    return _snapshot(a) | {
        "brackets": [(b.qf_min, b.qf_max, b.price_cents) for b in a.brackets],
        "booking": str(a.booking_deadline),
        "cancel": str(a.cancel_deadline),
        "opening": str(a.opening_kind),
        "horizon": a.horizon_days,
    }


@checked
def create_activity(db: Database, actor: Actor, data: ActivityInput) -> int:
    """A new activity with the seed's booking policy for its kind unless the form gives one. Returns its id."""
    policy = policy_for(data.kind)
    values = {
        "day_starts_at": policy.day_starts_at,
        "day_ends_at": policy.day_ends_at,
        "caf_category": policy.caf_category,
        "meal_cents": 0,
    } | _validated(data)
    brackets = check_brackets(data.brackets)
    booking, cancel, opening_kind, horizon = _policy_of(data)

    def work(s: Session) -> int:
        if s.get(Structure, data.structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {data.structure_id}).")
        activity = Activity(
            structure_id=data.structure_id,
            code=_code_for(s, data.structure_id, str(values["name"])),
            active=True,
            opening_kind=opening_kind,
            horizon_days=horizon,
            booking_deadline=booking,
            cancel_deadline=cancel,
            **values,
        )
        _check_day(activity)
        activity.brackets = [PriceBracket(qf_min=lo, qf_max=hi, price_cents=p) for lo, hi, p in brackets]
        s.add(activity)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.create",
            entity="activity",
            entity_id=activity.id,
            agent_id=actor.agent_id,
            structure_id=activity.structure_id,
            after=_full_snapshot(activity),
        )
        return activity.id

    return db.write(work, actor=actor, rule=rule("setup.activities.create_activity"), changed=(Shown.PLACES,))


@checked
def save_activity(db: Database, actor: Actor, activity_id: int, data: ActivityInput) -> None:
    """The activity form's "Enregistrer": every field, the brackets and the policy, in one transaction.

    The kind and the structure of an activity that has days cannot change, nor the wallet of one that has
    reservations (create a new activity instead)."""
    values = _validated(data)
    brackets = check_brackets(data.brackets)
    booking, cancel, opening_kind, horizon = _policy_of(data)

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        before = _full_snapshot(a)
        has_days = s.scalar(
            select(func.count()).select_from(ActivityDay).where(ActivityDay.activity_id == a.id)
        )
        if has_days and (values["kind"] != a.kind or data.structure_id != a.structure_id):
            raise ValidationError(
                "Le genre et la structure d'une activité qui a des journées ne peuvent pas changer : "
                "créez une nouvelle activité."
            )
        if values["wallet_kind"] != a.wallet_kind and _has_reservations(s, a.id):
            raise ValidationError(WALLET_LOCKED)
        if s.get(Structure, data.structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {data.structure_id}).")
        for key, value in values.items():
            setattr(a, key, value)
        a.structure_id = data.structure_id
        a.booking_deadline, a.cancel_deadline = booking, cancel
        a.opening_kind, a.horizon_days = opening_kind, horizon
        _check_day(a)
        _apply_brackets(s, a, brackets)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.update",
            entity="activity",
            entity_id=a.id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before=before,
            after=_full_snapshot(a),
        )

    db.write(work, actor=actor, rule=rule("setup.activities.save_activity"), changed=(Shown.PLACES,))


@checked
def update_activity(
    db: Database,
    actor: Actor,
    activity_id: int,
    *,
    name: Annotated[str | None, Text(Activity.name)] = None,
    price: AmountText | None = None,
    default_capacity: int | None = None,
    waitlist_enabled: bool | None = None,
    wallet_kind: WalletKind | None = None,
    period_scope: PeriodScope | None = None,
    period_opening_rule: PeriodOpeningRule | None = None,
    period_opening_weeks: int | None = None,
    period_opening_fixed: Annotated[str | None, Text(max_len=10, label="date d'ouverture fixe")] = None,
) -> None:
    """Edit an activity (only what is given). Its wallet cannot change once it has reservations."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _check_text_name(name)
    if price is not None:
        changes["price_cents"] = _check_price(price)
    if default_capacity is not None:
        changes["default_capacity"] = _check_capacity(default_capacity)
    if waitlist_enabled is not None:
        changes["waitlist_enabled"] = bool(waitlist_enabled)
    if wallet_kind is not None:
        changes["wallet_kind"] = WalletKind(wallet_kind)
    if period_scope is not None:
        changes["period_scope"] = PeriodScope(period_scope)
    if period_opening_rule is not None:
        changes["period_opening_rule"] = PeriodOpeningRule(period_opening_rule)
    if period_opening_weeks is not None:
        if not 0 <= period_opening_weeks <= 52:
            raise ValidationError("L'ouverture d'une période se fait de 0 à 52 semaines avant son début.")
        changes["period_opening_weeks"] = period_opening_weeks
    if period_opening_fixed is not None:
        changes["period_opening_fixed"] = _fixed_opening(period_opening_fixed)

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        before = _snapshot(a)
        if (
            "wallet_kind" in changes
            and changes["wallet_kind"] != a.wallet_kind
            and _has_reservations(s, a.id)
        ):
            raise ValidationError(WALLET_LOCKED)
        for key, value in changes.items():
            setattr(a, key, value)
        if a.period_opening_rule is PeriodOpeningRule.FIXED_DATE and not a.period_opening_fixed:
            raise ValidationError("Une ouverture à date fixe demande cette date (jour/mois, ex. 06/05).")
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.update",
            entity="activity",
            entity_id=a.id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before=before,
            after=_snapshot(a),
        )

    db.write(work, actor=actor, rule=rule("setup.activities.update_activity"), changed=(Shown.PLACES,))


@checked
def set_brackets(
    db: Database, actor: Actor, activity_id: int, brackets: list[tuple[int, int | None, str]]
) -> None:
    """Prices by quotient familial: [(qf_min, qf_max or None, price text)], contiguous and without overlap."""
    parsed = check_brackets(brackets)

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        before = [(b.qf_min, b.qf_max, b.price_cents) for b in a.brackets]
        _apply_brackets(s, a, parsed)
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.brackets",
            entity="activity",
            entity_id=a.id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before={"brackets": before},
            after={"brackets": parsed},
        )

    db.write(work, actor=actor, rule=rule("setup.activities.set_brackets"), changed=(Shown.PLACES,))


@checked
def set_booking_policy(
    db: Database,
    actor: Actor,
    activity_id: int,
    *,
    booking: DeadlineRule,
    cancel: DeadlineRule,
    opening_kind: OpeningKind,
    horizon_days: int | None,
) -> None:
    """The booking policy is data: changing it changes every rule outcome from now on."""
    booking, cancel = check_deadline(booking), check_deadline(cancel)
    opening_kind = OpeningKind(opening_kind)
    _check_opening(opening_kind, horizon_days)

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        before = {
            "booking": a.booking_deadline,
            "cancel": a.cancel_deadline,
            "opening": a.opening_kind,
            "horizon": a.horizon_days,
        }
        a.booking_deadline, a.cancel_deadline = booking, cancel
        a.opening_kind, a.horizon_days = opening_kind, horizon_days
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.policy",
            entity="activity",
            entity_id=a.id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before={k: str(v) for k, v in before.items()},
            after={
                "booking": str(booking),
                "cancel": str(cancel),
                "opening": str(opening_kind),
                "horizon": horizon_days,
            },
        )

    db.write(work, actor=actor, rule=rule("setup.activities.set_booking_policy"), changed=(Shown.PLACES,))


@checked
def set_archived(db: Database, actor: Actor, activity_id: int, archived: bool) -> None:
    """Archive an activity (no longer offered at the counter; history kept) or bring it back."""

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        if a.active == (not archived):
            return
        a.active = not archived
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.archive" if archived else "activity.restore",
            entity="activity",
            entity_id=a.id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before={"active": archived},
            after={"active": not archived},
        )

    db.write(work, actor=actor, rule=rule("setup.activities.set_archived"), changed=(Shown.PLACES,))


@checked
def delete_activity(db: Database, actor: Actor, activity_id: int) -> None:
    """Delete an activity created by mistake: refused once anything was booked on it (archive it instead)."""

    def work(s: Session) -> None:
        a = _get(s, activity_id)
        if _has_reservations(s, a.id):
            raise ValidationError(
                f"L'activité « {a.name} » a des réservations : elle ne peut pas être supprimée, "
                "archivez-la (elle ne sera plus proposée, son historique est conservé)."
            )
        before = _snapshot(a)
        s.execute(delete(ActivityDay).where(ActivityDay.activity_id == a.id))
        s.execute(delete(Period).where(Period.activity_id == a.id))
        s.delete(a)
        audit.record(
            s,
            at=db.clock.now(),
            action="activity.delete",
            entity="activity",
            entity_id=activity_id,
            agent_id=actor.agent_id,
            structure_id=a.structure_id,
            before=before,
        )

    db.write(work, actor=actor, rule=rule("setup.activities.delete_activity"), changed=(Shown.PLACES,))


@dataclass(frozen=True)
class ActivityDetail:
    id: int
    name: str
    structure_id: int
    structure: str
    kind: ActivityKind
    active: bool
    price_cents: int
    default_capacity: int
    waitlist_enabled: bool
    wallet: WalletKind
    opening_kind: OpeningKind
    horizon_days: int | None
    booking: DeadlineRule
    cancel: DeadlineRule
    brackets: list[tuple[int, int | None, int]]
    period_scope: PeriodScope
    period_opening_rule: PeriodOpeningRule
    period_opening_weeks: int | None
    period_opening_fixed: str | None
    days: int
    booked: bool
    day_starts_at: time = time(7, 30)
    day_ends_at: time = time(18, 30)
    caf_category: CafCategory = CafCategory.EXTRASCOLAIRE
    meal_cents: int = 0


@checked
def activity_details(db: Database, *, include_archived: bool = True) -> list[ActivityDetail]:
    with db.reading() as uow:
        s = uow.session
        days = dict(
            s.execute(select(ActivityDay.activity_id, func.count()).group_by(ActivityDay.activity_id)).all()
        )
        booked = set(s.scalars(select(ActivityDay.activity_id).join(Reservation).distinct()))
        stmt = select(Activity).options(selectinload(Activity.brackets), selectinload(Activity.structure))
        if not include_archived:
            stmt = stmt.where(Activity.active.is_(True))
        return [
            ActivityDetail(
                a.id,
                a.name,
                a.structure_id,
                a.structure.name,
                a.kind,
                a.active,
                a.price_cents,
                a.default_capacity,
                a.waitlist_enabled,
                a.wallet_kind,
                a.opening_kind,
                a.horizon_days,
                a.booking_deadline,
                a.cancel_deadline,
                [(b.qf_min, b.qf_max, b.price_cents) for b in a.brackets],
                a.period_scope,
                a.period_opening_rule,
                a.period_opening_weeks,
                a.period_opening_fixed,
                days.get(a.id, 0),
                a.id in booked,
                a.day_starts_at,
                a.day_ends_at,
                a.caf_category,
                a.meal_cents,
            )
            for a in s.scalars(stmt.order_by(Activity.structure_id, Activity.name))
        ]
