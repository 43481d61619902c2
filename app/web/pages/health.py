"""« Mon compte » → a child → « Fiche sanitaire »: the family reads and corrects its child's health and emergency
file (allergies, PAI, diet, doctor, emergency contacts, people allowed to pick the child up, authorisations), saved
as the family (``families.health``, audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...services.actors import Actor
from ...services.errors import DomainError, FieldErrors, UnknownEntity
from ...services.families.health import (
    MAX_CONTACTS,
    ContactInput,
    HealthFile,
    HealthInput,
    health_file,
    save_health_file,
)
from ...services.uow import Database
from ...text import read_date
from ..dependencies import CheckedForm, LoggedInFamily
from ..errors import NotYours
from ..rendering import go, page, say
from ..session import actor
from ..state import Db

router = APIRouter()

ROWS = 3
"""Lines of each kind of contact offered by the form (the counter takes up to ``MAX_CONTACTS``)."""
AUTHORISATIONS = (
    ("photos", "Photos : mon enfant peut être photographié ou filmé pendant les activités"),
    ("leave_alone", "Sortie : mon enfant peut quitter seul l'accueil"),
    ("medical", "Urgence : j'autorise toute intervention médicale ou chirurgicale d'urgence"),
)


def _answer(value: str) -> bool | None:
    return {"oui": True, "non": False}.get(value)


def _date(value: str) -> date | str | None:
    """The date field's value: JJ/MM/AAAA as typed where the browser has no date picker, or AAAA-MM-JJ as a date
    picker sends it; None when empty, the text itself when it is no date."""
    try:
        return read_date(value) if value.strip() else None
    except ValueError:
        return value.strip()[:20]


def _contacts(form: dict[str, str], kind: str) -> list[ContactInput]:
    return [
        ContactInput(
            form.get(f"{kind}{i}_name", ""),
            form.get(f"{kind}{i}_relation", ""),
            form.get(f"{kind}{i}_phone", ""),
        )
        for i in range(MAX_CONTACTS)
    ]


def _input(form: dict[str, str]) -> tuple[HealthInput, str | None]:
    """What the form sent, and the PAI end date's text when it is no date (said as the form's error)."""
    until = _date(form.get("pai_until", ""))
    data = HealthInput(
        has_allergy=form.get("has_allergy") == "1",
        allergies=form.get("allergies", ""),
        pai=form.get("pai") == "1",
        pai_until=until if isinstance(until, date) else None,
        diet=form.get("diet", ""),
        doctor_name=form.get("doctor_name", ""),
        doctor_phone=form.get("doctor_phone", ""),
        emergency=_contacts(form, "emergency"),
        pickup=_contacts(form, "pickup"),
        photos=_answer(form.get("photos", "")),
        leave_alone=_answer(form.get("leave_alone", "")),
        medical=_answer(form.get("medical", "")),
    )
    return data, until if isinstance(until, str) else None


def _rows(people: list[ContactInput]) -> list[ContactInput]:
    kept = [p for p in people if not p.empty]
    return kept + [ContactInput() for _ in range(max(ROWS - len(kept), 1 if len(kept) < MAX_CONTACTS else 0))]


def _context(child_name: str, child_id: int, data: HealthInput, **more: Any) -> dict[str, Any]:
    return {
        "title": f"Fiche sanitaire – {child_name}",
        "child_id": child_id,
        "child_name": child_name,
        "data": data,
        "emergency": _rows(data.emergency),
        "pickup": _rows(data.pickup),
        "answers": [(key, label, getattr(data, key)) for key, label in AUTHORISATIONS],
        **more,
    }


def _fiche(db: Database, who: Actor, child_id: int) -> HealthFile:
    """The child's fiche; another family's child (or none) is a page that does not exist (404)."""
    try:
        return health_file(db, who, child_id)
    except UnknownEntity:
        raise NotYours() from None


@router.get("/compte/enfant/{child_id}", response_class=HTMLResponse)
def health_page(request: Request, child_id: int, family_id: LoggedInFamily, db: Db) -> Response:
    fiche = _fiche(db, actor(request, family_id), child_id)
    return page(
        request, "fiche_sanitaire.html", _context(fiche.child_name, child_id, fiche.as_input(), fiche=fiche)
    )


@router.post("/compte/enfant/{child_id}")
def health_post(
    request: Request, child_id: int, family_id: LoggedInFamily, form: CheckedForm, db: Db
) -> Response:
    who = actor(request, family_id)
    fiche = _fiche(db, who, child_id)
    data, bad_date = _input(form)
    try:
        if bad_date is not None:
            raise FieldErrors(
                {"pai_until": f"Date de fin du PAI invalide : « {bad_date} » (ex. 04/07/2027)."}
            )
        save_health_file(db, who, child_id, data)
    except DomainError as exc:
        fields = exc.fields if isinstance(exc, FieldErrors) else {}
        return page(
            request,
            "fiche_sanitaire.html",
            _context(
                fiche.child_name,
                child_id,
                data,
                fiche=fiche,
                error=str(exc),
                fields=fields,
                pai_until_typed=bad_date,  # shown again to be corrected
            ),
            status=400,
        )
    say(request, f"La fiche sanitaire de {fiche.child_name} est enregistrée.", "ok")
    return go("/compte")
