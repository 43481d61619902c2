"""What the counter shows for one family: contacts, children, balances, alerts and reservations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...clock import local_today
from ...models import Activity, ActivityDay, Child, Family, Reservation, ReservationStatus, Wallet, WalletKind
from ...text import format_eur, short_date
from ..bounds import checked
from ..errors import UnknownEntity
from ..uow import Database

WALLET_LABELS = {WalletKind.ALAE: "ALAE", WalletKind.ALSH: "ALSH", WalletKind.CANTINE: "Cantine"}


@dataclass(frozen=True)
class AdultRow:
    first_name: str
    last_name: str
    relationship: str
    phone: str
    email: str


@dataclass(frozen=True)
class ChildRow:
    id: int
    first_name: str
    last_name: str
    birth_date: date
    school_level: str
    notes: str
    age: int


@dataclass(frozen=True)
class WalletRow:
    kind: WalletKind
    label: str
    balance_cents: int


@dataclass(frozen=True)
class FamilySummary:
    id: int
    name: str
    email: str
    phone: str
    address: str
    postal_code: str
    city: str
    quotient_familial: int | None
    adults: list[AdultRow]
    children: list[ChildRow]
    wallets: list[WalletRow]
    alerts: list[str]

    @property
    def balance_cents(self) -> int:
        return sum(w.balance_cents for w in self.wallets)

    @property
    def in_debit(self) -> bool:
        return self.balance_cents < 0


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@checked
def family_summary(db: Database, family_id: int) -> FamilySummary:
    with db.reading() as uow:
        s = uow.session
        today = local_today(db.clock)
        family = s.get(
            Family, family_id, options=[selectinload(Family.adults), selectinload(Family.children)]
        )
        if family is None or family.anonymized_at is not None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        wallets = {
            w.kind: w.balance_cents for w in s.scalars(select(Wallet).where(Wallet.family_id == family_id))
        }
        wallet_rows = [WalletRow(k, WALLET_LABELS[k], wallets.get(k, 0)) for k in WalletKind]
        waiting = s.execute(
            select(Child.first_name, Activity.name, ActivityDay.day, Reservation.waitlist_position)
            .join(Reservation.child)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(
                Child.family_id == family_id,
                Reservation.status == ReservationStatus.WAITLISTED,
                ActivityDay.day >= today,
            )
            .order_by(ActivityDay.day)
        ).all()
        alerts = []
        total = sum(wallets.values())
        if total < 0:
            alerts.append(
                f"Compte débiteur ({format_eur(total)}) : aucune réservation possible avant un règlement."
            )
        for first_name, activity_name, day, rank in waiting:
            alerts.append(
                f"{first_name} en liste d'attente rang {rank} – {activity_name} le {short_date(day)}"
            )
        return FamilySummary(
            id=family.id,
            name=family.name,
            email=family.email or "",
            phone=family.phone or "",
            address=family.address,
            postal_code=family.postal_code,
            city=family.city,
            quotient_familial=family.quotient_familial,
            adults=[
                AdultRow(a.first_name, a.last_name, a.relationship_label, a.phone or "", a.email or "")
                for a in family.adults
            ],
            children=[
                ChildRow(
                    c.id,
                    c.first_name,
                    c.last_name,
                    c.birth_date,
                    c.school_level,
                    c.notes,
                    _age(c.birth_date, today),
                )
                for c in family.children
            ],
            wallets=wallet_rows,
            alerts=alerts,
        )


@dataclass(frozen=True)
class ReservationRow:
    id: int
    child_name: str
    activity_name: str
    day: date
    state: str
    """Acceptée / En liste d'attente rang n / Refusée : motif / Annulée."""
    transmission: str
    """Non transmise / Transmise."""
    price_cents: int | None
    requested_at: datetime
    status: ReservationStatus


def state_label(res: Reservation) -> str:
    if res.status is ReservationStatus.ACCEPTED:
        return "Acceptée"
    if res.status is ReservationStatus.WAITLISTED:
        return f"En liste d'attente rang {res.waitlist_position}"
    if res.status is ReservationStatus.REFUSED:
        return f"Refusée : {res.refusal_reason}"
    return "Annulée"


@checked
def reservation_rows(db: Database, family_id: int, since: date | None = None) -> list[ReservationRow]:
    """The family's reservations from ``since`` (default: 60 days ago) onwards, never the whole history."""
    with db.reading() as uow:
        s = uow.session
        since = since or local_today(db.clock) - timedelta(days=60)
        rows = s.execute(
            select(Reservation, Child.first_name, Activity.name, ActivityDay.day)
            .join(Reservation.child)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(Child.family_id == family_id, ActivityDay.day >= since)
            .order_by(ActivityDay.day, Child.first_name, Reservation.requested_at)
        ).all()
        return [
            ReservationRow(
                id=res.id,
                child_name=first_name,
                activity_name=activity_name,
                day=day,
                state=state_label(res),
                transmission="Transmise" if res.transmitted_at else "Non transmise",
                price_cents=res.price_cents,
                requested_at=res.requested_at,
                status=res.status,
            )
            for res, first_name, activity_name, day in rows
        ]
