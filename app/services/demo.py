"""A realistic demonstration database for a small town in school zone C (``python -m app demo``).

Deterministic (seeded): the same ``today`` gives the same data. Reservations exist in every state relative
to ``today``: past ones transmitted with attendance, today's not yet transmitted, a full ALSH day with a
waitlist, a full ALAE Wednesday (no waitlist) with refused requests, cancellations with their refunds.
"""

from __future__ import annotations

import contextlib
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..clock import PARIS, paris
from ..models import (
    Activity,
    ActivityDay,
    ActivityKind,
    Adult,
    Agent,
    AidKind,
    AidType,
    Attendance,
    Base,
    Child,
    DeadlineKind,
    Family,
    FamilyAid,
    InfoMessage,
    LedgerEntry,
    LedgerKind,
    OpeningKind,
    Payment,
    PaymentMethod,
    PeriodOpeningRule,
    ReceiptCounter,
    Reservation,
    ReservationStatus,
    Role,
    Structure,
    Wallet,
    WalletKind,
)
from . import audit, calendar
from .errors import DatabaseNotEmpty, ValidationError
from .families import refresh_search_text
from .pricing import day_price
from .security import hash_password
from .uow import Database

ZONE = "C"
DEMO_PASSWORD = "demo"
SUNDAY = 6

# Surnames that a French counter really meets: accents, hyphens, apostrophes.
SURNAMES = [
    "Dupont-Lefèvre", "Lefèvre", "Dupuis", "N'Diaye", "D'Almeida", "Éluard", "Bénard", "Gréau",
    "Castaño", "Lemaître", "Perrin-Giraud", "Faure", "L'Hôte", "Noël", "Mégret", "Hébert",
    "Da Silva", "Ould-Ahmed", "Lefébure", "Lacôte", "Saint-Hilaire", "Garnier", "Roussel", "Béranger",
]  # fmt: skip
CHILD_NAMES = [
    "Léa", "Louise", "Jade", "Emma", "Chloé", "Inès", "Zoé", "Lina", "Manon", "Camille", "Anaïs", "Maëlys",
    "Noémie", "Élise", "Rose", "Ambre", "Lou", "Mia", "Juliette", "Agathe", "Héloïse", "Anaëlle", "Gabriel",
    "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Noah", "Adam", "Hugo", "Maël", "Éthan", "Timéo", "Nathan",
    "Sacha", "Théo", "Lucas", "Mathéo", "Enzo", "Aaron", "Noé", "Yanis", "Ibrahim", "Clément", "Marius",
]  # fmt: skip
LEVELS = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2", 11: "CM2"}


@dataclass
class DemoSummary:
    today: date
    school_year: str
    structures: int = 0
    agents: int = 0
    families: int = 0
    children: int = 0
    activities: int = 0
    activity_days: int = 0
    payments: int = 0
    reservations: Counter[str] = field(default_factory=Counter)
    balances: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.reservations.items()))
        bal = ", ".join(f"{k} {v}" for k, v in sorted(self.balances.items()))
        return [
            f"Démonstration créée pour le {self.today:%d/%m/%Y} (année scolaire {self.school_year}, zone {ZONE}).",
            f"{self.structures} structures, {self.agents} agents (mot de passe « {DEMO_PASSWORD} »), "
            f"{self.families} familles, {self.children} enfants.",
            f"{self.activities} activités, {self.activity_days} journées, {self.payments} règlements.",
            f"Réservations : {states}.",
            f"Soldes des familles : {bal}.",
        ]


def _ascii(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c) and c.isalnum()
    ).lower()


def database_contents(session: Session) -> str | None:
    """A short French description of what the database holds, or None when it is empty."""
    for model, label in ((Structure, "structures"), (Agent, "agents"), (Family, "familles")):
        n = session.scalar(select(func.count()).select_from(model))
        if n:
            return f"{n} {label}"
    return None


def wipe(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def demo_school_year(today: date) -> str:
    """The school year whose activities are still ahead (the next one once the summer centre is over)."""
    year = calendar.school_year_of(today)
    if today >= date(int(year[:4]) + 1, 8, 1):
        first = int(year[:4]) + 1
        year = f"{first}-{first + 1}"
    return year


def load_demo(db: Database, today: date, *, force: bool = False, seed: int = 2026) -> DemoSummary:
    with db.writing() as uow:
        s = uow.session
        held = database_contents(s)
        if held and not force:
            raise DatabaseNotEmpty(held)
        if held:
            wipe(s)
        summary = _Builder(s, today, seed).build()
        uow.commit()
    return summary


class _Builder:
    def __init__(self, session: Session, today: date, seed: int) -> None:
        self.s = session
        self.today = today
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.school_year = demo_school_year(today)
        self.now = paris(today, time(9, 30))
        self.summary = DemoSummary(today, self.school_year)
        self.wallets: dict[tuple[int, WalletKind], Wallet] = {}
        self.balances: defaultdict[int, int] = defaultdict(int)

    # --- reference data -------------------------------------------------------------------------
    def build(self) -> DemoSummary:
        first = int(self.school_year[:4])
        self._calendars(first)
        alae_structure, alsh_structure = self._structures()
        agents = self._agents([alae_structure, alsh_structure])
        alae, petites, ete = self._activities(alae_structure, alsh_structure)
        aid_types = self._aid_types()
        families = [self._family(i, aid_types) for i in range(40)]
        self.s.flush()
        self._reservations(families, alae, [petites, ete], agents)
        self._payments(families, {WalletKind.ALAE: alae_structure, WalletKind.ALSH: alsh_structure}, agents)
        self._messages(alae_structure, alsh_structure)
        audit.record(
            self.s,
            at=self.now,
            action="demo.load",
            entity="database",
            after={"today": self.today, "school_year": self.school_year, "families": len(families)},
        )
        self.s.flush()
        self._count(families)
        return self.summary

    def _calendars(self, first: int) -> None:
        years = [f"{first - 1}-{first}", self.school_year]
        calendar.seed_school_holidays(self.s, ZONE, years)
        with contextlib.suppress(ValidationError):  # the package may not know that far ahead yet
            calendar.seed_school_holidays(self.s, ZONE, [f"{first + 1}-{first + 2}"])
        calendar.seed_public_holidays(self.s, range(first - 1, first + 3))

    def _structures(self) -> tuple[Structure, Structure]:
        common = {
            "address": "Place de la Mairie",
            "postal_code": "82700",
            "city": "Montech",
            "phone": "05 63 64 82 44",
            "email": "enfance-jeunesse@example.org",
            "school_zone": ZONE,
        }
        alae = Structure(code="ALAE-MONTECH", name="ALAE Montech", **common)
        alsh = Structure(code="ALSH-MONTECH", name="ALSH Montech", **common)
        self.s.add_all([alae, alsh])
        self.s.flush()
        return alae, alsh

    def _agents(self, structures: list[Structure]) -> list[Agent]:
        password = hash_password(DEMO_PASSWORD)
        people = [
            ("admin", "Nathalie Roques", Role.ADMIN),
            ("mdurand", "Michel Durand", Role.SUPERVISOR),
            ("smartin", "Sophie Martin", Role.AGENT),
            ("kbenali", "Karim Benali", Role.AGENT),
        ]
        agents = [
            Agent(
                login=login,
                full_name=name,
                role=role,
                password_hash=password,
                created_at=self.now - timedelta(days=400),
                structures=list(structures),
            )
            for login, name, role in people
        ]
        self.s.add_all(agents)
        self.s.flush()
        return agents

    def _activities(self, alae_structure: Structure, alsh_structure: Structure):
        wed = {
            "kind": DeadlineKind.LAST_WEEKDAY,
            "days": None,
            "skip_weekdays": "",
            "skip_public_holidays": False,
            "weekday": SUNDAY,
            "at": time(23, 59),
        }
        alae = Activity(
            structure_id=alae_structure.id,
            code="ALAE-MER",
            name="ALAE Mercredi après-midi",
            kind=ActivityKind.ALAE_WEDNESDAY,
            wallet_kind=WalletKind.ALAE,
            price_cents=650,
            default_capacity=30,
            waitlist_enabled=False,
            opening_kind=OpeningKind.ROLLING,
            horizon_days=90,
            **_deadline_kwargs("book_deadline", wed),
            **_deadline_kwargs("cancel_deadline", wed),
        )
        alsh_common = {
            "structure_id": alsh_structure.id,
            "kind": ActivityKind.ALSH_HOLIDAYS,
            "wallet_kind": WalletKind.ALSH,
            "price_cents": 1300,
            "waitlist_enabled": True,
            "opening_kind": OpeningKind.PERIOD,
            **_deadline_kwargs(
                "book_deadline",
                {
                    "kind": DeadlineKind.COUNTED_DAYS,
                    "days": 2,
                    "skip_weekdays": "4,5",
                    "skip_public_holidays": False,
                    "weekday": None,
                    "at": time(23, 59),
                },
            ),
            **_deadline_kwargs(
                "cancel_deadline",
                {
                    "kind": DeadlineKind.COUNTED_DAYS,
                    "days": 15,
                    "skip_weekdays": "",
                    "skip_public_holidays": False,
                    "weekday": None,
                    "at": time(23, 59),
                },
            ),
        }
        petites = Activity(code="CLSH-PV", name="CLSH Petites vacances", default_capacity=24, **alsh_common)
        ete = Activity(code="CLSH-ETE", name="CLSH Vacances d'été", default_capacity=40, **alsh_common)
        self.s.add_all([alae, petites, ete])
        self.s.flush()
        calendar.add_alae_days(self.s, alae, ZONE, self.school_year)
        for holiday in calendar.school_holidays(self.s, ZONE, self.school_year):
            if holiday.name.startswith("Pont"):
                continue
            if holiday.start_date.month in (6, 7):
                opening = date(holiday.start_date.year, 5, 6)
                calendar.add_period(self.s, ete, holiday, PeriodOpeningRule.FIXED_DATE, fixed=opening)
            elif "Noël" in holiday.name or "printemps" in holiday.name:
                calendar.add_period(self.s, petites, holiday, PeriodOpeningRule.WEEKS_BEFORE, weeks=5)
            else:
                calendar.add_period(self.s, petites, holiday, PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS)
        self.summary.activities = 3
        return alae, petites, ete

    def _aid_types(self) -> dict[AidKind, AidType]:
        types = {
            AidKind.CAF: AidType(kind=AidKind.CAF, name="CAF – Aide au temps libre"),
            AidKind.MSA: AidType(kind=AidKind.MSA, name="MSA – Pass accueil"),
            AidKind.EMPLOYER: AidType(kind=AidKind.EMPLOYER, name="Aide CE Airbus"),
        }
        self.s.add_all(types.values())
        self.s.flush()
        return types

    # --- families ---------------------------------------------------------------------------------
    def _family(self, i: int, aid_types: dict[AidKind, AidType]) -> Family:
        rng, fake = self.rng, self.fake
        surname = SURNAMES[i] if i < len(SURNAMES) else fake.last_name()
        mother = rng.random() < 0.7
        first_parent = fake.first_name_female() if mother else fake.first_name_male()
        family = Family(
            name=surname.upper(),
            email=None,
            phone=self._phone(),
            address=fake.street_address(),
            postal_code="82700",
            city="Montech",
            quotient_familial=rng.choice([None, rng.randint(350, 2200), rng.randint(350, 2200)]),
            created_at=self.now - timedelta(days=rng.randint(30, 1500)),
        )
        if rng.random() < 0.85:
            family.email = f"{_ascii(first_parent)}.{_ascii(surname)}@{fake.safe_domain_name()}"
        if rng.random() < 0.6:
            family.portal_login = f"{_ascii(surname)[:12]}{i + 1:03d}"
            family.portal_password_hash = hash_password(f"portail-{i}") if i < 3 else None
        family.adults.append(
            Adult(
                first_name=first_parent,
                last_name=surname,
                relationship_label="mère" if mother else "père",
                phone=family.phone,
                email=family.email,
            )
        )
        if rng.random() < 0.6:
            family.adults.append(
                Adult(
                    first_name=fake.first_name_male() if mother else fake.first_name_female(),
                    last_name=surname if rng.random() < 0.7 else fake.last_name(),
                    relationship_label="père" if mother else "mère",
                    phone=self._phone(),
                    email=None,
                )
            )
        n_children = rng.choices([1, 2, 3, 4], weights=[35, 40, 20, 5])[0]
        for _ in range(n_children):
            age = rng.randint(3, 11)
            born = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            family.children.append(
                Child(
                    first_name=rng.choice(CHILD_NAMES),
                    last_name=surname,
                    birth_date=born,
                    school_level=LEVELS[age],
                    notes=rng.choice(
                        ["", "", "", "Allergie aux arachides", "PAI asthme", "Ne mange pas de porc"]
                    ),
                )
            )
        refresh_search_text(family)
        self.s.add(family)
        self.s.flush()
        for kind in WalletKind:
            wallet = Wallet(family_id=family.id, kind=kind, balance_cents=0)
            self.s.add(wallet)
            self.wallets[(family.id, kind)] = wallet
        self._aids(family, i, aid_types)
        self.s.flush()
        return family

    def _phone(self) -> str:
        first = self.rng.choice(["05 63", "05 63", "06", "07", "05 61"])
        digits = [f"{self.rng.randint(0, 99):02d}" for _ in range(4 if first in ("06", "07") else 3)]
        return " ".join([first, *digits])

    def _aids(self, family: Family, i: int, aid_types: dict[AidKind, AidType]) -> None:
        first = int(self.school_year[:4])
        year_start, year_end = date(first, 9, 1), date(first + 1, 8, 31)
        if i % 5 == 1:
            self.s.add(
                FamilyAid(
                    family_id=family.id,
                    aid_type_id=aid_types[AidKind.CAF].id,
                    wallet_kind=WalletKind.ALSH,
                    amount_cents=400,
                    valid_from=date(first + 1, 1, 1) if i == 1 else year_start,
                    valid_to=year_end,
                )
            )
            if i == 1:  # last year's aid, expired
                self.s.add(
                    FamilyAid(
                        family_id=family.id,
                        aid_type_id=aid_types[AidKind.CAF].id,
                        wallet_kind=WalletKind.ALSH,
                        amount_cents=400,
                        valid_from=date(first - 1, 9, 1),
                        valid_to=date(first, 8, 31),
                    )
                )
        elif i % 11 == 3:
            self.s.add(
                FamilyAid(
                    family_id=family.id,
                    aid_type_id=aid_types[AidKind.MSA].id,
                    wallet_kind=WalletKind.ALSH,
                    amount_cents=300,
                    valid_from=year_start,
                    valid_to=year_end,
                )
            )
        elif i % 13 == 7:
            for kind in (WalletKind.ALSH, WalletKind.ALAE):
                self.s.add(
                    FamilyAid(
                        family_id=family.id,
                        aid_type_id=aid_types[AidKind.EMPLOYER].id,
                        wallet_kind=kind,
                        amount_cents=250,
                        valid_from=year_start,
                        valid_to=year_end,
                    )
                )

    # --- reservations ---------------------------------------------------------------------------
    def _reservations(
        self, families: list[Family], alae: Activity, alsh: list[Activity], agents: list[Agent]
    ) -> None:
        rng = self.rng
        counter_agents = [a for a in agents if a.role is not Role.ADMIN]
        children = [(f, c) for f in families for c in f.children]
        days = {
            a.id: list(
                self.s.scalars(
                    select(ActivityDay).where(ActivityDay.activity_id == a.id).order_by(ActivityDay.day)
                )
            )
            for a in [alae, *alsh]
        }
        alae_kids = [fc for fc in children if rng.random() < 0.55]
        for day in days[alae.id]:
            if day.day >= self.today + timedelta(days=40):
                break
            for family, child in alae_kids:
                if rng.random() < 0.55:
                    self._book(family, child, alae, day, counter_agents)
        # ALSH: each period, about a third of the children, a few days each.
        for activity in alsh:
            by_period: defaultdict[int, list[ActivityDay]] = defaultdict(list)
            for d in days[activity.id]:
                by_period[d.period_id or 0].append(d)
            for period_days in by_period.values():
                period = period_days[0].period
                if period is None or period.opening_date > self.today:
                    continue
                for family, child in children:
                    if rng.random() < 0.3:
                        for day in rng.sample(period_days, k=min(len(period_days), rng.randint(1, 5))):
                            self._book(family, child, activity, day, counter_agents)
        self.s.flush()
        self._full_days(children, alae, alsh[0], days, counter_agents)

    def _full_days(self, children, alae: Activity, petites: Activity, days, agents) -> None:
        """Fill one upcoming ALSH day (with a waitlist) and one upcoming Wednesday (refusals); nearly fill two."""
        upcoming_alsh = [
            d for d in days[petites.id] if d.day > self.today and d.period.opening_date <= self.today
        ]
        upcoming_alae = [d for d in days[alae.id] if self.today + timedelta(days=7) < d.day]
        plans = []
        if upcoming_alsh:
            plans.append((petites, upcoming_alsh[min(1, len(upcoming_alsh) - 1)], 0, 3))
            for extra, missing in ((upcoming_alsh[2:3], 1), (upcoming_alsh[3:4], 2)):
                plans += [(petites, d, missing, 0) for d in extra]
        if upcoming_alae:
            plans.append((alae, upcoming_alae[0], 0, 2))
        for activity, day, left, overflow in plans:
            taken = {
                r.child_id
                for r in self.s.scalars(
                    select(Reservation).where(
                        Reservation.activity_day_id == day.id,
                        Reservation.status == ReservationStatus.ACCEPTED,
                    )
                )
            }
            candidates = [fc for fc in children if fc[1].id not in taken]
            self.rng.shuffle(candidates)
            need = day.capacity - left - len(taken)
            for family, child in candidates[:need]:
                self._book(family, child, activity, day, agents, allow_cancel=False, margin=0)
            for rank, (_family, child) in enumerate(candidates[need : need + overflow], start=1):
                requested = self.now - timedelta(hours=rank)
                if activity.waitlist_enabled:
                    self._reservation(
                        child, day, ReservationStatus.WAITLISTED, requested, agents, position=rank
                    )
                else:
                    self._reservation(
                        child,
                        day,
                        ReservationStatus.REFUSED,
                        requested,
                        agents,
                        reason="Complet : plus de place disponible ce jour-là",
                    )
        self.s.flush()

    def _request_time(self, activity: Activity, day: ActivityDay) -> datetime:
        """When the family asked: between the day's opening and its booking deadline, never after now."""
        if day.period is not None:
            opened = day.period.opening_date
        else:
            opened = day.day - timedelta(days=activity.horizon_days or 90)
        latest = min(day.day - timedelta(days=8), self.today)
        span = max(0, (latest - opened).days)
        asked = opened + timedelta(days=self.rng.randint(0, span))
        if asked >= self.today or (day.day > self.today and self.rng.random() < 0.12):
            return self.now - timedelta(minutes=self.rng.randint(5, 80))
        return paris(asked, time(self.rng.randint(8, 18), self.rng.choice([0, 15, 30, 45])))

    def _book(
        self, family, child, activity, day, agents, *, allow_cancel: bool = True, margin: int = 3
    ) -> None:
        if day.day > self.today + timedelta(days=activity.horizon_days or 400):
            return
        if day.period is not None and day.period.opening_date > self.today:
            return
        accepted = self.s.scalar(
            select(func.count()).where(
                Reservation.activity_day_id == day.id, Reservation.status == ReservationStatus.ACCEPTED
            )
        )
        if accepted >= day.capacity - margin or self.s.scalar(
            select(Reservation.id).where(
                Reservation.child_id == child.id,
                Reservation.activity_day_id == day.id,
                Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
            )
        ):
            return
        requested = self._request_time(activity, day)
        price = day_price(activity, day.day, family.quotient_familial, family.aids).cents
        res = self._reservation(child, day, ReservationStatus.ACCEPTED, requested, agents, price=price)
        wallet = self.wallets[(family.id, activity.wallet_kind)]
        label = f"{activity.name} – {child.first_name} – {day.day:%d/%m/%Y}"
        if price:
            self._entry(wallet, LedgerKind.CHARGE, -price, label, requested, activity.structure_id, res)
        if allow_cancel and day.day > self.today + timedelta(days=20) and self.rng.random() < 0.06:
            cancelled = min(requested + timedelta(days=2), self.now - timedelta(minutes=30))
            res.status = ReservationStatus.CANCELLED
            res.cancelled_at = cancelled
            if price:
                self._entry(
                    wallet,
                    LedgerKind.REFUND,
                    price,
                    "Annulation – " + label,
                    cancelled,
                    activity.structure_id,
                    res,
                )
        elif day.day < self.today:
            absent = self.rng.random() < 0.07
            res.attendance = Attendance.ABSENT if absent else Attendance.PRESENT
            if absent and self.rng.random() < 0.4:
                res.certificate_at = paris(day.day + timedelta(days=1), time(10, 0))
                if price:
                    self._entry(
                        wallet,
                        LedgerKind.REFUND,
                        price,
                        "Certificat médical – " + label,
                        res.certificate_at,
                        activity.structure_id,
                        res,
                    )

    def _reservation(self, child, day, status, requested, agents, *, price=None, position=None, reason=None):
        transmitted = None
        if requested.astimezone(PARIS).date() < self.today:
            transmitted = paris(requested.astimezone(PARIS).date(), time(23, 30))
        res = Reservation(
            child_id=child.id,
            activity_day_id=day.id,
            status=status,
            requested_at=requested,
            decided_at=requested,
            waitlist_position=position,
            refusal_reason=reason,
            price_cents=price,
            transmitted_at=transmitted,
            agent_id=self.rng.choice(agents).id if self.rng.random() < 0.5 else None,
        )
        self.s.add(res)
        self.s.flush()
        return res

    def _entry(self, wallet, kind, amount, label, at, structure_id, res=None, payment=None) -> None:
        self.s.add(
            LedgerEntry(
                wallet_id=wallet.id,
                kind=kind,
                amount_cents=amount,
                label=label,
                created_at=at,
                business_date=at.astimezone(PARIS).date(),
                structure_id=structure_id,
                reservation_id=res.id if res is not None else None,
                payment_id=payment.id if payment is not None else None,
            )
        )
        wallet.balance_cents += amount

    # --- payments -------------------------------------------------------------------------------
    def _payments(self, families: list[Family], structures: dict[WalletKind, Structure], agents) -> None:
        """Payments so that balances end positive (most), zero or in debit, with gapless receipts."""
        rng = self.rng
        counter_agents = [a for a in agents if a.role is not Role.ADMIN]
        planned: list[tuple[datetime, Family, Wallet, int]] = []
        for i, family in enumerate(families):
            profile = "debit" if i % 6 == 2 else "zero" if i % 6 == 4 else "credit"
            for kind in (WalletKind.ALAE, WalletKind.ALSH):
                wallet = self.wallets[(family.id, kind)]
                spent = -wallet.balance_cents
                target = {
                    "credit": rng.choice([0, 650, 1300, 2000, 3900, 6500]),
                    "zero": 0,
                    "debit": -min(spent, rng.choice([650, 1300, 1950])) if kind is WalletKind.ALAE else 0,
                }[profile]
                amount = target + spent
                parts = [amount] if amount < 8000 else [amount - amount // 2, amount // 2]
                for j, part in enumerate(p for p in parts if p > 0):
                    when = self.now - timedelta(days=rng.randint(1, 70), minutes=rng.randint(0, 300))
                    if i % 9 == 0 and j == 0:
                        when = self.now - timedelta(minutes=rng.randint(10, 60))  # taken today
                    planned.append((when, family, wallet, part))
        planned.sort(key=lambda p: (p[0], p[1].id, p[2].kind))
        seqs: Counter[tuple[int, int]] = Counter()
        for when, family, wallet, amount in planned:
            structure = structures[wallet.kind]
            year = when.astimezone(PARIS).year
            seqs[(structure.id, year)] += 1
            seq = seqs[(structure.id, year)]
            method = rng.choice(
                [PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.CARD, PaymentMethod.TRANSFER]
            )
            payment = Payment(
                structure_id=structure.id,
                family_id=family.id,
                wallet_id=wallet.id,
                receipt_year=year,
                receipt_seq=seq,
                receipt_number=f"{year}-{seq:06d}",
                method=method,
                amount_cents=amount,
                cheque_bank=rng.choice(["Crédit Agricole", "La Banque Postale", "CIC", "Caisse d'Épargne"])
                if method is PaymentMethod.CHEQUE
                else None,
                cheque_number=f"{rng.randint(1000000, 9999999)}" if method is PaymentMethod.CHEQUE else None,
                paid_at=when,
                business_date=when.astimezone(PARIS).date(),
                agent_id=rng.choice(counter_agents).id,
            )
            self.s.add(payment)
            self.s.flush()
            self._entry(
                wallet,
                LedgerKind.PAYMENT,
                amount,
                f"Règlement {payment.receipt_number}",
                when,
                structure.id,
                payment=payment,
            )
        for (structure_id, year), last in seqs.items():
            self.s.add(ReceiptCounter(structure_id=structure_id, year=year, last_seq=last))
        self.summary.payments = len(planned)
        self.s.flush()

    def _messages(self, alae: Structure, alsh: Structure) -> None:
        self.s.add_all(
            [
                InfoMessage(
                    structure_id=alsh.id,
                    title="Vacances de Noël",
                    body="Les réservations du CLSH pour les vacances de Noël sont ouvertes. "
                    "Attention, le nombre de places est limité.",
                    valid_from=self.today - timedelta(days=10),
                    valid_to=self.today + timedelta(days=30),
                    created_at=self.now - timedelta(days=10),
                ),
                InfoMessage(
                    structure_id=alae.id,
                    title="Rappel",
                    body="Réservation et annulation de l'ALAE du mercredi jusqu'au dimanche soir précédent.",
                    valid_from=self.today - timedelta(days=60),
                    valid_to=None,
                    created_at=self.now - timedelta(days=60),
                ),
            ]
        )

    def _count(self, families: list[Family]) -> None:
        s, summary = self.s, self.summary
        summary.structures = s.scalar(select(func.count()).select_from(Structure)) or 0
        summary.agents = s.scalar(select(func.count()).select_from(Agent)) or 0
        summary.families = len(families)
        summary.children = sum(len(f.children) for f in families)
        summary.activity_days = s.scalar(select(func.count()).select_from(ActivityDay)) or 0
        for status, transmitted, n in s.execute(
            select(Reservation.status, Reservation.transmitted_at.is_not(None), func.count()).group_by(
                Reservation.status, Reservation.transmitted_at.is_not(None)
            )
        ):
            label = (
                status.value if transmitted or status is not ReservationStatus.ACCEPTED else "non transmise"
            )
            summary.reservations[label] += n
        for family in families:
            total = sum(self.wallets[(family.id, k)].balance_cents for k in WalletKind)
            summary.balances["débiteur" if total < 0 else "nul" if total == 0 else "créditeur"] += 1


def _deadline_kwargs(prefix: str, rule: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in rule.items()}
