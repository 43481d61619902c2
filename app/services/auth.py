"""Agents' login (argon2id hashes), temporary lockout after repeated failures, password change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from ..models import Agent, LoginFailure
from ..text import clock_time
from . import audit
from .actors import Actor
from .bounds import PasswordText, checked
from .counter import CounterSession, StructureRow
from .errors import DomainError, ValidationError
from .permissions import rule
from .security import AGENT_MIN, argon2_prefix, check_new_password, hash_password, proof, verify_password
from .uow import Database

MAX_FAILURES = 5
"""Wrong passwords in a row from one workstation that lock the account on that workstation."""
MAX_FAILURES_EVERYWHERE = 20
"""Wrong passwords in a row from every workstation together that lock the account everywhere (a guess spread over
several counters): one counter alone, locked after five, never reaches it."""
LOCKOUT = timedelta(minutes=15)


def this_workstation() -> str:
    """This computer's name (the counter the agent types at): failures and lockouts are counted per workstation."""
    import platform

    return (platform.node() or "poste inconnu")[:64]


class LoginRefused(DomainError):
    def __init__(self) -> None:
        super().__init__("Identifiant ou mot de passe incorrect.")


class AccountLocked(DomainError):
    def __init__(self, until_text: str, *, here: bool = False) -> None:
        where = "sur ce poste " if here else ""
        other = ", depuis un autre poste," if here else ""
        super().__init__(
            f"Trop d'essais : compte bloqué {where}jusqu'à {until_text}. Réessayez plus tard{other} ou "
            "appelez un administrateur."
        )


def credentials_shape(identifier: object, password: object) -> str:
    """The identifier, stripped, when both could be credentials; else ``LoginRefused`` after the same password work
    as a real check (a dummy hash), so that a malformed attempt takes as long as any other. For agents and families."""
    if not isinstance(identifier, str) or not isinstance(password, str):
        raise LoginRefused()
    identifier = identifier.strip()
    if len(identifier) > 64 or len(password) > 1024 or "\x00" in identifier + password:
        verify_password(None, password[:1024])
        raise LoginRefused()
    return identifier


@checked
def login(
    db: Database, identifier: str, password: str, *, workstation: str | None = None
) -> CounterSession:  # checked below, same work always
    """Check the agent's password; after MAX_FAILURES failures in a row from one workstation the account is locked
    on that workstation for LOCKOUT, after MAX_FAILURES_EVERYWHERE from all of them together, everywhere (so that
    nobody locks the only administrator out of every counter by typing at one of them). An attempt on a locked
    account is refused and audited too.

    The password is checked against a hash in every case (a dummy one for an unknown identifier), so that the
    time taken tells nothing; the failures are counted under the agent's locked row, so that attempts made at the
    same moment from several counters all count."""
    identifier = credentials_shape(identifier, password)
    station = (workstation or this_workstation())[:64]
    if db.dialect == "postgresql":
        return _login_on_server(db, identifier, password, station)
    with db.reading() as uow:
        row = uow.session.execute(
            select(Agent.id, Agent.password_hash, Agent.active).where(
                Agent.login == identifier, Agent.system.is_(False)
            )
        ).first()
    checked_hash = row.password_hash if row is not None else None
    ok = verify_password(checked_hash, password)  # a dummy hash when unknown: the same work
    if row is None or not row.active:
        raise LoginRefused()
    agent_id = row.id

    def work(s: Session) -> tuple[CounterSession | None, DomainError | None]:
        now = db.clock.now()
        agent = s.get(
            Agent,
            agent_id,
            with_for_update=True,
            populate_existing=True,
            options=[selectinload(Agent.structures)],
        )
        if agent is None or not agent.active:
            return None, LoginRefused()
        locked = _locked(s, agent, station, now)
        if locked is not None:
            return None, locked
        good = ok if agent.password_hash == checked_hash else verify_password(agent.password_hash, password)
        if not good:
            return None, _failed(s, agent, station, now) or LoginRefused()
        _succeeded(s, agent, station)
        audit.record(s, at=now, action="auth.login", entity="agent", entity_id=agent.id, agent_id=agent.id)
        return _session_of(agent), None

    session, error = db.write(work)
    if error is not None:
        raise error
    assert session is not None  # work() returns a session whenever it returns no error
    return session


def _session_of(agent: Agent) -> CounterSession:
    structures = sorted(agent.structures, key=lambda x: x.name)
    return CounterSession(
        Actor(agent.id, agent.role, agent.full_name),
        [StructureRow(x.id, x.name) for x in structures],
        agent.must_change_password,
        agent.password_version,
    )


def _refusal(outcome: str, until: datetime | None, here: bool | None, wrong: DomainError) -> DomainError:
    if outcome == "locked" and until is not None:
        return AccountLocked(clock_time(until), here=bool(here))
    return wrong


def _login_on_server(db: Database, identifier: str, password: str, station: str) -> CounterSession:
    """On a shared server the database checks the password itself (``pg_security.guichet_login``): the counter
    sends the argon2 hash of what was typed, with the stored hash's salt (an unknown identifier gets a salt of its
    own: the same work, the same answer). A login opens the agent's session (its token on every connection)."""
    import secrets

    with db.reading() as uow:
        prefix = uow.session.scalar(
            text("SELECT guichet_login_params(:login, :default)"),
            {"login": identifier, "default": argon2_prefix()},
        )
    sent = proof(str(prefix or ""), password)
    token = secrets.token_urlsafe(32)

    def work(s: Session) -> tuple[int | None, DomainError | None]:
        row = s.execute(
            text("SELECT * FROM guichet_login(:login, :proof, :station, :token, :now)"),
            {"login": identifier, "proof": sent, "station": station, "token": token, "now": db.clock.now()},
        ).one()
        if row.outcome == "ok":
            return row.agent_id, None
        return None, _refusal(row.outcome, row.until, row.here, LoginRefused())

    agent_id, error = db.write(work)
    if error is not None:
        raise error
    assert agent_id is not None
    db.open_session(token, agent_id)
    with db.reading() as uow:
        agent = uow.session.get(Agent, agent_id, options=[selectinload(Agent.structures)])
        assert agent is not None  # the function found it a moment ago
        return _session_of(agent)


@checked
def logout(db: Database) -> None:
    """The counter's agent leaves: on a shared server his session ends in the database too."""
    if db.dialect == "postgresql" and db.session_token:
        with db.writing() as uow:
            uow.session.execute(text("SELECT guichet_logout()"))
            uow.commit(changed=())  # nothing the other counters show
    db.close_session()


def _station(s: Session, agent: Agent, station: str) -> LoginFailure:
    row = s.get(LoginFailure, (agent.id, station))
    if row is None:
        row = LoginFailure(agent_id=agent.id, workstation=station, failures=0)
        s.add(row)
    return row


def _locked(s: Session, agent: Agent, station: str, now: datetime) -> AccountLocked | None:
    """The lockout that holds for this workstation now (everywhere, or here), the attempt audited; None if none."""
    here = s.get(LoginFailure, (agent.id, station))
    everywhere = agent.locked_until is not None and agent.locked_until > now
    if not everywhere and (here is None or here.locked_until is None or here.locked_until <= now):
        return None
    until = agent.locked_until if everywhere else here.locked_until if here is not None else None
    assert until is not None
    audit.record(
        s,
        at=now,
        action="auth.refused_locked",
        entity="agent",
        entity_id=agent.id,
        agent_id=agent.id,
        after={"poste": station, "bloqué jusqu'à": until},
    )
    return AccountLocked(clock_time(until), here=not everywhere)


def _failed(s: Session, agent: Agent, station: str, now: datetime) -> AccountLocked | None:
    """One more wrong password (at the login, or as the « current password » of a change) from ``station``: after
    MAX_FAILURES in a row from it the account is locked there for LOCKOUT, after MAX_FAILURES_EVERYWHERE from all
    workstations, everywhere. Audited; the caller commits it, then refuses."""
    row = _station(s, agent, station)
    row.failures += 1  # the agent's row is locked: concurrent failures all count
    agent.failed_logins += 1
    everywhere = agent.failed_logins >= MAX_FAILURES_EVERYWHERE
    here = row.failures >= MAX_FAILURES
    if everywhere:
        agent.locked_until, agent.failed_logins = now + LOCKOUT, 0
    if here:
        row.locked_until, row.failures = now + LOCKOUT, 0
    locked = here or everywhere
    audit.record(
        s,
        at=now,
        action="auth.locked" if locked else "auth.failed",
        entity="agent",
        entity_id=agent.id,
        agent_id=agent.id,
        after={"poste": station, "partout": everywhere},
    )
    if not locked:
        return None
    return AccountLocked(clock_time(now + LOCKOUT), here=not everywhere)


def _succeeded(s: Session, agent: Agent, station: str) -> None:
    """The right password: the failures of this workstation and of all of them start again from zero."""
    agent.failed_logins, agent.locked_until = 0, None
    row = s.get(LoginFailure, (agent.id, station))
    if row is not None:
        row.failures, row.locked_until = 0, None


@checked
def change_password(
    db: Database, actor: Actor, current: PasswordText, new: PasswordText, *, workstation: str | None = None
) -> int:
    """Change one's own password (also the forced change of a temporary one). A wrong « current password » counts
    as a failed login (five lock the account on this workstation). Returns the password's new version (what the
    session remembers: another one ends it)."""
    if new == current:
        raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")
    station = (workstation or this_workstation())[:64]
    if db.dialect == "postgresql" and db.session_agent == actor.agent_id:
        return _change_on_server(db, actor, current, new, station)

    def work(s: Session) -> tuple[int | None, DomainError | None]:
        now = db.clock.now()
        agent = s.get(Agent, actor.agent_id, with_for_update=True, populate_existing=True)
        if agent is None:
            return None, LoginRefused()
        locked = _locked(s, agent, station, now)
        if locked is not None:
            return None, locked
        if not verify_password(agent.password_hash, current):
            return None, _failed(s, agent, station, now) or ValidationError("Mot de passe actuel incorrect.")
        check_new_password(new, minimum=AGENT_MIN, personal=(agent.login, agent.full_name))
        agent.password_hash = hash_password(new)
        agent.must_change_password = False
        agent.password_version += 1
        _succeeded(s, agent, station)
        audit.record(s, at=now, action="auth.password", entity="agent", entity_id=agent.id, agent_id=agent.id)
        return agent.password_version, None

    changed, error = db.write(work, actor=actor, rule=rule("auth.change_password"))
    if error is not None:
        raise error
    assert changed is not None
    return changed


def _change_on_server(db: Database, actor: Actor, current: str, new: str, station: str) -> int:
    """On a shared server: the new password checked here (the policy needs it in clear), its hash and the proof of
    the current one sent to the database, which checks, counts a failure or changes it (``guichet_change_password``)."""
    with db.reading() as uow:
        me = uow.session.execute(
            select(Agent.login, Agent.full_name).where(Agent.id == actor.agent_id)
        ).first()
        if me is None:
            raise LoginRefused()
        prefix = uow.session.scalar(
            text("SELECT guichet_login_params(:login, :default)"),
            {"login": me.login, "default": argon2_prefix()},
        )
    check_new_password(new, minimum=AGENT_MIN, personal=(me.login, me.full_name))
    sent, new_hash = proof(str(prefix or ""), current), hash_password(new)

    def work(s: Session) -> tuple[int | None, DomainError | None]:
        row = s.execute(
            text("SELECT * FROM guichet_change_password(:agent, :proof, :new, :station, :now)"),
            {
                "agent": actor.agent_id,
                "proof": sent,
                "new": new_hash,
                "station": station,
                "now": db.clock.now(),
            },
        ).one()
        if row.outcome == "ok":
            return row.version, None
        if row.outcome == "no_session":
            from .actors import AgentRefused

            return None, AgentRefused()
        return None, _refusal(
            row.outcome, row.until, row.here, ValidationError("Mot de passe actuel incorrect.")
        )

    changed, error = db.write(work, actor=actor, rule=rule("auth.change_password"))
    if error is not None:
        raise error
    assert changed is not None
    return changed
