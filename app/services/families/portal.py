"""The family portal's accounts: login with the identifier and password issued at the counter (« Accès portail »),
the same lockout as the agents', the forced change of a temporary password, and « mot de passe oublié » — a
single-use link valid one hour, sent through the outbox (never the password itself). No web import here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import Child, Family, InfoMessage, PortalResetToken, Structure
from .. import audit
from ..actors import Actor, FamilyRefused, authorize
from ..auth import LOCKOUT, MAX_FAILURES, AccountLocked, LoginRefused, credentials_shape
from ..booking.basket import ConfirmResult
from ..bounds import OperationKey, PasswordText, checked
from ..counter import ActivityRow, activities_for
from ..end_of_day.outbox import queue_email
from ..errors import FieldErrors, ValidationError
from ..permissions import rule
from ..security import FAMILY_MIN, check_new_password, fingerprint, hash_password, verify_password
from ..uow import Database, Operation, _read_stored
from .edit import _check_contact
from .search import refresh_search_text

RESET_VALIDITY = timedelta(hours=1)


@dataclass(frozen=True)
class FamilySession:
    """A family logged in on the portal."""

    family_id: int
    name: str
    login: str
    must_change_password: bool
    """A temporary password: the portal asks for a new one before anything else."""

    @property
    def actor(self) -> Actor:
        return Actor.family(self.family_id, self.name)


class ResetLinkInvalid(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            "Ce lien n'est plus valable (déjà utilisé, ou plus d'une heure) : demandez-en un nouveau."
        )


def _answer(outcome: tuple[FamilySession | None, Exception | None]) -> FamilySession:
    """A write that records a failure (counted, audited, committed) and only then refuses."""
    session, error = outcome
    if error is not None:
        raise error
    assert session is not None
    return session


def _failed(s: Session, family: Family, now: datetime) -> AccountLocked | None:
    """One more wrong password: after ``MAX_FAILURES`` in a row the account is locked for ``LOCKOUT``."""
    family.portal_failed_logins += 1  # the row is locked: attempts at the same moment all count
    locked = family.portal_failed_logins >= MAX_FAILURES
    if locked:
        family.portal_locked_until, family.portal_failed_logins = now + LOCKOUT, 0
    audit.record(s, at=now, action="portal.locked" if locked else "portal.failed", entity="family",
                 entity_id=family.id, family_id=family.id)  # fmt: skip
    return AccountLocked(f"{(now + LOCKOUT).astimezone(PARIS):%H:%M}") if locked else None


def _personal(family: Family) -> tuple[str, ...]:
    """What a family's password must not contain: its identifier, its name, its e-mail address."""
    return tuple(x for x in (family.portal_login, family.name, family.email) if x)


def _session_of(family: Family) -> FamilySession:
    return FamilySession(family.id, family.name, family.portal_login or "", family.portal_must_change)


@checked
def family_login(db: Database, identifier: str, password: str) -> FamilySession:
    """Check a family's portal password; after ``MAX_FAILURES`` failures in a row the account is locked for
    ``LOCKOUT`` (as the agents'). The same work whatever the identifier (a dummy hash when it is unknown)."""
    identifier = credentials_shape(identifier, password)
    with db.reading() as uow:
        row = uow.session.execute(
            select(Family.id, Family.portal_password_hash, Family.anonymized_at).where(
                func.lower(Family.portal_login) == identifier.lower()
            )
        ).first()
    checked_hash = row.portal_password_hash if row is not None else None
    ok = verify_password(checked_hash, password)
    if row is None or row.anonymized_at is not None or checked_hash is None:
        raise LoginRefused()
    family_id = row.id

    def work(s: Session) -> tuple[FamilySession | None, LoginRefused | AccountLocked | None]:
        now = db.clock.now()
        family = s.get(Family, family_id, with_for_update=True, populate_existing=True)
        if family is None or family.portal_password_hash is None:
            return None, LoginRefused()
        if family.portal_locked_until is not None and family.portal_locked_until > now:
            return None, AccountLocked(f"{family.portal_locked_until.astimezone(PARIS):%H:%M}")
        good = ok if family.portal_password_hash == checked_hash else verify_password(family.portal_password_hash,
                                                                                      password)  # fmt: skip
        if not good:
            return None, _failed(s, family, now) or LoginRefused()
        family.portal_failed_logins = 0
        family.portal_locked_until = None
        audit.record(
            s, at=now, action="portal.login", entity="family", entity_id=family.id, family_id=family.id
        )
        return _session_of(family), None

    return _answer(db.write(work))


@checked
def change_family_password(
    db: Database, family_id: int, current: PasswordText, new: PasswordText
) -> FamilySession:
    """The family's own password (also the forced change of the counter's temporary one)."""
    if new == current:
        raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")

    def work(s: Session) -> tuple[FamilySession | None, Exception | None]:
        now = db.clock.now()
        family = s.get(Family, family_id, with_for_update=True)
        if family is None or family.anonymized_at is not None:
            raise FamilyRefused()
        if family.portal_locked_until is not None and family.portal_locked_until > now:
            return None, AccountLocked(f"{family.portal_locked_until.astimezone(PARIS):%H:%M}")
        if not verify_password(
            family.portal_password_hash, current
        ):  # a stolen session guessing: counted too
            return None, _failed(s, family, now) or ValidationError("Mot de passe actuel incorrect.")
        check_new_password(new, minimum=FAMILY_MIN, personal=_personal(family))
        family.portal_password_hash = hash_password(new)
        family.portal_must_change = False
        family.portal_failed_logins = 0
        cancel_reset_links(s, family.id, now)
        audit.record(s, at=now, action="portal.password_changed", entity="family", entity_id=family.id,
                     family_id=family.id)  # fmt: skip
        return _session_of(family), None

    return _answer(db.write(work))


def cancel_reset_links(s: Session, family_id: int, now: datetime) -> None:
    """The family's open « mot de passe oublié » links stop working (a new password, a new e-mail address)."""
    s.execute(update(PortalResetToken).where(PortalResetToken.family_id == family_id,
                                             PortalResetToken.used_at.is_(None)).values(used_at=now))  # fmt: skip


@checked
def session_state(db: Database, family_id: int) -> tuple[str, bool] | None:
    """For each page: the password's fingerprint and whether it must be changed; None when the family may no
    longer use the portal (access removed, family anonymised, account locked)."""
    with db.reading() as uow:
        row = uow.session.execute(
            select(
                Family.portal_password_hash,
                Family.portal_must_change,
                Family.anonymized_at,
                Family.portal_locked_until,
            ).where(Family.id == family_id)  # fmt: skip
        ).first()
    if row is None or row.portal_password_hash is None or row.anonymized_at is not None:
        return None
    if row.portal_locked_until is not None and row.portal_locked_until > db.clock.now():
        return None
    return fingerprint(row.portal_password_hash), row.portal_must_change


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@checked
def request_reset(db: Database, identifier: str, link_base: str) -> None:
    """« Mot de passe oublié » for an identifier or the family's e-mail address: when one account matches and has
    an e-mail, a link ``link_base + token`` valid ``RESET_VALIDITY`` is queued in the outbox (sent by the next
    sending). Nothing tells whether an account matched (the same answer every time)."""
    text = (identifier or "").strip().lower()
    if not text or len(text) > 200:
        return
    token = secrets.token_urlsafe(32)

    def work(s: Session) -> None:
        now = db.clock.now()
        matches = list(
            s.scalars(
                select(Family).where(
                    Family.anonymized_at.is_(None),
                    Family.portal_password_hash.is_not(None),
                    (func.lower(Family.portal_login) == text) | (func.lower(Family.email) == text),
                )
            )
        )
        if len(matches) != 1 or not matches[0].email:
            return
        family = matches[0]
        cancel_reset_links(s, family.id, now)  # one link at a time: an earlier one stops working
        s.add(PortalResetToken(family_id=family.id, token_hash=_digest(token), created_at=now,
                               expires_at=now + RESET_VALIDITY))  # fmt: skip
        until = (now + RESET_VALIDITY).astimezone(PARIS)
        queue_email(s, kind="portal_reset", dedup_key=f"portal-reset-{_digest(token)[:32]}", family=family,
                    subject="Portail famille : choisir un nouveau mot de passe",
                    body=(f"Bonjour,\n\nPour choisir un nouveau mot de passe pour le portail famille (identifiant "
                          f"{family.portal_login}), ouvrez ce lien avant {until:%H:%M} le {until:%d/%m/%Y} :\n\n"
                          f"{link_base}{token}\n\nIl ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce "
                          "message : votre mot de passe ne change pas.\n\nLe service enfance-jeunesse"),
                    now=now)  # fmt: skip
        audit.record(s, at=now, action="portal.reset_requested", entity="family", entity_id=family.id,
                     family_id=family.id)  # fmt: skip

    db.write(work)


@checked
def reset_password(db: Database, token: str, new: PasswordText) -> FamilySession:
    """A new password through a reset link: the link is used once, within the hour; the lockout is lifted."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise ResetLinkInvalid()

    def work(s: Session) -> FamilySession:
        now = db.clock.now()
        row = s.scalar(
            select(PortalResetToken).where(PortalResetToken.token_hash == _digest(token)).with_for_update()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise ResetLinkInvalid()
        family = s.get(Family, row.family_id, with_for_update=True)
        if family is None or family.anonymized_at is not None:
            raise ResetLinkInvalid()
        check_new_password(new, minimum=FAMILY_MIN, personal=_personal(family))
        row.used_at = now
        family.portal_password_hash = hash_password(new)
        family.portal_must_change = False
        family.portal_failed_logins = 0
        family.portal_locked_until = None
        audit.record(
            s, at=now, action="portal.reset", entity="family", entity_id=family.id, family_id=family.id
        )
        return _session_of(family)

    return db.write(work)


@checked
def reset_link_valid(db: Database, token: str) -> bool:
    """Whether a reset link may still be used (the page asks for a new password only then)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return False
    with db.reading() as uow:
        row = uow.session.scalar(
            select(PortalResetToken).where(PortalResetToken.token_hash == _digest(token))
        )
        return row is not None and row.used_at is None and row.expires_at > db.clock.now()


# --- what the portal's pages read and write for a family ------------------------------------------------------


@dataclass(frozen=True)
class PortalMessage:
    structure: str
    title: str
    body: str


@checked
def current_messages(db: Database, today: date) -> list[PortalMessage]:
    """The structures' information messages valid today (« Accueil »: read them before booking)."""
    with db.reading() as uow:
        return [
            PortalMessage(structure.name, message.title, message.body)
            for message, structure in uow.session.execute(
                select(InfoMessage, Structure)
                .join(Structure, InfoMessage.structure_id == Structure.id)
                .where(
                    InfoMessage.valid_from <= today,
                    (InfoMessage.valid_to.is_(None)) | (InfoMessage.valid_to >= today),
                )  # fmt: skip
                .order_by(Structure.name, InfoMessage.valid_from.desc())
            )
        ]


@checked
def portal_activities(db: Database) -> list[ActivityRow]:
    """Every active activity a family may book online, by structure then name."""
    with db.reading() as uow:
        ids = list(uow.session.scalars(select(Structure.id)))
    return activities_for(db, ids)


@checked
def update_contact(db: Database, actor: Actor, email: str, phone: str) -> None:
    """« Mon compte »: the family's own e-mail (where the comptes-rendus and reset links go) and phone."""
    errors: dict[str, str] = {}
    phone_ok, email_ok = _check_contact(errors, "", "", phone or "", email or "")
    if errors:
        raise FieldErrors(errors)

    def work(s: Session) -> None:
        who = authorize(s, actor, rule("families.portal.update_contact"))
        family = s.get(Family, who.family_id) if who.family_id is not None else None
        if family is None:
            raise FamilyRefused()
        before = {"email": family.email, "phone": family.phone}
        if (family.email or "").lower() != (email_ok or "").lower():
            cancel_reset_links(
                s, family.id, db.clock.now()
            )  # a link sent to the former address stops working
        family.email, family.phone = email_ok, phone_ok
        refresh_search_text(family)
        audit.record(s, at=db.clock.now(), action="portal.contact", entity="family", entity_id=family.id,
                     family_id=family.id, before=before, after={"email": email_ok, "phone": phone_ok})  # fmt: skip

    db.write(work, actor=actor, rule=rule("families.portal.update_contact"))


@checked
def confirmed_outcome(db: Database, family_id: int, key: OperationKey) -> ConfirmResult | None:
    """What a family's « Confirmer » gave (read back from its operation key, for the result page); None when that
    key confirmed nothing, or another family's basket."""
    result = _read_stored(db, Operation(key, "basket.confirm", ConfirmResult))
    if result is None:
        return None
    with db.reading() as uow:
        own = set(uow.session.scalars(select(Child.id).where(Child.family_id == family_id)))
    return result if all(o.line.child_id in own for o in result.outcomes) else None
