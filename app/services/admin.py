"""Administration: structures, activities (prices, brackets, policy), periods, closing a day, aids catalogue,
information messages. Administrators only (closing a day: supervisors too); every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..clock import PARIS
from ..models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    AidKind,
    AidType,
    DeadlineRule,
    InfoMessage,
    LedgerKind,
    OpeningKind,
    Period,
    PeriodOpeningRule,
    PriceBracket,
    Reservation,
    ReservationStatus,
    Structure,
)
from . import audit, calendar, ledger
from .actors import Actor
from .errors import UnknownEntity, ValidationError
from .money import format_eur, parse_amount
from .notifications import queue_email
from .rules import long_date
from .uow import Database, with_retry


def _get(s, model, ident, label):
    row = s.get(model, ident)
    if row is None:
        raise UnknownEntity(f"{label} inconnu(e) (n° {ident}).")
    return row


def create_structure(db: Database, actor: Actor, code: str, name: str, **contact: str) -> int:
    actor.require_admin("créer une structure")
    if not code.strip() or not name.strip():
        raise ValidationError("Le code et le nom de la structure sont obligatoires.")

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            if s.scalar(select(Structure.id).where(Structure.code == code.strip())) is not None:
                raise ValidationError(f"Le code de structure « {code.strip()} » existe déjà.")
            structure = Structure(code=code.strip(), name=name.strip(), **contact)
            s.add(structure)
            s.flush()
            audit.record(s, at=db.clock.now(), action="structure.create", entity="structure", entity_id=structure.id,
                         agent_id=actor.agent_id, after={"code": structure.code, "name": structure.name})  # fmt: skip
            uow.commit()
            return structure.id

    return with_retry(work)


def update_activity(
    db: Database,
    actor: Actor,
    activity_id: int,
    *,
    name: str | None = None,
    price: str | None = None,
    default_capacity: int | None = None,
    waitlist_enabled: bool | None = None,
) -> None:
    actor.require_admin("modifier une activité")
    price_cents = parse_amount(price) if price is not None else None
    if price_cents is not None and price_cents < 0:
        raise ValidationError("Le prix d'une journée ne peut pas être négatif.")
    if default_capacity is not None and default_capacity < 0:
        raise ValidationError("La capacité par défaut ne peut pas être négative.")

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            a = _get(s, Activity, activity_id, "Activité")
            before = {"name": a.name, "price_cents": a.price_cents, "default_capacity": a.default_capacity,
                      "waitlist_enabled": a.waitlist_enabled}  # fmt: skip
            for key, value in (("name", name), ("price_cents", price_cents), ("default_capacity", default_capacity),
                               ("waitlist_enabled", waitlist_enabled)):  # fmt: skip
                if value is not None:
                    setattr(a, key, value.strip() if isinstance(value, str) else value)
            after = {k: getattr(a, k) for k in before}
            audit.record(s, at=db.clock.now(), action="activity.update", entity="activity", entity_id=a.id,
                         agent_id=actor.agent_id, structure_id=a.structure_id, before=before, after=after)  # fmt: skip
            uow.commit()

    with_retry(work)


def set_brackets(
    db: Database, actor: Actor, activity_id: int, brackets: list[tuple[int, int | None, str]]
) -> None:
    """Prices by quotient familial: [(qf_min, qf_max or None, price text)], contiguous and without overlap."""
    actor.require_admin("modifier les tranches de quotient familial")
    parsed = sorted((lo, hi, parse_amount(p)) for lo, hi, p in brackets)
    if any(price < 0 or lo < 0 for lo, _hi, price in parsed):
        raise ValidationError("Les tranches et les prix ne peuvent pas être négatifs.")
    for (lo, hi, _), nxt in zip(parsed, parsed[1:] + [None], strict=True):
        if hi is not None and hi < lo:
            raise ValidationError(f"Tranche invalide : {lo} – {hi}.")
        if nxt is not None and (hi is None or nxt[0] <= hi):
            raise ValidationError(f"Tranches qui se chevauchent : {lo}–{hi} et {nxt[0]}–{nxt[1]}.")

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            a = _get(s, Activity, activity_id, "Activité")
            before = [(b.qf_min, b.qf_max, b.price_cents) for b in a.brackets]
            a.brackets.clear()
            s.flush()  # the old brackets go before the new ones come (the same qf_min may come back)
            a.brackets = [PriceBracket(qf_min=lo, qf_max=hi, price_cents=p) for lo, hi, p in parsed]
            audit.record(s, at=db.clock.now(), action="activity.brackets", entity="activity", entity_id=a.id,
                         agent_id=actor.agent_id, structure_id=a.structure_id, before={"brackets": before},
                         after={"brackets": parsed})  # fmt: skip
            uow.commit()

    with_retry(work)


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
    actor.require_admin("modifier la politique de réservation")
    for rule in (booking, cancel):
        parts = [x.strip() for x in rule.skip_weekdays.split(",") if x.strip()]
        if any(len(x) != 1 or x not in "0123456" for x in parts) or len(set(parts)) >= 7:
            raise ValidationError(
                "Jours à ne pas décompter invalides (lundi = 0 … dimanche = 6, six au plus)."
            )
        if rule.kind.value == "counted_days" and (rule.days is None or rule.days < 0):
            raise ValidationError("Un délai en jours décomptés demande un nombre de jours positif.")
        if rule.kind.value == "last_weekday" and rule.weekday not in range(7):
            raise ValidationError(
                "Un délai « le dernier jour de la semaine » demande ce jour (lundi … dimanche)."
            )
    if opening_kind is OpeningKind.ROLLING and (horizon_days is None or horizon_days < 0):
        raise ValidationError("Une ouverture glissante demande un nombre de jours.")

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            a = _get(s, Activity, activity_id, "Activité")
            before = {"booking": a.booking_deadline, "cancel": a.cancel_deadline, "opening": a.opening_kind,
                      "horizon": a.horizon_days}  # fmt: skip
            a.booking_deadline, a.cancel_deadline = booking, cancel
            a.opening_kind, a.horizon_days = opening_kind, horizon_days
            audit.record(s, at=db.clock.now(), action="activity.policy", entity="activity", entity_id=a.id,
                         agent_id=actor.agent_id, structure_id=a.structure_id,
                         before={k: str(v) for k, v in before.items()},
                         after={"booking": str(booking), "cancel": str(cancel), "opening": str(opening_kind),
                                "horizon": horizon_days})  # fmt: skip
            uow.commit()

    with_retry(work)


def import_periods(
    db: Database, actor: Actor, activity_id: int, zone: str, school_year: str, weeks_before: int = 5
) -> list[int]:
    """Create the activity's periods from the school calendar of a zone and year (summer at a fixed 6 May)."""
    actor.require_admin("importer des périodes")

    def work() -> list[int]:
        with db.writing() as uow:
            s = uow.session
            a = _get(s, Activity, activity_id, "Activité")
            calendar.seed_school_holidays(s, zone, [school_year])
            existing = {p.start_date for p in a.periods}
            created = []
            for holiday in calendar.school_holidays(s, zone, school_year):
                if holiday.start_date in existing or holiday.name.startswith("Pont"):
                    continue
                if holiday.start_date.month in (6, 7):
                    period = calendar.add_period(s, a, holiday, PeriodOpeningRule.FIXED_DATE,
                                                 fixed=date(holiday.start_date.year, 5, 6))  # fmt: skip
                else:
                    period = calendar.add_period(
                        s, a, holiday, PeriodOpeningRule.WEEKS_BEFORE, weeks=weeks_before
                    )
                created.append(period.id)
            audit.record(s, at=db.clock.now(), action="period.import", entity="activity", entity_id=a.id,
                         agent_id=actor.agent_id, structure_id=a.structure_id,
                         after={"zone": zone, "school_year": school_year, "periods": created})  # fmt: skip
            uow.commit()
            return created

    return with_retry(work)


def set_opening_date(db: Database, actor: Actor, period_id: int, opening: date) -> None:
    actor.require_admin("modifier une date d'ouverture")

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            p = _get(s, Period, period_id, "Période")
            before = p.opening_date
            p.opening_date, p.opening_rule = opening, PeriodOpeningRule.FIXED_DATE
            audit.record(s, at=db.clock.now(), action="period.opening", entity="period", entity_id=p.id,
                         agent_id=actor.agent_id, before={"opening": before}, after={"opening": opening})  # fmt: skip
            uow.commit()

    with_retry(work)


@dataclass(frozen=True)
class ClosedDay:
    families: list[str]
    refunded_cents: int
    emails: int


def close_day(db: Database, actor: Actor, day_id: int, reason: str) -> ClosedDay:
    """Close an activity day: every live request is cancelled, charges refunded, families e-mailed."""
    actor.require_supervisor("fermer une journée")
    if not reason.strip():
        raise ValidationError("Le motif de fermeture est obligatoire (il est envoyé aux familles).")

    def work() -> ClosedDay:
        with db.writing() as uow:
            s = uow.session
            now = db.clock.now()
            day = s.scalar(select(ActivityDay).where(ActivityDay.id == day_id).with_for_update())
            if day is None:
                raise UnknownEntity(f"Journée inconnue (n° {day_id}).")
            if day.day < now.astimezone(PARIS).date():
                raise ValidationError(
                    f"La journée du {day.day:%d/%m/%Y} est passée : elle ne peut plus être fermée."
                )
            activity = day.activity
            families, refunded, emails = [], 0, 0
            batch = ledger.LedgerBatch(s)
            for res in s.scalars(select(Reservation).where(Reservation.activity_day_id == day.id,
                                                           Reservation.status.in_(LIVE_STATUSES))):  # fmt: skip
                family = res.child.family
                already_refunded = res.certificate_at is not None  # a medical certificate refunded it already
                accepted = res.status is ReservationStatus.ACCEPTED
                refund = res.price_cents if accepted and res.price_cents and not already_refunded else 0
                if refund:
                    batch.add(batch.wallet(family.id, activity.wallet_kind), kind=LedgerKind.REFUND,
                              amount_cents=res.price_cents, label=f"Journée fermée – {activity.name} – {day.day:%d/%m/%Y}",
                              at=now, structure_id=activity.structure_id, agent_id=actor.agent_id, reservation=res)  # fmt: skip
                    refunded += refund
                res.status, res.waitlist_position, res.cancelled_at, res.transmitted_at = (
                    ReservationStatus.CANCELLED, None, now, None)  # fmt: skip
                families.append(family.name)
                if queue_email(s, kind="day_closed", dedup_key=f"closed:{res.id}", family=family,
                               subject=f"Journée annulée – {activity.name} le {day.day:%d/%m/%Y}",
                               body=(f"Bonjour,\n\nLa journée du {long_date(day.day)} ({activity.name}) est fermée : "
                                     f"{reason.strip()}.\nLa réservation de {res.child.first_name} est annulée"
                                     + (f" et {format_eur(refund)} sont recrédités sur votre compte."
                                        if refund else ".")
                                     + "\n\nLe service enfance-jeunesse"), now=now):  # fmt: skip
                    emails += 1
            day.closed, day.closed_reason = True, reason.strip()
            s.flush()
            batch.apply()
            audit.record(s, at=now, action="activity_day.close", entity="activity_day", entity_id=day.id,
                         agent_id=actor.agent_id, structure_id=activity.structure_id,
                         after={"families": families, "refunded_cents": refunded}, reason=reason.strip())  # fmt: skip
            uow.commit()
            return ClosedDay(sorted(set(families)), refunded, emails)

    return with_retry(work)


def create_aid_type(db: Database, actor: Actor, kind: AidKind, name: str) -> int:
    actor.require_admin("ajouter une aide au catalogue")
    if not name.strip():
        raise ValidationError("Le nom de l'aide est obligatoire.")

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            aid = AidType(kind=AidKind(kind), name=name.strip())
            s.add(aid)
            s.flush()
            audit.record(s, at=db.clock.now(), action="aid_type.create", entity="aid_type", entity_id=aid.id,
                         agent_id=actor.agent_id, after={"kind": aid.kind, "name": aid.name})  # fmt: skip
            uow.commit()
            return aid.id

    return with_retry(work)


@dataclass(frozen=True)
class MessageRow:
    id: int
    title: str
    body: str
    valid_from: date
    valid_to: date | None


def save_message(db: Database, actor: Actor, structure_id: int, title: str, body: str, valid_from: date,
                 valid_to: date | None = None, message_id: int | None = None) -> int:  # fmt: skip
    actor.require_admin("publier un message")
    if not title.strip() or not body.strip():
        raise ValidationError("Le titre et le texte du message sont obligatoires.")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("La fin d'affichage précède le début.")

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            msg = InfoMessage(structure_id=structure_id, created_at=db.clock.now()) if message_id is None else _get(
                s, InfoMessage, message_id, "Message")  # fmt: skip
            before = None if message_id is None else {"title": msg.title, "body": msg.body}
            msg.title, msg.body, msg.valid_from, msg.valid_to = (
                title.strip(),
                body.strip(),
                valid_from,
                valid_to,
            )
            s.add(msg)
            s.flush()
            audit.record(s, at=db.clock.now(), action="message.save", entity="info_message", entity_id=msg.id,
                         agent_id=actor.agent_id, structure_id=structure_id, before=before,
                         after={"title": msg.title, "body": msg.body})  # fmt: skip
            uow.commit()
            return msg.id

    return with_retry(work)


def current_messages(db: Database, structure_id: int, today: date) -> list[MessageRow]:
    """The structure's messages to show on the home screen today."""
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(InfoMessage)
            .where(InfoMessage.structure_id == structure_id, InfoMessage.valid_from <= today)
            .where((InfoMessage.valid_to.is_(None)) | (InfoMessage.valid_to >= today))
            .order_by(InfoMessage.valid_from.desc())
        )
        return [MessageRow(m.id, m.title, m.body, m.valid_from, m.valid_to) for m in rows]
