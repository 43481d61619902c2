"""Demo families: names as a French counter meets them, adults, children, wallets and aids."""

from __future__ import annotations

import functools
import random
import unicodedata
from datetime import date, timedelta

from ...models import (
    Adult,
    AidKind,
    AidType,
    Child,
    ChildContact,
    ChildHealth,
    ContactKind,
    Family,
    FamilyAid,
    Wallet,
    WalletKind,
)
from ..families.search import refresh_search_text
from ..security import hash_password
from .reference import DEMO_PASSWORD, ReferenceBuilder

# Surnames that a French counter really meets: accents, hyphens, apostrophes.
SURNAMES = [
    "Dupont-Lefèvre",
    "Lefèvre",
    "Dupuis",
    "N'Diaye",
    "D'Almeida",
    "Éluard",
    "Bénard",
    "Gréau",
    "Castaño",
    "Lemaître",
    "Perrin-Giraud",
    "Faure",
    "L'Hôte",
    "Noël",
    "Mégret",
    "Hébert",
    "Da Silva",
    "Ould-Ahmed",
    "Lefébure",
    "Lacôte",
    "Saint-Hilaire",
    "Garnier",
    "Roussel",
    "Béranger",
]
CHILD_NAMES = [
    "Léa",
    "Louise",
    "Jade",
    "Emma",
    "Chloé",
    "Inès",
    "Zoé",
    "Lina",
    "Manon",
    "Camille",
    "Anaïs",
    "Maëlys",
    "Noémie",
    "Élise",
    "Rose",
    "Ambre",
    "Lou",
    "Mia",
    "Juliette",
    "Agathe",
    "Héloïse",
    "Anaëlle",
    "Gabriel",
    "Léo",
    "Raphaël",
    "Louis",
    "Arthur",
    "Jules",
    "Noah",
    "Adam",
    "Hugo",
    "Maël",
    "Éthan",
    "Timéo",
    "Nathan",
    "Sacha",
    "Théo",
    "Lucas",
    "Mathéo",
    "Enzo",
    "Aaron",
    "Noé",
    "Yanis",
    "Ibrahim",
    "Clément",
    "Marius",
]
LEVELS = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2", 11: "CM2"}


def _ascii(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c) and c.isalnum()
    ).lower()


HEALTH_PROFILES = [
    ("", ""),
    ("", ""),
    ("Prend le bus scolaire le mercredi midi", ""),
    ("", "arachides"),
    ("", "asthme"),
    ("", "porc"),
]
"""A child's remarks (nothing of health: every agent sees them, every attendance list prints them) and its health
profile, which becomes its fiche sanitaire: an allergy with a PAI, an asthma PAI, a diet, or nothing."""
NEIGHBOURS = [("Laura Vidal", "voisine"), ("Inès Vidal", "voisine"), ("Paul Vidal", "voisin")]
"""People the demonstration's families allow to pick a child up."""


class PeopleBuilder(ReferenceBuilder):
    @functools.cached_property
    def _portal_hash(self) -> str:
        return hash_password(
            DEMO_PASSWORD
        )  # one hash for every demonstration family: argon2 is slow by design

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
            family.portal_password_hash = self._portal_hash  # « demo », like the agents'; no forced change
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
        profiles: list[str] = []
        for _ in range(n_children):
            age = rng.randint(3, 11)
            born = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            first_name = rng.choice(CHILD_NAMES)
            # the remarks (seen by every agent, printed on every list) say nothing of health: an allergy, a PAI,
            # a diet go to the child's fiche sanitaire (``_health``)
            notes, profile = rng.choice(HEALTH_PROFILES)
            profiles.append(profile)
            family.children.append(
                Child(
                    first_name=first_name,
                    last_name=surname,
                    birth_date=born,
                    school_level=LEVELS[age],
                    notes=notes,
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
        self._health(family, profiles)
        self.s.flush()
        return family

    def _health(self, family: Family, profiles: list[str]) -> None:
        """Fiches sanitaires for the children, from their health profile drawn with them (an allergy, a PAI, a
        diet: ``HEALTH_PROFILES``), and emergency contacts and pick-up persons for most of them. Drawn from a
        generator of its own: the rest of the demonstration (its families, bookings and payments) stays what it
        was."""
        rng = random.Random(family.id * 7919 + 2026)
        first = int(self.school_year[:4])
        others = [a for a in family.adults[1:] if a.phone]
        for child, profile in zip(family.children, profiles, strict=True):
            if not profile and rng.random() < 0.3:
                continue  # no fiche at all: « aucun contact d'urgence » on the list
            health = ChildHealth(
                child_id=child.id,
                doctor_name=rng.choice(["Dr Marty", "Dr Combes", "Dr Lafon", "Dr Rouzaud"]),
                doctor_phone=f"05 63 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                photos_allowed=rng.random() < 0.85,
                leave_alone_allowed=child.birth_date.year <= self.today.year - 9 and rng.random() < 0.5,
                medical_allowed=True,
                updated_at=self.now - timedelta(days=rng.randint(20, 80)),
            )
            answered = (self.now - timedelta(days=rng.randint(80, 90))).date()
            health.photos_answered_on = health.leave_alone_answered_on = health.medical_answered_on = answered
            if profile == "arachides":
                health.has_allergy = True
                health.allergies = (
                    "Arachides et fruits à coque : aucune trace ; stylo d'adrénaline dans le sac"
                )
                health.pai, health.pai_until = True, date(first + 1, 7, 4)
            elif profile == "asthme":
                health.pai, health.pai_until = True, date(first + 1, 7, 4)
                health.allergies = "Asthme à l'effort : Ventoline (2 bouffées) avant le sport"
            elif profile == "porc":
                health.diet = "Sans porc"
            self.s.add(health)
            contacts = [
                (ContactKind.EMERGENCY, f"{a.first_name} {a.last_name}", a.relationship_label, a.phone or "")
                for a in others
            ]
            grand = rng.choice(["Josiane", "Bernard", "Monique", "Alain", "Christiane"])
            contacts.append(
                (ContactKind.EMERGENCY, f"{grand} {child.last_name}", "grand-parent", self._health_phone(rng))
            )
            if rng.random() < 0.5:
                contacts.append((ContactKind.PICKUP, *rng.choice(NEIGHBOURS), ""))
            for position, (kind, name, relation, phone) in enumerate(contacts):
                self.s.add(
                    ChildContact(
                        child_id=child.id,
                        kind=kind,
                        name=name,
                        relation=relation,
                        phone=phone,
                        position=position,
                    )
                )

    @staticmethod
    def _health_phone(rng: random.Random) -> str:
        return " ".join(["06", *(f"{rng.randint(0, 99):02d}" for _ in range(4))])

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
