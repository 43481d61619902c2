"""Creating and editing a family and its children at the counter, with French messages for bad fields."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Annotated, Any

from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import Adult, Child, Family
from ...text import short_date
from .. import audit
from ..actors import Actor
from ..bounds import Text, Years, checked
from ..errors import FieldErrors, UnknownEntity
from ..money import ledger
from ..permissions import rule
from ..uow import Database, Shown
from .search import refresh_search_text

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
SCHOOL_LEVELS = ("", "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e", "3e")
MAX_CHILD_AGE = 17


__all__ = ["FieldErrors"]  # kept here too: forms import it with the family inputs


@dataclass
class AdultInput:
    first_name: Annotated[str, Text(Adult.first_name)] = ""
    last_name: Annotated[str, Text(Adult.last_name)] = ""
    relationship: Annotated[str, Text(Adult.relationship_label)] = ""
    phone: Annotated[str, Text(Adult.phone)] = ""
    email: Annotated[str, Text(Adult.email)] = ""

    @property
    def empty(self) -> bool:
        return not any(v.strip() for v in asdict(self).values())


@dataclass
class FamilyInput:
    name: Annotated[str, Text(Family.name)] = ""
    phone: Annotated[str, Text(Family.phone)] = ""
    email: Annotated[str, Text(Family.email)] = ""
    address: Annotated[str, Text(Family.address)] = ""
    postal_code: Annotated[str, Text(Family.postal_code)] = ""
    city: Annotated[str, Text(Family.city)] = ""
    quotient_familial: Annotated[str, Text(max_len=6, label="quotient familial")] = ""
    adults: list[AdultInput] = field(default_factory=list)


@dataclass
class ChildInput:
    first_name: Annotated[str, Text(Child.first_name)] = ""
    last_name: Annotated[str, Text(Child.last_name)] = ""
    birth_date: Annotated[date | None, Years(1900, 2100)] = None
    school_level: Annotated[str, Text(Child.school_level)] = ""
    notes: Annotated[str, Text(Child.notes, multiline=True)] = ""


def normalise_phone(text: str) -> str | None:
    """A French phone number as "05 63 64 82 44" (also +33…), or None when it is not one."""
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"0[1-9][0-9]{8}", digits):
        return None
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def _check_contact(
    errors: dict[str, str], key: str, label: str, phone: str, email: str
) -> tuple[str | None, str | None]:
    phone_ok = None
    if phone.strip():
        phone_ok = normalise_phone(phone)
        if phone_ok is None:
            errors[f"{key}phone"] = (
                f"{label}téléphone invalide : « {phone.strip()} » (10 chiffres, ex. 05 63 64 82 44)."
            )
    email_ok = email.strip() or None
    if email_ok and not EMAIL.match(email_ok):
        errors[f"{key}email"] = f"{label}adresse e-mail invalide : « {email_ok} »."
    return phone_ok, email_ok


def validate_family(data: FamilyInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = "Le nom de la famille est obligatoire."
    phone, email = _check_contact(errors, "", "Famille : ", data.phone, data.email)
    qf = None
    if data.quotient_familial.strip():
        qf_text = data.quotient_familial.strip()
        if not re.fullmatch(r"[0-9]{1,6}", qf_text) or int(qf_text) > 100_000:
            errors["quotient_familial"] = (
                f"Quotient familial invalide : « {data.quotient_familial.strip()} » (un nombre entier, ex. 850)."
            )
        else:
            qf = int(data.quotient_familial)
    postal = data.postal_code.strip()
    if postal and not re.fullmatch(r"[0-9]{5}", postal):
        errors["postal_code"] = f"Code postal invalide : « {postal} » (5 chiffres)."
    adults = []
    for i, adult in enumerate(a for a in data.adults if not a.empty):
        label = f"Responsable {i + 1} : "
        if not adult.first_name.strip() or not adult.last_name.strip():
            errors[f"adult{i}name"] = f"{label}le prénom et le nom sont obligatoires."
        a_phone, a_email = _check_contact(errors, f"adult{i}", label, adult.phone, adult.email)
        adults.append(
            Adult(
                first_name=adult.first_name.strip(),
                last_name=adult.last_name.strip(),
                relationship_label=adult.relationship.strip(),
                phone=a_phone,
                email=a_email,
            )
        )
    if errors:
        raise FieldErrors(errors)
    return {
        "name": name.upper(),
        "phone": phone,
        "email": email,
        "address": data.address.strip(),
        "postal_code": postal,
        "city": data.city.strip(),
        "quotient_familial": qf,
        "adults": adults,
    }


def validate_child(data: ChildInput, today: date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not data.first_name.strip():
        errors["first_name"] = "Le prénom de l'enfant est obligatoire."
    if not data.last_name.strip():
        errors["last_name"] = "Le nom de l'enfant est obligatoire."
    born = data.birth_date
    if born is None:
        errors["birth_date"] = "La date de naissance de l'enfant est obligatoire."
    elif born > today:
        errors["birth_date"] = f"Date de naissance dans le futur : {short_date(born)}."
    else:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age > MAX_CHILD_AGE:
            errors["birth_date"] = (
                f"Date de naissance improbable pour un enfant accueilli : {short_date(born)} ({age} ans)."
            )
    if data.school_level not in SCHOOL_LEVELS:
        errors["school_level"] = f"Niveau scolaire inconnu : « {data.school_level} »."
    if errors:
        raise FieldErrors(errors)
    return {
        "first_name": " ".join(data.first_name.split()),
        "last_name": " ".join(data.last_name.split()),
        "birth_date": born,
        "school_level": data.school_level,
        "notes": data.notes.strip(),
    }


def _snapshot(family: Family) -> dict[str, Any]:
    return {
        "name": family.name,
        "phone": family.phone,
        "email": family.email,
        "address": family.address,
        "postal_code": family.postal_code,
        "city": family.city,
        "quotient_familial": family.quotient_familial,
        "adults": [f"{a.first_name} {a.last_name}" for a in family.adults],
    }


@checked
def create_family(db: Database, actor: Actor, data: FamilyInput, children: Sequence[ChildInput] = ()) -> int:
    """A walk-in family: validated, created with its wallets and children, audited. Returns its id."""
    today = local_today(db.clock)
    values = validate_family(data)
    kids = [validate_child(c, today) for c in children]

    def work(s: Session) -> int:
        now = db.clock.now()
        family = Family(**{k: v for k, v in values.items() if k != "adults"}, created_at=now)
        family.adults = list(values["adults"])
        family.children = [Child(**k) for k in kids]
        refresh_search_text(family)
        s.add(family)
        s.flush()
        ledger.open_wallets(s, family)
        audit.record(
            s,
            at=now,
            action="family.create",
            entity="family",
            entity_id=family.id,
            agent_id=actor.agent_id,
            family_id=family.id,
            after=_snapshot(family),
        )
        return family.id

    return db.write(work, actor=actor, rule=rule("families.edit.create_family"), changed=(Shown.FAMILIES,))


@checked
def update_family(db: Database, actor: Actor, family_id: int, data: FamilyInput) -> None:
    values = validate_family(data)

    def work(s: Session) -> None:
        family = s.get(Family, family_id)
        if family is None or family.anonymized_at is not None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        before = _snapshot(family)
        for key, value in values.items():
            if key != "adults":
                setattr(family, key, value)
        family.adults = [
            Adult(
                first_name=a.first_name,
                last_name=a.last_name,
                relationship_label=a.relationship_label,
                phone=a.phone,
                email=a.email,
            )
            for a in values["adults"]
        ]
        refresh_search_text(family)
        audit.record(
            s,
            at=db.clock.now(),
            action="family.update",
            entity="family",
            entity_id=family.id,
            agent_id=actor.agent_id,
            family_id=family.id,
            before=before,
            after=_snapshot(family),
        )

    db.write(work, actor=actor, rule=rule("families.edit.update_family"), changed=(Shown.FAMILIES,))


@checked
def save_child(
    db: Database, actor: Actor, family_id: int, data: ChildInput, child_id: int | None = None
) -> int:
    """Add a child to the family (``child_id`` None) or correct one. Returns the child's id."""
    values = validate_child(data, local_today(db.clock))

    def work(s: Session) -> int:
        family = s.get(Family, family_id)
        if family is None or family.anonymized_at is not None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        before = None
        child: Child | None
        if child_id is None:
            child = Child(**values)
            family.children.append(child)
        else:
            child = s.get(Child, child_id)
            if child is None or child.family_id != family_id:
                raise UnknownEntity(f"Enfant inconnu dans cette famille (n° {child_id}).")
            before = {k: getattr(child, k) for k in values}
            for key, value in values.items():
                setattr(child, key, value)
        s.flush()
        refresh_search_text(family)
        audit.record(
            s,
            at=db.clock.now(),
            action="child.create" if before is None else "child.update",
            entity="child",
            entity_id=child.id,
            agent_id=actor.agent_id,
            family_id=family_id,
            before=before,
            after=values,
        )
        return child.id

    return db.write(work, actor=actor, rule=rule("families.edit.save_child"), changed=(Shown.FAMILIES,))
