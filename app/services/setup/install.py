"""The first run of a real town (no demonstration): on an empty database, the structures with their usual
activities, the first administrator (identifier and password chosen there), the zone and the school year, in one
transaction. Used by the set-up assistant and by ``python -m app setup``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ...models import Agent, Role, Structure
from ...text import count
from .. import audit
from ..actors import Actor
from ..bounds import PasswordText, PersonName, Text, checked
from ..errors import DomainError, ValidationError
from ..families.edit import FieldErrors
from ..security import check_new_password
from ..uow import Database, Shown
from .agents import add_agent, check_full_name, check_login
from .school_year import GenerationReport, check_zone, generate_in, parse_school_year
from .structures import StructureInput, add_structure, validate_structure

INSTALLER = Actor(None, Role.ADMIN, "mise en service")


class NotAnEmptyDatabase(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"La base de données contient déjà des données ({what}) : la mise en service d'une commune se fait "
            "sur une base vide. Connectez-vous avec un compte administrateur existant."
        )


@dataclass
class InstallInput:
    structures: list[StructureInput]
    admin_login: Annotated[str, Text(Agent.login)]
    admin_name: PersonName
    admin_password: PasswordText
    zone: Annotated[str, Text(max_len=12, label="zone")]
    school_year: Annotated[str | None, Text(max_len=9, label="année scolaire")] = None
    """The school year to prepare at once (holidays, public holidays, activity days); None: later."""


@dataclass
class InstallReport:
    structure_ids: list[int]
    admin_id: int
    admin_login: str
    generation: GenerationReport | None = None

    def lines(self) -> list[str]:
        out = [
            f"Mise en service : {count(len(self.structure_ids), 'structure')}, "
            f"administrateur « {self.admin_login} »."
        ]
        if self.generation is not None:
            out += self.generation.lines()
        return out


@checked
def installed(db: Database) -> str | None:
    """What the database holds already (agents or structures), or None when a town can be set up on it."""
    with db.reading() as uow:
        return _held(uow.session)


def _held(s: Session) -> str | None:
    """Agents (the "système" agent of every schema apart) or structures already there."""
    agents = s.scalar(select(func.count()).select_from(Agent).where(Agent.system.is_(False)))
    if agents:
        return count(agents, "agent")
    structures = s.scalar(select(func.count()).select_from(Structure))
    return count(structures, "structure") if structures else None


@checked
def install(db: Database, data: InstallInput) -> InstallReport:
    """Set a town up on an empty database; refuses a database that already holds agents or structures."""
    if not data.structures:
        raise ValidationError("Indiquez au moins une structure.")
    zone = check_zone(data.zone)
    structures = []
    for i, structure in enumerate(data.structures):
        try:
            structures.append(validate_structure(StructureInput(**{**structure.__dict__, "zone": zone})))
        except FieldErrors as exc:
            raise FieldErrors({f"structure{i}.{k}": v for k, v in exc.fields.items()}) from exc
    login, name = check_login(data.admin_login), check_full_name(data.admin_name)
    try:
        check_new_password(data.admin_password, personal=(data.admin_login, data.admin_name))
    except ValidationError as exc:
        raise FieldErrors({"password": str(exc)}) from exc
    school_year = parse_school_year(data.school_year) if data.school_year else None

    def work(s: Session) -> InstallReport:
        if db.dialect == "postgresql":  # two assistants on one empty server: one at a time
            s.execute(text("SELECT pg_advisory_xact_lock(421001)"))
        held = _held(s)
        if held is not None:
            raise NotAnEmptyDatabase(held)
        now = db.clock.now()
        admin = add_agent(
            s,
            INSTALLER,
            now,
            login=login,
            full_name=name,
            role=Role.ADMIN,
            password=data.admin_password,
            must_change=False,
            structures=[],
        )
        actor = Actor(admin.id, Role.ADMIN, admin.full_name)
        created = [add_structure(s, values, actor, usual_activities=True, now=now) for values in structures]
        audit.record(
            s,
            at=now,
            action="setup.install",
            entity="town",
            agent_id=admin.id,
            after={"structures": [x.name for x in created], "zone": zone, "school_year": school_year},
        )
        report = InstallReport([x.id for x in created], admin.id, admin.login)
        if school_year is not None:
            report.generation = generate_in(s, actor, now, school_year)
        return report

    return db.write(work, changed=tuple(Shown))  # a town from nothing: everything
