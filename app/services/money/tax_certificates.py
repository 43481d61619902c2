"""The amounts of the « attestation de frais de garde » (childcare costs of children under 6, article 200 quater B
of the tax code), per family, organising structure and calendar year.

The rules (docs/tax_certificate.md):

- a child counts when born on or after 1 January six years before (the tax forms: for the 2025 income, children
  « nés à compter du 1er janvier 2019 »): a child turning 6 during the year, or on 1 January itself, counts for the
  whole year, a child born before (6 on 31 December of the year before) does not;
- a day counts in the year of its date (the activity's day, not the day it was booked or paid);
- what a day cost is what the ledger charged for its reservation, net of what was given back for it: the sum of its
  CHARGE, REFUND and REVERSAL entries (``lifecycle``: a cancellation in time and a medical certificate refund the
  day; an absence without a certificate is billed and stays charged). The price charged is already net of the
  family's aids (``pricing.day_price``);
- the meal part (``Activity.meal_cents``, « frais de nourriture », excluded by the tax code) is taken off each day
  charged, never below 0; a day refunded in full counts 0 and no meal is taken off;
- one certificate per family and structure (each organiser certifies what it charged); a family, structure and year
  with nothing eligible has none (``NothingEligible``);
- a year not begun yet is refused (``FutureYear``); the current year is given with the sums « arrêtées au » today:
  the days up to today only (a day booked for later may still be cancelled).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import Activity, ActivityDay, Child, Family, LedgerEntry, Reservation, Structure
from ...text import long_date
from ..booking.lifecycle import COST_KINDS
from ..bounds import Year, checked
from ..errors import FutureYear, NothingEligible
from ..uow import Database
from .till import regie_of

AGE_LIMIT = 6


@dataclass(frozen=True)
class ChildCosts:
    child_id: int
    first_name: str
    last_name: str
    birth_date: date
    days: int
    """Days charged in the year (net of refunds more than 0)."""
    charged_cents: int
    """What those days cost, net of refunds, meals included."""
    meal_cents: int
    """The meal part taken off."""

    @property
    def amount_cents(self) -> int:
        """The eligible amount: charged, net of refunds, without meals."""
        return self.charged_cents - self.meal_cents


@dataclass(frozen=True)
class Organiser:
    """The structure as the certificate names it."""

    id: int
    name: str
    address: str
    postal_code: str
    city: str
    siret: str
    regie: str
    """The régie de recettes (``till.regie_of``), empty when the structure names none."""
    regisseur_name: str
    phone: str = ""
    email: str = ""
    logo: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TaxCertificate:
    year: int
    family_id: int
    family_name: str
    family_address: str
    email: str | None
    organiser: Organiser
    children: tuple[ChildCosts, ...]
    as_of: date | None = None
    """The current year's certificate: the sums « arrêtées au » that day; None for a past year."""

    @property
    def total_cents(self) -> int:
        return sum(c.amount_cents for c in self.children)

    @property
    def days(self) -> int:
        return sum(c.days for c in self.children)


@dataclass(frozen=True)
class Choice:
    """A certificate a family may print (for the counter's chooser and the portal's list)."""

    year: int
    structure_id: int
    structure_name: str
    total_cents: int
    as_of: date | None = None
    missing: tuple[str, ...] = ()
    """What the structure's identity lacks (``missing_identity``): the paper says « non renseigné »."""


def missing_identity(o: Organiser) -> tuple[str, ...]:
    """What a certificate's structure lacks: « le SIRET » (14 digits), « le nom du régisseur »; () when complete."""
    gaps = []
    if not (len(o.siret) == 14 and o.siret.isdigit()):
        gaps.append("le SIRET")
    if not o.regisseur_name.strip():
        gaps.append("le nom du régisseur")
    return tuple(gaps)


def born_from(year: int) -> date:
    """The first birth date of a child eligible for ``year``: 1 January six years before, itself included (the tax
    forms' « nés à compter du 1er janvier 2019 » for 2025)."""
    return date(year - AGE_LIMIT, 1, 1)


def eligible_children(year: int) -> str:
    """« enfants de moins de 6 ans (nés à compter du 1er janvier 2019) », the rule in the tax forms' words."""
    return f"enfants de moins de 6 ans (nés à compter du {long_date(born_from(year), weekday=False)})"


def check_year(year: int, today: date) -> date | None:
    """``FutureYear`` for a year not begun; the current year's « arrêtées au » day, None for a past year."""
    if year > today.year:
        raise FutureYear(
            f"L'année {year} n'a pas commencé : pas d'attestation de frais de garde pour une année à venir "
            f"(nous sommes le {long_date(today, weekday=False)})."
        )
    return today if year == today.year else None


def _address(street: str, postal_code: str, city: str) -> str:
    return ", ".join(x for x in (street, f"{postal_code} {city}".strip()) if x)


def organiser_of(structure: Structure) -> Organiser:
    return Organiser(
        structure.id,
        structure.name,
        structure.address,
        structure.postal_code,
        structure.city,
        structure.siret,
        regie_of(structure) if structure.regie_name else "",
        structure.regisseur_name,
        structure.phone,
        structure.email,
        structure.logo,
    )


def certificates(
    s: Session,
    year: int,
    as_of: date | None,
    *,
    family_ids: list[int] | None = None,
    structure_id: int | None = None,
) -> list[TaxCertificate]:
    """Every certificate of ``year`` with an eligible amount (of these families, of this structure), in the families'
    and structures' order. The current year's (``as_of`` its day) counts the days up to that day only: a day booked
    and prepaid for later may still be cancelled and refunded."""
    net = func.sum(LedgerEntry.amount_cents)
    query = (
        select(
            Reservation.id,
            Child.id,
            Child.family_id,
            Activity.structure_id,
            Activity.meal_cents,
            net,
        )
        .join(LedgerEntry, LedgerEntry.reservation_id == Reservation.id)
        .join(ActivityDay, ActivityDay.id == Reservation.activity_day_id)
        .join(Activity, Activity.id == ActivityDay.activity_id)
        .join(Child, Child.id == Reservation.child_id)
        .join(Family, Family.id == Child.family_id)
        .where(
            LedgerEntry.kind.in_(COST_KINDS),
            ActivityDay.day >= date(year, 1, 1),
            ActivityDay.day <= min(date(year, 12, 31), as_of or date(year, 12, 31)),
            Child.birth_date >= born_from(year),
            Family.anonymized_at.is_(None),
        )
        .group_by(Reservation.id, Child.id, Child.family_id, Activity.structure_id, Activity.meal_cents)
    )
    if family_ids is not None:
        query = query.where(Child.family_id.in_(family_ids))
    if structure_id is not None:
        query = query.where(Activity.structure_id == structure_id)
    # (family, structure) → child → [days, charged, meals]
    sums: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for _rid, child_id, family_id, sid, meal, total in s.execute(query):
        charged = -int(total or 0)  # a charge is negative on the family's wallet, a refund positive
        if charged <= 0:
            continue  # refunded in full (a cancellation, a medical certificate): nothing, and no meal taken off
        line = sums[(family_id, sid)][child_id]
        line[0] += 1
        line[1] += charged
        line[2] += min(max(meal or 0, 0), charged)
    if not sums:
        return []
    children = {
        c.id: c for c in s.scalars(select(Child).where(Child.id.in_({c for v in sums.values() for c in v})))
    }
    families = {f.id: f for f in s.scalars(select(Family).where(Family.id.in_({f for f, _ in sums})))}
    structures = {x.id: x for x in s.scalars(select(Structure).where(Structure.id.in_({x for _, x in sums})))}
    found = []
    for (family_id, sid), by_child in sums.items():
        lines = tuple(
            sorted(
                (
                    ChildCosts(
                        child_id,
                        children[child_id].first_name,
                        children[child_id].last_name,
                        children[child_id].birth_date,
                        days,
                        charged,
                        meals,
                    )
                    for child_id, (days, charged, meals) in by_child.items()
                    if charged - meals > 0
                ),
                key=lambda c: (c.birth_date, c.child_id),
            )
        )
        if not lines:
            continue
        family = families[family_id]
        found.append(
            TaxCertificate(
                year,
                family.id,
                family.name,
                _address(family.address, family.postal_code, family.city),
                family.email,
                organiser_of(structures[sid]),
                lines,
                as_of,
            )
        )
    return sorted(found, key=lambda c: (c.family_name, c.family_id, c.organiser.name, c.organiser.id))


def family_certificate(
    s: Session, family_id: int, year: int, structure_id: int, today: date
) -> TaxCertificate:
    """One family's certificate from one structure for one year; ``FutureYear``, ``NothingEligible``."""
    as_of = check_year(year, today)
    found = certificates(s, year, as_of, family_ids=[family_id], structure_id=structure_id)
    if not found:
        raise NothingEligible(
            f"Pas d'attestation de frais de garde pour {year} : aucune somme facturée cette année-là pour un "
            f"enfant né à compter du {long_date(born_from(year), weekday=False)} (repas déduits, remboursements "
            "déduits)."
        )
    return found[0]


@checked
def certificate_choices(db: Database, family_id: int) -> list[Choice]:
    """The certificates a family may print, newest year first: each year up to the current one with an eligible
    amount, per structure (the current year's with its « arrêtées au » day)."""
    today = local_today(db.clock)
    with db.reading() as uow:
        s = uow.session
        first = s.scalar(
            select(func.min(ActivityDay.day))
            .join(Reservation, Reservation.activity_day_id == ActivityDay.id)
            .join(Child, Child.id == Reservation.child_id)
            .where(Child.family_id == family_id, Reservation.price_cents.is_not(None))
        )
        if first is None:
            return []
        choices = []
        for year in range(today.year, first.year - 1, -1):
            as_of = check_year(year, today)
            for c in certificates(s, year, as_of, family_ids=[family_id]):
                choices.append(
                    Choice(
                        year,
                        c.organiser.id,
                        c.organiser.name,
                        c.total_cents,
                        as_of,
                        missing_identity(c.organiser),
                    )
                )
        return choices


@dataclass(frozen=True)
class YearCount:
    """What a year's batch would find (for the Administration panel)."""

    year: int
    families: int
    certificates: int
    with_email: int
    family_ids: list[int] = field(default_factory=list)


@checked
def eligible_families(db: Database, year: Year) -> YearCount:
    """How many families have a certificate for ``year`` (and how many of them an e-mail address)."""
    today = local_today(db.clock)
    with db.reading() as uow:
        found = certificates(uow.session, year, check_year(year, today))
    families = {c.family_id: c.email for c in found}
    return YearCount(
        year, len(families), len(found), sum(1 for e in families.values() if e), sorted(families)
    )
