"""Agents (Administration → Agents): create, change role, attach to structures, disable, reset a password
(temporary, shown once, changed at the next login), unlock. The last active administrator can be neither
disabled nor demoted. Administrators only; every change audited."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from ...models import Agent, LoginFailure, Role, Structure
from ...text import collation_key
from .. import audit
from ..actors import Actor
from ..bounds import PersonName, Text, checked
from ..errors import UnknownEntity, ValidationError
from ..families.edit import FieldErrors
from ..permissions import rule
from ..security import hash_password, temporary_password
from ..uow import Database, Shown

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
ROLE_LABELS = {Role.AGENT: "agent", Role.SUPERVISOR: "régisseur", Role.ADMIN: "administrateur"}

_BeforeAfter = tuple[dict[str, Any], dict[str, Any]]
"""What a change to an agent audits: the fields before, and after."""


@dataclass(frozen=True)
class AgentRow:
    id: int
    login: str
    full_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    """Locked on every workstation until then (None: not, or no longer)."""
    locked_at: tuple[tuple[str, datetime], ...]
    """The workstations where it is locked now, and until when."""
    must_change_password: bool
    structure_ids: tuple[int, ...]
    structures: str
    health_access: bool = False
    """Sees the children's health files (« Accès aux fiches sanitaires »)."""

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True)
class TemporaryPassword:
    """Shown once to the administrator, who hands it to the agent; only its hash is stored."""

    agent_id: int
    login: str
    password: str


def check_login(login: str) -> str:
    login = (login or "").strip().lower()
    if not LOGIN.fullmatch(login):
        raise FieldErrors(
            {
                "login": "Identifiant invalide : 2 à 64 caractères, lettres minuscules sans accent, "
                "chiffres, point, tiret ou tiret bas (ex. mdurand)."
            }
        )
    return login


def check_full_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise FieldErrors({"full_name": "Le nom de l'agent est obligatoire (120 caractères au plus)."})
    return name


def _agent(s: Session, agent_id: int, *, lock: bool = False) -> Agent:
    stmt = (
        select(Agent)
        .where(Agent.id == agent_id, Agent.system.is_(False))
        .options(selectinload(Agent.structures))
    )
    if lock:
        stmt = stmt.with_for_update()
    agent = s.scalar(stmt)
    if agent is None:
        raise UnknownEntity(f"Agent inconnu (n° {agent_id}).")
    return agent


def _structures(s: Session, ids: Sequence[int]) -> list[Structure]:
    rows = list(s.scalars(select(Structure).where(Structure.id.in_(list(ids)))))
    if len(rows) != len(set(ids)):
        raise UnknownEntity("Structure inconnue dans la sélection.")
    return rows


def _keep_an_admin(s: Session, agent: Agent) -> None:
    """Refuse to leave the town without an active administrator (the admins' rows are locked meanwhile)."""
    others = s.scalars(
        select(Agent.id)
        .where(
            Agent.role == Role.ADMIN, Agent.active.is_(True), Agent.id != agent.id, Agent.system.is_(False)
        )
        .order_by(Agent.id)
        .with_for_update()
    ).all()
    if not others:
        raise ValidationError(
            f"{agent.full_name} est le dernier administrateur actif : nommez d'abord un autre administrateur."
        )


def add_agent(
    s: Session,
    actor: Actor,
    now: datetime,
    *,
    login: str,
    full_name: str,
    role: Role,
    password: str,
    must_change: bool,
    structures: Sequence[Structure],
) -> Agent:
    """Inside a transaction: a new agent with a hashed password, audited."""
    if s.scalar(select(Agent.id).where(Agent.login == login)) is not None:
        raise FieldErrors({"login": f"L'identifiant « {login} » est déjà pris."})
    agent = Agent(
        login=login,
        full_name=full_name,
        role=Role(role),
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
        must_change_password=must_change,
        created_at=now,
        structures=list(structures),
    )
    s.add(agent)
    s.flush()
    audit.record(
        s,
        at=now,
        action="agent.create",
        entity="agent",
        entity_id=agent.id,
        agent_id=actor.agent_id if actor.agent_id is not None else agent.id,
        after={
            "login": login,
            "full_name": full_name,
            "role": agent.role,
            "structures": [x.id for x in structures],
        },
    )
    return agent


@checked
def create_agent(
    db: Database,
    actor: Actor,
    login: Annotated[str, Text(Agent.login)],
    full_name: PersonName,
    role: Role,
    structure_ids: Sequence[int],
    health_access: bool = False,
) -> TemporaryPassword:
    """A new agent with a temporary password (returned once) to change at the first login; with
    ``health_access``, the right to the health files given in the same transaction (its own audit row)."""
    login, full_name = check_login(login), check_full_name(full_name)
    role = Role(role)
    if not structure_ids:
        raise FieldErrors({"structures": "Un agent travaille dans une structure au moins."})
    password = temporary_password()

    def work(s: Session) -> int:
        agent = add_agent(
            s,
            actor,
            db.clock.now(),
            login=login,
            full_name=full_name,
            role=role,
            password=password,
            must_change=True,
            structures=_structures(s, structure_ids),
        )
        if health_access:
            _give_health_access(s, actor, db.clock.now(), agent, True)
        return agent.id

    return TemporaryPassword(
        db.write(work, actor=actor, rule=rule("setup.agents.create_agent"), changed=(Shown.TOWN,)),
        login,
        password,
    )


def _give_health_access(s: Session, actor: Actor, now: datetime, agent: Agent, allowed: bool) -> None:
    """Inside a transaction: give or take the right to the health files, audited as ``agent.health_access`` (a
    GDPR art. 9 decision, one row of its own); nothing when it does not change."""
    if agent.health_access == bool(allowed):
        return
    before = {"health_access": agent.health_access}
    agent.health_access = bool(allowed)
    audit.record(
        s,
        at=now,
        action="agent.health_access",
        entity="agent",
        entity_id=agent.id,
        agent_id=actor.agent_id if actor.agent_id is not None else agent.id,
        before=before,
        after={"health_access": agent.health_access},
    )


def _change(
    db: Database,
    actor: Actor,
    agent_id: int,
    action: str,
    apply: Callable[[Session, Agent], _BeforeAfter],
    service: str,
    reason: str | None = None,
) -> None:
    def work(s: Session) -> None:
        agent = _agent(s, agent_id, lock=True)
        before, after = apply(s, agent)
        if before != after:
            audit.record(
                s,
                at=db.clock.now(),
                action=action,
                entity="agent",
                entity_id=agent.id,
                agent_id=actor.agent_id,
                before=before,
                after=after,
                reason=reason,
            )

    db.write(work, actor=actor, rule=rule(service), changed=(Shown.TOWN,))


@checked
def set_role(db: Database, actor: Actor, agent_id: int, role: Role) -> None:
    role = Role(role)

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        if agent.role is Role.ADMIN and role is not Role.ADMIN and agent.active:
            _keep_an_admin(s, agent)
        before = {"role": agent.role}
        agent.role = role
        return before, {"role": role}

    _change(db, actor, agent_id, "agent.role", apply, "setup.agents.set_role")


@checked
def set_active(db: Database, actor: Actor, agent_id: int, active: bool) -> None:
    """Disable an agent (they can no longer log in; their history stays) or enable them again."""

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        if not active and agent.active and agent.role is Role.ADMIN:
            _keep_an_admin(s, agent)
        before = {"active": agent.active}
        agent.active = bool(active)
        return before, {"active": agent.active}

    _change(
        db, actor, agent_id, "agent.enable" if active else "agent.disable", apply, "setup.agents.set_active"
    )


@checked
def update_agent(
    db: Database,
    actor: Actor,
    agent_id: int,
    *,
    full_name: PersonName,
    role: Role,
    structure_ids: Sequence[int],
    health_access: bool | None = None,
) -> None:
    """Name, role, structures and (unless ``health_access`` is None) the right to the health files of an agent in
    one transaction (the agent form's "Enregistrer"); a change of the right has its own audit row."""
    name, role = check_full_name(full_name), Role(role)
    if not structure_ids:
        raise FieldErrors({"structures": "Un agent travaille dans une structure au moins."})

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        if agent.role is Role.ADMIN and role is not Role.ADMIN and agent.active:
            _keep_an_admin(s, agent)
        before = {
            "full_name": agent.full_name,
            "role": agent.role,
            "structures": sorted(x.id for x in agent.structures),
        }
        agent.full_name, agent.role = name, role
        agent.structures = _structures(s, structure_ids)
        if health_access is not None:
            _give_health_access(s, actor, db.clock.now(), agent, health_access)
        return before, {"full_name": name, "role": role, "structures": sorted(x.id for x in agent.structures)}

    _change(db, actor, agent_id, "agent.update", apply, "setup.agents.update_agent")


@checked
def reset_password(db: Database, actor: Actor, agent_id: int) -> TemporaryPassword:
    """A new temporary password (shown once), to change at the next login; the account is unlocked too."""
    password = temporary_password()
    login: list[str] = []

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        agent.password_hash = hash_password(password)
        agent.must_change_password = True
        agent.password_version += 1  # an open session of the agent ends
        agent.failed_logins, agent.locked_until = 0, None
        s.execute(delete(LoginFailure).where(LoginFailure.agent_id == agent.id))
        login.append(agent.login)
        return {"password": "ancien"}, {"password": "provisoire", "must_change_password": True}

    _change(db, actor, agent_id, "agent.password_reset", apply, "setup.agents.reset_password")
    return TemporaryPassword(agent_id, login[-1], password)


@checked
def unlock(db: Database, actor: Actor, agent_id: int) -> None:
    """Lift a lockout after too many wrong passwords (everywhere and on every workstation)."""

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        stations = {
            f.workstation: f.locked_until
            for f in s.scalars(
                select(LoginFailure).where(
                    LoginFailure.agent_id == agent.id, LoginFailure.locked_until.is_not(None)
                )
            )
        }
        before = {
            "locked_until": agent.locked_until,
            "failed_logins": agent.failed_logins,
            "postes": stations,
        }
        agent.locked_until, agent.failed_logins = None, 0
        s.execute(delete(LoginFailure).where(LoginFailure.agent_id == agent.id))
        return before, {"locked_until": None, "failed_logins": 0}

    _change(db, actor, agent_id, "agent.unlock", apply, "setup.agents.unlock")


@checked
def set_health_access(db: Database, actor: Actor, agent_id: int, allowed: bool) -> None:
    """Give an agent the right to the children's health files (the Famille tab's « Fiche sanitaire », the attendance
    list's health page; GDPR art. 9), or take it back: effective at the agent's next action."""

    def apply(s: Session, agent: Agent) -> _BeforeAfter:
        _give_health_access(s, actor, db.clock.now(), agent, allowed)
        return {}, {}  # audited by _give_health_access

    _change(db, actor, agent_id, "agent.health_access", apply, "setup.agents.set_health_access")


@checked
def agents(db: Database) -> list[AgentRow]:
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(Agent)
            .where(Agent.system.is_(False))
            .options(selectinload(Agent.structures))
            .order_by(Agent.active.desc(), Agent.full_name)
        )
        now = db.clock.now()
        stations: dict[int, list[tuple[str, datetime]]] = {}
        for f in uow.session.scalars(select(LoginFailure).where(LoginFailure.locked_until > now)):
            assert f.locked_until is not None
            stations.setdefault(f.agent_id, []).append((f.workstation, f.locked_until))
        return [
            AgentRow(
                a.id,
                a.login,
                a.full_name,
                a.role,
                a.active,
                a.locked_until if a.locked_until is not None and a.locked_until > now else None,
                tuple(sorted(stations.get(a.id, []))),
                a.must_change_password,
                tuple(sorted(x.id for x in a.structures)),
                ", ".join(sorted((x.name for x in a.structures), key=collation_key)),
                a.health_access,
            )
            for a in sorted(rows, key=lambda a: (not a.active, collation_key(a.full_name)))
        ]
