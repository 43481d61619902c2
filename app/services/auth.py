"""Agents' login (argon2id hashes), temporary lockout after repeated failures, password change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..clock import PARIS
from ..models import Agent
from . import audit
from .actors import Actor
from .bounds import PasswordText, checked
from .counter import CounterSession, StructureRow
from .errors import DomainError, ValidationError
from .permissions import rule
from .security import AGENT_MIN, check_new_password, fingerprint, hash_password, verify_password
from .uow import Database

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class LoginRefused(DomainError):
    def __init__(self) -> None:
        super().__init__("Identifiant ou mot de passe incorrect.")


class AccountLocked(DomainError):
    def __init__(self, until_text: str) -> None:
        super().__init__(f"Trop d'essais : compte bloqué jusqu'à {until_text}. Réessayez plus tard ou appelez un "
                         "administrateur.")  # fmt: skip


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
def login(db: Database, identifier: str, password: str) -> CounterSession:  # checked below, same work always
    """Check the agent's password; after MAX_FAILURES failures in a row the account is locked for LOCKOUT.

    The password is checked against a hash in every case (a dummy one for an unknown identifier), so that the
    time taken tells nothing; the failures are counted on the agent's locked row, so that attempts made at the
    same moment from several counters all count."""
    identifier = credentials_shape(identifier, password)
    with db.reading() as uow:
        row = uow.session.execute(
            select(Agent.id, Agent.password_hash, Agent.active).where(
                Agent.login == identifier, Agent.system.is_(False)
            )  # fmt: skip
        ).first()
    checked_hash = row.password_hash if row is not None else None
    ok = verify_password(checked_hash, password)  # a dummy hash when unknown: the same work
    if row is None or not row.active:
        raise LoginRefused()
    agent_id = row.id

    def work(s: Session) -> tuple[CounterSession | None, DomainError | None]:
        now = db.clock.now()
        agent = s.get(Agent, agent_id, with_for_update=True, populate_existing=True,
                      options=[selectinload(Agent.structures)])  # fmt: skip
        if agent is None or not agent.active:
            return None, LoginRefused()
        if agent.locked_until is not None and agent.locked_until > now:
            return None, AccountLocked(f"{agent.locked_until.astimezone(PARIS):%H:%M}")
        good = ok if agent.password_hash == checked_hash else verify_password(agent.password_hash, password)
        if not good:
            return None, _failed(s, agent, now) or LoginRefused()
        agent.failed_logins = 0
        agent.locked_until = None
        audit.record(s, at=now, action="auth.login", entity="agent", entity_id=agent.id, agent_id=agent.id)
        structures = sorted(agent.structures, key=lambda x: x.name)
        return CounterSession(Actor(agent.id, agent.role, agent.full_name),
                              [StructureRow(x.id, x.name) for x in structures],
                              agent.must_change_password, fingerprint(agent.password_hash)), None  # fmt: skip

    session, error = db.write(work)
    if error is not None:
        raise error
    assert session is not None  # work() returns a session whenever it returns no error
    return session


def _failed(s: Session, agent: Agent, now: datetime) -> AccountLocked | None:
    """One more wrong password (at the login, or as the « current password » of a change): after MAX_FAILURES in a
    row the account is locked for LOCKOUT. Audited; the caller commits it, then refuses."""
    agent.failed_logins += 1  # the row is locked: concurrent failures all count
    locked = agent.failed_logins >= MAX_FAILURES
    if locked:
        agent.locked_until, agent.failed_logins = now + LOCKOUT, 0
    audit.record(s, at=now, action="auth.locked" if locked else "auth.failed", entity="agent", entity_id=agent.id,
                 agent_id=agent.id)  # fmt: skip
    return AccountLocked(f"{(now + LOCKOUT).astimezone(PARIS):%H:%M}") if locked else None


@checked
def change_password(db: Database, actor: Actor, current: PasswordText, new: PasswordText) -> str:
    """Change one's own password (also the forced change of a temporary one). A wrong « current password » counts
    as a failed login (five lock the account). Returns what the session now remembers of it (``fingerprint``)."""
    if new == current:
        raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")

    def work(s: Session) -> tuple[str | None, DomainError | None]:
        now = db.clock.now()
        agent = s.get(Agent, actor.agent_id, with_for_update=True, populate_existing=True)
        if agent is None:
            return None, LoginRefused()
        if agent.locked_until is not None and agent.locked_until > now:
            return None, AccountLocked(f"{agent.locked_until.astimezone(PARIS):%H:%M}")
        if not verify_password(agent.password_hash, current):
            return None, _failed(s, agent, now) or ValidationError("Mot de passe actuel incorrect.")
        check_new_password(new, minimum=AGENT_MIN, personal=(agent.login, agent.full_name))
        agent.password_hash = hash_password(new)
        agent.must_change_password = False
        agent.failed_logins = 0
        audit.record(s, at=now, action="auth.password", entity="agent", entity_id=agent.id, agent_id=agent.id)
        return fingerprint(agent.password_hash), None

    changed, error = db.write(work, actor=actor, rule=rule("auth.change_password"))
    if error is not None:
        raise error
    assert changed is not None
    return changed
