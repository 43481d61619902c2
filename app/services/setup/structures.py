"""Structures (organising sites): name, address, contact, school zone and logo. A new structure starts with the
seed's usual activities (``defaults.USUAL_ACTIVITIES``), which the administrator edits or archives afterwards."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Agent, Structure
from .. import audit
from ..actors import Actor
from ..bounds import Text, checked
from ..errors import UnknownEntity
from ..families.edit import EMAIL, FieldErrors, normalise_phone
from ..permissions import rule
from ..uow import Database, Shown
from .defaults import USUAL_ACTIVITIES, new_activity
from .school_year import ZONES

LOGO_MAX_BYTES = 1_000_000
PNG, JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


@dataclass
class StructureInput:
    name: Annotated[str, Text(Structure.name)] = ""
    address: Annotated[str, Text(Structure.address)] = ""
    postal_code: Annotated[str, Text(Structure.postal_code)] = ""
    city: Annotated[str, Text(Structure.city)] = ""
    phone: Annotated[str, Text(Structure.phone)] = ""
    email: Annotated[str, Text(Structure.email)] = ""
    zone: Annotated[str, Text(Structure.school_zone)] = "C"
    regie_name: Annotated[str, Text(Structure.regie_name)] = ""
    """The régie de recettes (« Régie enfance-jeunesse de Montech »), printed on receipts and the arrêté."""
    regie_act: Annotated[str, Text(Structure.regie_act)] = ""
    """The act that created it (« arrêté n° 2019-042 du 3 juin 2019 »)."""
    siret: Annotated[str, Text(max_len=40, label="SIRET")] = ""
    """The organiser's SIRET (14 digits, spaces allowed when typed), printed on the childcare tax certificates."""
    regisseur_name: Annotated[str, Text(Structure.regisseur_name)] = ""
    """Who signs the régie's papers (the tax certificates)."""
    logo: bytes | None = None
    """PNG or JPEG bytes (at most 1 Mo); None keeps the current logo (or the application's)."""
    remove_logo: bool = False
    """Back to the application's logo."""


def check_logo(content: bytes) -> bytes:
    """A logo must be a PNG or JPEG image that reportlab can draw."""
    if len(content) > LOGO_MAX_BYTES:
        raise FieldErrors({"logo": f"Logo trop lourd ({len(content) // 1024} Ko ; 1 000 Ko au plus)."})
    if not (content.startswith(PNG) or content.startswith(JPEG)):
        raise FieldErrors({"logo": "Le logo doit être une image PNG ou JPEG."})
    import io

    from reportlab.lib.utils import ImageReader

    try:
        ImageReader(io.BytesIO(content)).getSize()
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the same answer for the agent
        raise FieldErrors({"logo": "Le logo n'est pas une image lisible (PNG ou JPEG)."}) from exc
    return content


def luhn_valid(digits: str) -> bool:
    """The Luhn check a SIRET passes (its 14 digits)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def normalise_siret(text: str) -> str | None:
    """The 14 digits of a SIRET typed with or without spaces (« 218 201 256 00011 »); None when it is not one: not 14
    digits, or a wrong check digit (Luhn). Empty stays empty."""
    digits = "".join(text.split())
    if not digits:
        return ""
    if not (len(digits) == 14 and digits.isascii() and digits.isdigit() and luhn_valid(digits)):
        return None
    return digits


def validate_structure(data: StructureInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = "Le nom de la structure est obligatoire."
    elif len(name) > 120:
        errors["name"] = "Nom de la structure trop long (120 caractères au plus)."
    phone = None
    if data.phone.strip():
        phone = normalise_phone(data.phone)
        if phone is None:
            errors["phone"] = (
                f"Téléphone invalide : « {data.phone.strip()[:30]} » (10 chiffres, ex. 05 63 64 82 44)."
            )
    email = data.email.strip()
    if email and (len(email) > 200 or not EMAIL.match(email)):
        errors["email"] = f"Adresse e-mail invalide : « {email[:60]} »."
    postal = data.postal_code.strip()
    if postal and not re.fullmatch(r"[0-9]{5}", postal):
        errors["postal_code"] = f"Code postal invalide : « {postal[:10]} » (5 chiffres)."
    if len(data.address.strip()) > 200:
        errors["address"] = "Adresse trop longue (200 caractères au plus)."
    if len(data.city.strip()) > 80:
        errors["city"] = "Ville trop longue (80 caractères au plus)."
    siret = normalise_siret(data.siret)
    if siret is None:
        errors["siret"] = (
            f"SIRET invalide : « {data.siret.strip()[:40]} » (14 chiffres, ex. 218 201 256 00011 ; vérifiez-le sur "
            "l'avis de situation au répertoire SIRENE)."
        )
    if len(" ".join(data.regisseur_name.split())) > 120:
        errors["regisseur_name"] = "Nom du régisseur trop long (120 caractères au plus)."
    if data.zone not in ZONES:
        errors["zone"] = f"Zone scolaire inconnue : « {data.zone[:12]} » (A, B, C, Corse ou DOM)."
    if data.logo is not None:
        try:
            check_logo(data.logo)
        except FieldErrors as exc:
            errors.update(exc.fields)
    if errors:
        raise FieldErrors(errors)
    values: dict[str, object] = {
        "name": name,
        "address": data.address.strip(),
        "postal_code": postal,
        "city": data.city.strip(),
        "phone": phone or "",
        "email": email,
        "school_zone": data.zone,
        "regie_name": data.regie_name.strip(),
        "regie_act": data.regie_act.strip(),
        "siret": siret or "",
        "regisseur_name": " ".join(data.regisseur_name.split()),
    }
    if data.logo is not None:
        values["logo"] = data.logo
    elif data.remove_logo:
        values["logo"] = None
    return values


def _code_for(s: Session, name: str) -> str:
    """A unique code from the name: "ALSH Montech" → "ALSH-MONTECH" (then "-2", "-3"…)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:28] or "STRUCTURE"
    taken = set(s.scalars(select(Structure.code).where(Structure.code.like(f"{base}%"))))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def _snapshot(structure: Structure) -> dict[str, object]:
    return {
        "name": structure.name,
        "address": structure.address,
        "postal_code": structure.postal_code,
        "city": structure.city,
        "phone": structure.phone,
        "email": structure.email,
        "zone": structure.school_zone,
        "régie": structure.regie_name,
        "acte": structure.regie_act,
        "siret": structure.siret,
        "régisseur": structure.regisseur_name,
        "logo": len(structure.logo) if structure.logo else None,
    }


def add_structure(
    s: Session, values: dict[str, object], actor: Actor, *, usual_activities: bool, now: datetime
) -> Structure:
    """Inside a transaction: the structure, its usual activities, attached to the acting agent."""
    structure = Structure(code=_code_for(s, str(values["name"])), **values)
    s.add(structure)
    s.flush()
    if usual_activities:
        s.add_all(new_activity(structure.id, t) for t in USUAL_ACTIVITIES)
    if actor.agent_id is not None:
        agent = s.get(Agent, actor.agent_id)
        if agent is not None:
            agent.structures.append(structure)
    s.flush()
    audit.record(
        s,
        at=now,
        action="structure.create",
        entity="structure",
        entity_id=structure.id,
        agent_id=actor.agent_id,
        structure_id=structure.id,
        after=_snapshot(structure) | {"usual_activities": usual_activities},
    )
    return structure


@checked
def create_structure(
    db: Database, actor: Actor, data: StructureInput, *, usual_activities: bool = True
) -> int:
    """A new structure (with the seed's usual activities unless told otherwise). Returns its id."""
    values = validate_structure(data)

    def work(s: Session) -> int:
        structure = add_structure(s, values, actor, usual_activities=usual_activities, now=db.clock.now())
        return structure.id

    return db.write(work, actor=actor, rule=rule("setup.structures.create_structure"), changed=(Shown.TOWN,))


@checked
def update_structure(db: Database, actor: Actor, structure_id: int, data: StructureInput) -> None:
    """Correct a structure's name, address, contact, zone or logo (``data.logo`` None keeps the logo)."""
    values = validate_structure(data)

    def work(s: Session) -> None:
        structure = s.get(Structure, structure_id)
        if structure is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        before = _snapshot(structure)
        for key, value in values.items():
            setattr(structure, key, value)
        audit.record(
            s,
            at=db.clock.now(),
            action="structure.update",
            entity="structure",
            entity_id=structure.id,
            agent_id=actor.agent_id,
            structure_id=structure.id,
            before=before,
            after=_snapshot(structure),
        )

    db.write(work, actor=actor, rule=rule("setup.structures.update_structure"), changed=(Shown.TOWN,))


@dataclass(frozen=True)
class StructureDetail:
    id: int
    code: str
    name: str
    address: str
    postal_code: str
    city: str
    phone: str
    email: str
    zone: str
    has_logo: bool
    regie_name: str = ""
    regie_act: str = ""
    siret: str = ""
    regisseur_name: str = ""


@checked
def structure_details(db: Database) -> list[StructureDetail]:
    with db.reading() as uow:
        return [
            StructureDetail(
                x.id,
                x.code,
                x.name,
                x.address,
                x.postal_code,
                x.city,
                x.phone,
                x.email,
                x.school_zone,
                x.logo is not None,
                x.regie_name,
                x.regie_act,
                x.siret,
                x.regisseur_name,
            )
            for x in uow.session.scalars(select(Structure).order_by(Structure.name))
        ]


@checked
def structure_logo(db: Database, structure_id: int) -> bytes | None:
    """The structure's own logo (to preview it in its form), None when it uses the application's."""
    with db.reading() as uow:
        return uow.session.scalar(select(Structure.logo).where(Structure.id == structure_id))
