"""Demo reference data: calendars, structures, agents, activities with their periods, aid types, messages."""

from __future__ import annotations

import contextlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from faker import Faker
from sqlalchemy.orm import Session

from ...clock import paris
from ...models import (
    Activity,
    Agent,
    AidKind,
    AidType,
    InfoMessage,
    PaymentSettings,
    PeriodOpeningRule,
    Role,
    Structure,
    Wallet,
    WalletKind,
)
from ...text import short_date
from ..booking import calendar
from ..errors import ValidationError
from ..security import hash_password
from ..setup.defaults import new_activity, template

ZONE = "C"
DEMO_PASSWORD = "demo"
SUNDAY = 6


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
    portal_logins: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        words = {
            "accepted": "acceptées",
            "waitlisted": "en liste d'attente",
            "refused": "refusées",
            "cancelled": "annulées",
            "non transmise": "non transmises",
        }
        states = ", ".join(f"{words.get(k, k)} {v}" for k, v in sorted(self.reservations.items()))
        bal = ", ".join(f"{k} {v}" for k, v in sorted(self.balances.items()))
        return [
            f"Démonstration créée pour le {short_date(self.today)} (année scolaire {self.school_year}, zone {ZONE}).",
            f"{self.structures} structures, {self.agents} agents (mot de passe « {DEMO_PASSWORD} »), "
            f"{self.families} familles, {self.children} enfants.",
            f"{self.activities} activités, {self.activity_days} journées, {self.payments} règlements.",
            f"Réservations : {states}.",
            f"Soldes des familles : {bal}.",
            f"Portail famille : {len(self.portal_logins)} familles ont un identifiant (mot de passe « {DEMO_PASSWORD} »)"
            + (f", par exemple {', '.join(self.portal_logins[:3])}." if self.portal_logins else "."),
        ]


DEMO_MEAL_CENTS = 350
"""The meal part of the demo's holiday days (the Wednesday afternoons have none)."""


class ReferenceBuilder:
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
            "regie_name": "Régie enfance-jeunesse de Montech",
            "regie_act": "arrêté n° 2019-042 du 3 juin 2019",
            "regisseur_name": "Régine Sorel",
            "siret": "21820125600011",
        }
        alae = Structure(code="ALAE-MONTECH", name="ALAE Montech", **common)
        alsh = Structure(code="ALSH-MONTECH", name="ALSH Montech", **common)
        self.s.add_all([alae, alsh])
        self.s.flush()
        # families top up their wallets on the portal through the demonstration's payment site (no money moves)
        self.s.add_all(
            PaymentSettings(
                structure_id=s.id,
                backend="dummy",
                enabled=True,
                updated_at=self.now,
                options={"origin": f"{s.name} (démonstration)"},
            )
            for s in (alae, alsh)
        )
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
        for agent in agents:  # the régisseur and the administrator print the lists with the fiches sanitaires
            agent.health_access = agent.role is not Role.AGENT
        self.s.add_all(agents)
        self.s.flush()
        return agents

    def _activities(
        self, alae_structure: Structure, alsh_structure: Structure
    ) -> tuple[Activity, Activity, Activity]:
        alae = new_activity(alae_structure.id, template("ALAE-MER"))
        petites = new_activity(alsh_structure.id, template("CLSH-PV"))
        ete = new_activity(alsh_structure.id, template("CLSH-ETE"))
        for holidays in (petites, ete):
            holidays.meal_cents = (
                DEMO_MEAL_CENTS  # the lunch in a holiday day's price, left out of the tax certificate
            )
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


def demo_school_year(today: date) -> str:
    """The school year whose activities are still ahead (the next one once the summer centre is over)."""
    year = calendar.school_year_of(today)
    if today >= date(int(year[:4]) + 1, 8, 1):
        first = int(year[:4]) + 1
        year = f"{first}-{first + 1}"
    return year
