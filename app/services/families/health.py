"""A child's « fiche sanitaire et contacts »: allergies, PAI, diet, doctor, the people to call in an emergency and
those allowed to pick the child up, the parents' three authorisations.

Health data (GDPR art. 9): read and saved only by the agents an administrator gave the right to
(``Agent.health_access``, read from the database in the service's own transaction by ``actors.authorize``) and by
the family itself on the portal. Every change is audited with the names of the fields that changed, never their
values: the journal (supervisors) and the family's export (any agent) open the trail, and they must show no health
data to whom has no right to it. That row is sealed with the family's key like every family write (``audit.row``),
so nothing of it is readable once the family is anonymised (its key destroyed, its fiches and contacts deleted).

Decisions:
- an emergency contact is not required to book (the counter applies the portal's booking rules and takes a walk-in
  family as it comes); the attendance list and the Famille tab say « aucun contact d'urgence » instead;
- a PAI's end date needs a PAI; a new end date already past is refused, while an end date kept from an earlier save
  may have passed since (the fiche stays editable; the PAI is then shown as ended and no longer marks the child);
- an authorisation's date is the day its answer was recorded (changed), kept while the answer stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import Agent, Child, ChildContact, ChildHealth, ContactKind
from ...text import short_date
from .. import audit
from ..actors import Actor, authorize
from ..bounds import Text, checked
from ..errors import FieldErrors, UnknownEntity
from ..permissions import rule
from ..uow import Database, Shown
from .edit import normalise_phone

MAX_CONTACTS = 6
"""Emergency contacts, and pick-up persons, per child at most."""
NO_EMERGENCY_CONTACT = "aucun contact d'urgence"
"""What the attendance list and the Famille tab say of a child without one (it does not stop a booking)."""
ANSWERS = {True: "oui", False: "non", None: "sans réponse"}


@dataclass
class ContactInput:
    name: Annotated[str, Text(ChildContact.name)] = ""
    relation: Annotated[str, Text(ChildContact.relation)] = ""
    phone: Annotated[str, Text(ChildContact.phone)] = ""

    @property
    def empty(self) -> bool:
        return not (self.name.strip() or self.relation.strip() or self.phone.strip())


@dataclass
class HealthInput:
    """What the counter's tab and the portal's form send; ``None`` for an authorisation not answered."""

    has_allergy: bool = False
    allergies: Annotated[str, Text(ChildHealth.allergies, multiline=True)] = ""
    pai: bool = False
    pai_until: date | None = None
    diet: Annotated[str, Text(ChildHealth.diet)] = ""
    doctor_name: Annotated[str, Text(ChildHealth.doctor_name)] = ""
    doctor_phone: Annotated[str, Text(ChildHealth.doctor_phone)] = ""
    emergency: list[ContactInput] = field(default_factory=list)
    pickup: list[ContactInput] = field(default_factory=list)
    photos: bool | None = None
    leave_alone: bool | None = None
    medical: bool | None = None


@dataclass(frozen=True)
class Contact:
    name: str
    relation: str
    phone: str

    @property
    def line(self) -> str:
        relation = f" ({self.relation})" if self.relation else ""
        return f"{self.name}{relation}" + (f" {self.phone}" if self.phone else "")


@dataclass(frozen=True)
class HealthFile:
    """A child's fiche as read (an empty one when none was ever saved: ``updated_at`` None)."""

    child_id: int
    family_id: int
    child_name: str
    has_allergy: bool = False
    allergies: str = ""
    pai: bool = False
    pai_until: date | None = None
    diet: str = ""
    doctor_name: str = ""
    doctor_phone: str = ""
    emergency: tuple[Contact, ...] = ()
    pickup: tuple[Contact, ...] = ()
    photos: bool | None = None
    photos_on: date | None = None
    leave_alone: bool | None = None
    leave_alone_on: date | None = None
    medical: bool | None = None
    medical_on: date | None = None
    updated_at: datetime | None = None

    def pai_in_force(self, on: date) -> bool:
        return self.pai and (self.pai_until is None or self.pai_until >= on)

    def flagged(self, on: date) -> bool:
        """An allergy, a PAI in force or a diet: the ⚠ of the attendance list."""
        return self.has_allergy or self.pai_in_force(on) or bool(self.diet)

    def pai_text(self, on: date) -> str:
        if not self.pai:
            return "non"
        if self.pai_until is None:
            return "oui"
        if self.pai_until < on:
            return f"terminé le {short_date(self.pai_until)}"
        return f"oui, jusqu'au {short_date(self.pai_until)}"

    def answer(self, which: str) -> str:
        """« oui (le 02/09/2026) », « non (…) », « sans réponse » for ``photos``, ``leave_alone``, ``medical``."""
        value, on = getattr(self, which), getattr(self, f"{which}_on")
        return ANSWERS[value] + (f" (le {short_date(on)})" if value is not None and on is not None else "")

    def as_input(self) -> HealthInput:
        def inputs(contacts: tuple[Contact, ...]) -> list[ContactInput]:
            return [ContactInput(c.name, c.relation, c.phone) for c in contacts]

        return HealthInput(
            self.has_allergy,
            self.allergies,
            self.pai,
            self.pai_until,
            self.diet,
            self.doctor_name,
            self.doctor_phone,
            inputs(self.emergency),
            inputs(self.pickup),
            self.photos,
            self.leave_alone,
            self.medical,
        )


# --- reading ---------------------------------------------------------------------------------------------------


def files_of(s: Session, children: list[Child]) -> dict[int, HealthFile]:
    """The fiches of ``children`` (an empty fiche for a child without one), in two queries. No right checked: for
    the services that checked it (the attendance list, the family's export)."""
    ids = [c.id for c in children] or [-1]
    rows = {h.child_id: h for h in s.scalars(select(ChildHealth).where(ChildHealth.child_id.in_(ids)))}
    contacts: dict[tuple[int, ContactKind], list[Contact]] = {}
    for c in s.scalars(
        select(ChildContact)
        .where(ChildContact.child_id.in_(ids))
        .order_by(ChildContact.child_id, ChildContact.kind, ChildContact.position, ChildContact.id)
    ):
        contacts.setdefault((c.child_id, c.kind), []).append(Contact(c.name, c.relation, c.phone))
    found = {}
    for child in children:
        h = rows.get(child.id)
        empty = HealthFile(
            child.id,
            child.family_id,
            child.full_name,
            emergency=tuple(contacts.get((child.id, ContactKind.EMERGENCY), [])),
            pickup=tuple(contacts.get((child.id, ContactKind.PICKUP), [])),
        )
        found[child.id] = (
            empty
            if h is None
            else replace(
                empty,
                has_allergy=h.has_allergy,
                allergies=h.allergies,
                pai=h.pai,
                pai_until=h.pai_until,
                diet=h.diet,
                doctor_name=h.doctor_name,
                doctor_phone=h.doctor_phone,
                photos=h.photos_allowed,
                photos_on=h.photos_answered_on,
                leave_alone=h.leave_alone_allowed,
                leave_alone_on=h.leave_alone_answered_on,
                medical=h.medical_allowed,
                medical_on=h.medical_answered_on,
                updated_at=h.updated_at,
            )
        )
    return found


def sees_health(s: Session, who: Actor) -> bool:
    """Whether ``who`` (as ``authorize`` returned it, in this transaction) has the right to the health files now: an
    agent an administrator gave it to. A family sees its own children's fiches through ``health_file`` only."""
    return _agent_sees(s, who.agent_id)


def _agent_sees(s: Session, agent_id: int | None) -> bool:
    """An active agent with the right to the health files (None: no agent, no right)."""
    agent = s.get(Agent, agent_id) if agent_id is not None else None
    return bool(agent is not None and agent.active and agent.health_access)


def export(f: HealthFile) -> dict[str, Any]:
    """A fiche in the family's export (French keys, as the rest of it)."""
    return {
        "allergie": f.has_allergy,
        "allergies": f.allergies,
        "pai": f.pai,
        "pai_jusqu_au": f.pai_until.isoformat() if f.pai_until else None,
        "régime_alimentaire": f.diet,
        "médecin": f.doctor_name,
        "téléphone_du_médecin": f.doctor_phone,
        "contacts_d_urgence": [
            {"nom": c.name, "lien": c.relation, "téléphone": c.phone} for c in f.emergency
        ],
        "personnes_autorisées": [{"nom": c.name, "lien": c.relation, "téléphone": c.phone} for c in f.pickup],
        "autorisations": {
            "photos": f.answer("photos"),
            "sortie_seul": f.answer("leave_alone"),
            "intervention_médicale": f.answer("medical"),
        },
        "modifiée_le": f.updated_at.isoformat() if f.updated_at else None,
    }


HIDDEN = "(réservée aux agents ayant l'accès aux fiches sanitaires)"
"""A fiche in the export made by an agent without the right to it."""


def _child(s: Session, who: Actor, child_id: int) -> Child:
    """The child, of the acting family when a family acts; refused as unknown otherwise."""
    child = s.get(Child, child_id)
    if (
        child is None
        or child.family.anonymized_at is not None
        or (who.family_id is not None and child.family_id != who.family_id)
    ):
        raise UnknownEntity(f"Enfant inconnu (n° {child_id}).")
    return child


@checked
def health_file(db: Database, actor: Actor, child_id: int) -> HealthFile:
    """A child's fiche, for an agent with the right to the health files or for the child's family on the portal."""
    with db.reading() as uow:
        s = uow.session
        who = authorize(s, actor, rule("families.health.health_file"))
        child = _child(s, who, child_id)
        return files_of(s, [child])[child.id]


@checked
def health_access(db: Database, agent_id: int) -> bool:
    """Whether the agent has the right to the health files now (what a screen asks before offering the fiche; the
    services check it again)."""
    with db.reading() as uow:
        return _agent_sees(uow.session, agent_id)


@checked
def emergency_contact_counts(db: Database, family_id: int) -> dict[int, int]:
    """The number of emergency contacts of each child of the family (not health data: the Famille tab says
    « aucun contact d'urgence » to every agent)."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Child.id, func.count(ChildContact.id))
            .outerjoin(
                ChildContact,
                (ChildContact.child_id == Child.id) & (ChildContact.kind == ContactKind.EMERGENCY),
            )
            .where(Child.family_id == family_id)
            .group_by(Child.id)
        ).all()
    return {child_id: int(n) for child_id, n in rows}


# --- saving ------------------------------------------------------------------------------------------------------


def _contacts(errors: dict[str, str], key: str, label: str, people: list[ContactInput]) -> list[Contact]:
    kept = [p for p in people if not p.empty]
    if len(kept) > MAX_CONTACTS:
        errors[key] = f"{label} : {MAX_CONTACTS} personnes au plus."
    found = []
    for i, p in enumerate(kept, start=1):
        name = " ".join(p.name.split())
        if not name:
            errors[f"{key}{i}name"] = f"{label} n° {i} : le nom est obligatoire."
        phone = ""
        if p.phone.strip():
            phone = normalise_phone(p.phone) or ""
            if not phone:
                errors[f"{key}{i}phone"] = (
                    f"{label} n° {i} : téléphone invalide « {p.phone.strip()} » (10 chiffres, ex. 06 12 34 56 78)."
                )
        elif key == "emergency":
            errors[f"{key}{i}phone"] = f"{label} n° {i} : le téléphone est obligatoire."
        found.append(Contact(name, " ".join(p.relation.split()), phone))
    return found


def validate(data: HealthInput, today: date, kept_until: date | None) -> dict[str, Any]:
    """The fiche's values, or ``FieldErrors`` in French. ``kept_until``: the PAI end date already saved (an end date
    passed since it was saved is kept; a new one must not be past)."""
    errors: dict[str, str] = {}
    allergies = data.allergies.strip()
    if data.has_allergy and not allergies:
        errors["allergies"] = "Allergie cochée : précisez laquelle (aliment, médicament, conduite à tenir)."
    if data.pai_until is not None and not data.pai:
        errors["pai_until"] = "Date de fin de PAI sans PAI : cochez « PAI » ou effacez la date."
    elif data.pai_until is not None and data.pai_until < today and data.pai_until != kept_until:
        errors["pai_until"] = (
            f"Date de fin du PAI déjà passée : {short_date(data.pai_until)} (aujourd'hui {short_date(today)})."
        )
    doctor_phone = ""
    if data.doctor_phone.strip():
        doctor_phone = normalise_phone(data.doctor_phone) or ""
        if not doctor_phone:
            errors["doctor_phone"] = (
                f"Téléphone du médecin invalide : « {data.doctor_phone.strip()} » (10 chiffres, ex. 05 63 64 82 44)."
            )
    emergency = _contacts(errors, "emergency", "Contact d'urgence", data.emergency)
    pickup = _contacts(errors, "pickup", "Personne autorisée", data.pickup)
    if errors:
        raise FieldErrors(errors)
    return {
        "has_allergy": data.has_allergy,
        "allergies": allergies,
        "pai": data.pai,
        "pai_until": data.pai_until if data.pai else None,
        "diet": " ".join(data.diet.split()),
        "doctor_name": " ".join(data.doctor_name.split()),
        "doctor_phone": doctor_phone,
        "emergency": emergency,
        "pickup": pickup,
        "photos": data.photos,
        "leave_alone": data.leave_alone,
        "medical": data.medical,
    }


def _snapshot(f: HealthFile) -> dict[str, Any]:
    """A fiche's fields by their French names, to tell which changed (the trail keeps the names only)."""
    return {
        "allergie": f.has_allergy,
        "allergies": f.allergies,
        "pai": f.pai,
        "pai_jusqu_au": f.pai_until,
        "régime": f.diet,
        "médecin": f.doctor_name,
        "téléphone_médecin": f.doctor_phone,
        "contacts_urgence": [c.line for c in f.emergency],
        "personnes_autorisées": [c.line for c in f.pickup],
        "photos": f.photos,
        "sortie_seul": f.leave_alone,
        "intervention_médicale": f.medical,
    }


AUTHORISATIONS = (
    ("photos", "photos_allowed", "photos_answered_on"),
    ("leave_alone", "leave_alone_allowed", "leave_alone_answered_on"),
    ("medical", "medical_allowed", "medical_answered_on"),
)


@checked
def save_health_file(db: Database, actor: Actor, child_id: int, data: HealthInput) -> None:
    """Save a child's fiche (its contacts replaced by those given), audited (sealed) as the agent or the family.
    An authorisation's date becomes today's when its answer changes."""

    def work(s: Session) -> None:
        who = authorize(s, actor, rule("families.health.save_health_file"))
        child = _child(s, who, child_id)
        before = files_of(s, [child])[child.id]
        today, now = local_today(db.clock), db.clock.now()
        values = validate(data, today, before.pai_until if before.pai else None)
        row = s.get(ChildHealth, child.id)
        if row is None:
            row = ChildHealth(child_id=child.id, updated_at=now)
            s.add(row)
        for name in ("has_allergy", "allergies", "pai", "pai_until", "diet", "doctor_name", "doctor_phone"):
            setattr(row, name, values[name])
        for key, answer, answered_on in AUTHORISATIONS:
            if values[key] is None:
                setattr(row, answer, None)
                setattr(row, answered_on, None)
            elif values[key] != getattr(before, key) or getattr(before, f"{key}_on") is None:
                setattr(row, answer, values[key])
                setattr(row, answered_on, today)
        s.execute(delete(ChildContact).where(ChildContact.child_id == child.id))
        for kind, people in (
            (ContactKind.EMERGENCY, values["emergency"]),
            (ContactKind.PICKUP, values["pickup"]),
        ):
            for position, c in enumerate(people):
                s.add(
                    ChildContact(
                        child_id=child.id,
                        kind=kind,
                        name=c.name,
                        relation=c.relation,
                        phone=c.phone,
                        position=position,
                    )
                )
        s.flush()
        old, new = _snapshot(before), _snapshot(files_of(s, [child])[child.id])
        changed = [name for name in new if new[name] != old[name]]
        if not changed and before.updated_at is not None:
            return
        row.updated_at = now
        audit.record(  # which fields changed, never their values (the journal and the export show the trail)
            s,
            at=now,
            action="child.health.create" if before.updated_at is None else "child.health.update",
            entity="child",
            entity_id=child.id,
            agent_id=who.agent_id,
            family_id=child.family_id,
            after={"champs_modifiés": changed},
        )

    db.write(work, actor=actor, rule=rule("families.health.save_health_file"), changed=(Shown.FAMILIES,))
