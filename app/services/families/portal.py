"""The family portal's accounts: login with the identifier and password issued at the counter (« Accès portail »),
the same lockout as the agents', the forced change of a temporary password, and « mot de passe oublié » — a
single-use link valid one hour, sent through the outbox (never the password itself). No web import here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import (
    Activity,
    Child,
    Family,
    InfoMessage,
    OutboxMessage,
    PortalAttempt,
    PortalLoginGuard,
    PortalResetToken,
    PortalSession,
    Structure,
)
from ...text import clock_time, short_date
from .. import audit
from ..actors import Actor, FamilyRefused, authorize
from ..auth import LOCKOUT, MAX_FAILURES, LoginRefused, credentials_shape
from ..booking.basket import ConfirmResult
from ..bounds import OperationKey, PasswordText, checked
from ..counter import ActivityRow, activities_for
from ..end_of_day.outbox import queue_email
from ..errors import DomainError, FieldErrors, ValidationError
from ..permissions import rule
from ..security import FAMILY_MIN, check_new_password, hash_password, verify_password
from ..uow import Database, Operation, Shown, _read_stored
from .edit import _check_contact
from .search import refresh_search_text

RESET_VALIDITY = timedelta(hours=1)
SESSION_LENGTH = timedelta(hours=4)
"""A portal session ends by itself this long after the login (the server's clock, not the cookie's)."""
RESET_PER_DAY = 3
"""At most 3 « mot de passe oublié » e-mails in 24 hours to one account (the others are dropped in silence)."""
ATTEMPTS_KEPT = timedelta(days=1)
LINK = "{lien}"
"""Where the reset e-mail's link goes: written by the sender at the moment it sends (``fresh_reset_link``)."""


@dataclass(frozen=True)
class FamilySession:
    """A family logged in on the portal."""

    family_id: int
    name: str
    login: str
    must_change_password: bool
    """A temporary password: the portal asks for a new one before anything else."""
    token: str = ""
    """The session's secret (the cookie's); only its SHA-256 is stored (``PortalSession``)."""

    @property
    def actor(self) -> Actor:
        return Actor.family(self.family_id, self.name)


class FamilyAccountLocked(DomainError):
    """Too many failures in a row: the same words whether the identifier exists or not (nothing tells which)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"Trop d'essais : l'accès avec cet identifiant est bloqué jusqu'à "
            f"{clock_time(until)}. Réessayez plus tard ou appelez le service "
            "enfance-jeunesse de la mairie."
        )


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


def _failed(s: Session, family: Family, now: datetime) -> FamilyAccountLocked | None:
    """One more wrong password: after ``MAX_FAILURES`` in a row the account is locked for ``LOCKOUT`` and its open
    sessions end."""
    family.portal_failed_logins, family.portal_locked_until, locked = _one_more_failure(
        family.portal_failed_logins, family.portal_locked_until, now
    )
    if locked:
        end_sessions(s, family.id, now)
    audit.record(
        s,
        at=now,
        action="portal.locked" if locked else "portal.failed",
        entity="family",
        entity_id=family.id,
        family_id=family.id,
    )
    return FamilyAccountLocked(now + LOCKOUT) if locked else None


def _one_more_failure(
    failures: int, locked_until: datetime | None, now: datetime
) -> tuple[int, datetime | None, bool]:
    """The lockout's one rule, for an account and for an identifier that matches none alike: the failures in a row
    after this one, the end of the lock, and whether this failure locked."""
    failures += 1
    if failures >= MAX_FAILURES:
        return 0, now + LOCKOUT, True
    return failures, locked_until, False


def _guard(s: Session, identifier: str) -> PortalLoginGuard | None:
    """The failures in a row of this identifier (any identifier, an account's or not), locked for this login."""
    return s.get(PortalLoginGuard, _digest(identifier.lower()), with_for_update=True, populate_existing=True)


def _identifier_failed(s: Session, identifier: str, family: Family | None, now: datetime) -> Exception:
    """A wrong password for an identifier, an account's or not, counted the same way (``PortalLoginGuard``: the
    same expiry after a day without failure, the same lock after ``MAX_FAILURES``), so that nothing tells whether
    the identifier exists; an account's lock also ends its sessions and is written on the family's row."""
    key = _digest(identifier.lower())
    stale = delete(PortalLoginGuard).where(PortalLoginGuard.updated_at < now - ATTEMPTS_KEPT)
    s.execute(stale)  # this identifier's too: a day without failure, they are forgotten
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(
        insert(PortalLoginGuard)
        .values(key_hash=key, failures=0, locked_until=None, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key_hash"])
    )  # two workers at once: one row
    guard = _guard(s, identifier)
    assert guard is not None
    guard.failures, guard.locked_until, locked = _one_more_failure(guard.failures, guard.locked_until, now)
    guard.updated_at = now
    if family is not None:
        family.portal_failed_logins = guard.failures
        if locked:
            family.portal_locked_until = guard.locked_until
            end_sessions(s, family.id, now)
        audit.record(
            s,
            at=now,
            action="portal.locked" if locked else "portal.failed",
            entity="family",
            entity_id=family.id,
            family_id=family.id,
        )
    return FamilyAccountLocked(now + LOCKOUT) if locked else LoginRefused()


def _personal(family: Family) -> tuple[str, ...]:
    """What a family's password must not contain: its identifier, its name, its e-mail address."""
    return tuple(x for x in (family.portal_login, family.name, family.email) if x)


def _session_of(family: Family, token: str = "") -> FamilySession:
    return FamilySession(family.id, family.name, family.portal_login or "", family.portal_must_change, token)


def _open_session(s: Session, family: Family, now: datetime) -> FamilySession:
    token = secrets.token_urlsafe(32)
    s.add(
        PortalSession(
            family_id=family.id, token_hash=_digest(token), created_at=now, expires_at=now + SESSION_LENGTH
        )
    )
    return _session_of(family, token)


LOGIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""A new identifier's letters: no 0/o, 1/l/i to mistake on a letter read aloud at the counter."""


def new_portal_login(s: Session) -> str:
    """A new family's portal identifier: random (« k7mq-2xpa »), so that nobody guesses the others' from his own."""
    while True:
        login = "-".join("".join(secrets.choice(LOGIN_ALPHABET) for _ in range(4)) for _ in range(2))
        if s.scalar(select(Family.id).where(func.lower(Family.portal_login) == login)) is None:
            return login


def end_sessions(s: Session, family_id: int, now: datetime) -> None:
    """Every open portal session of the family ends (a new password, a lockout, a new temporary password, an
    anonymisation): a copy of a cookie opens nothing any more."""
    s.execute(
        update(PortalSession)
        .where(PortalSession.family_id == family_id, PortalSession.ended_at.is_(None))
        .values(ended_at=now)
    )


@checked
def family_login(db: Database, identifier: str, password: str) -> FamilySession:
    """Check a family's portal password and open a session; after ``MAX_FAILURES`` failures in a row the account
    is locked for ``LOCKOUT`` (as the agents'). The same work and the same answers whatever the identifier: a dummy
    hash when it is unknown, and its failures counted and locked as an account's (``PortalLoginGuard``)."""
    try:
        identifier = credentials_shape(identifier, password)
    except DomainError:
        raise LoginRefused() from None
    with db.reading() as uow:
        row = uow.session.execute(
            select(Family.id, Family.portal_password_hash, Family.anonymized_at).where(
                func.lower(Family.portal_login) == identifier.lower()
            )
        ).first()
    usable = row is not None and row.anonymized_at is None and row.portal_password_hash is not None
    checked_hash = row.portal_password_hash if usable and row is not None else None
    ok = verify_password(checked_hash, password)
    family_id = row.id if usable and row is not None else None

    def work(s: Session) -> tuple[FamilySession | None, Exception | None]:
        now = db.clock.now()
        family = s.get(Family, family_id, with_for_update=True, populate_existing=True) if family_id else None
        if family is not None and family.portal_password_hash is None:
            family = None
        guard = _guard(s, identifier)
        ends = [
            t
            for t in (guard.locked_until if guard else None, family.portal_locked_until if family else None)
            if t is not None and t > now
        ]
        if ends:
            return None, FamilyAccountLocked(max(ends))
        good = family is not None and (
            ok
            if family.portal_password_hash == checked_hash
            else verify_password(family.portal_password_hash, password)
        )
        if not good or family is None:
            return None, _identifier_failed(s, identifier, family, now)
        if guard is not None:
            s.delete(guard)
        family.portal_failed_logins = 0
        family.portal_locked_until = None
        audit.record(
            s, at=now, action="portal.login", entity="family", entity_id=family.id, family_id=family.id
        )
        return _open_session(s, family, now), None

    return _answer(db.write(work))


@checked
def portal_session(db: Database, token: str) -> FamilySession | None:
    """For each page: the family of the session whose cookie carries ``token`` while that session holds — not
    ended (logout, new password, lockout, new temporary password), within ``SESSION_LENGTH`` of the login, the
    account open and not locked; else None. ``must_change_password`` is read from the database."""
    if not is_token(token):
        return None
    now = db.clock.now()
    with db.reading() as uow:
        row = uow.session.execute(
            select(
                Family.id,
                Family.name,
                Family.portal_login,
                Family.portal_must_change,
                Family.portal_password_hash.is_not(None).label("open"),
                Family.anonymized_at,
                Family.portal_locked_until,
            )
            .join(PortalSession, PortalSession.family_id == Family.id)
            .where(
                PortalSession.token_hash == _digest(token),
                PortalSession.ended_at.is_(None),
                PortalSession.expires_at > now,
            )
        ).first()
    if row is None or not row.open or row.anonymized_at is not None:
        return None
    if row.portal_locked_until is not None and row.portal_locked_until > now:
        return None
    return FamilySession(row.id, row.name, row.portal_login or "", row.portal_must_change, token)


@checked
def end_session(db: Database, token: str) -> None:
    """« Se déconnecter »: this session ends on the server (a copy of its cookie opens nothing any more)."""
    if not is_token(token):
        return

    def work(s: Session) -> None:
        now = db.clock.now()
        row = s.scalar(
            select(PortalSession).where(
                PortalSession.token_hash == _digest(token), PortalSession.ended_at.is_(None)
            )
        )
        if row is None:
            return
        row.ended_at = now
        audit.record(
            s,
            at=now,
            action="portal.logout",
            entity="family",
            entity_id=row.family_id,
            family_id=row.family_id,
        )

    db.write(work)


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
            return None, FamilyAccountLocked(family.portal_locked_until)
        if not verify_password(
            family.portal_password_hash, current
        ):  # a stolen session guessing: counted too
            return None, _failed(s, family, now) or ValidationError("Mot de passe actuel incorrect.")
        check_new_password(new, minimum=FAMILY_MIN, personal=_personal(family))
        family.portal_password_hash = hash_password(new)
        family.portal_must_change = False
        family.portal_failed_logins = 0
        cancel_reset_links(s, family.id, now)
        end_sessions(s, family.id, now)  # the other sessions end; this one goes on under a new token
        audit.record(
            s,
            at=now,
            action="portal.password_changed",
            entity="family",
            entity_id=family.id,
            family_id=family.id,
        )
        return _open_session(s, family, now), None

    return _answer(db.write(work))


def cancel_reset_links(s: Session, family_id: int, now: datetime) -> None:
    """The family's open « mot de passe oublié » links stop working (a new password, a new e-mail address)."""
    s.execute(
        update(PortalResetToken)
        .where(PortalResetToken.family_id == family_id, PortalResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def is_token(value: object) -> bool:
    """Whether ``value`` could be one of the tokens this module makes (``secrets.token_urlsafe(32)``: a session's, a
    reset link's): anything else is refused before any lookup."""
    return (
        isinstance(value, str)
        and 20 <= len(value) <= 100
        and value.isascii()
        and value.replace("-", "").replace("_", "").isalnum()
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@checked
def request_reset(db: Database, identifier: str, link_base: str, per_day: int = RESET_PER_DAY) -> None:
    """« Mot de passe oublié » for an identifier or the family's e-mail address: when one account matches and has
    an e-mail, a link valid ``RESET_VALIDITY`` is queued in the outbox — at most ``per_day`` in 24 hours to one
    account. The link's token is made by the sender at the moment it sends (``fresh_reset_link``): it is stored
    nowhere in clear, only its SHA-256. Nothing tells whether an account matched (the portal answers before this
    runs)."""
    text = (identifier or "").strip().lower()
    if not text or len(text) > 200:
        return

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
        sent = s.scalar(
            select(func.count())
            .select_from(PortalResetToken)
            .where(
                PortalResetToken.family_id == family.id,
                PortalResetToken.created_at > now - timedelta(hours=24),
            )
        )
        if (sent or 0) >= per_day:
            audit.record(
                s,
                at=now,
                action="portal.reset_limited",
                entity="family",
                entity_id=family.id,
                family_id=family.id,
            )
            return
        cancel_reset_links(s, family.id, now)  # one link at a time: an earlier one stops working
        row = PortalResetToken(
            family_id=family.id,
            token_hash=_digest(secrets.token_urlsafe(32)),
            created_at=now,
            expires_at=now + RESET_VALIDITY,
        )  # a token nobody knows until the sender makes one
        s.add(row)
        s.flush()
        until = (now + RESET_VALIDITY).astimezone(PARIS)
        queue_email(
            s,
            kind=RESET_KIND,
            dedup_key=f"portal-reset-{row.id}",
            family=family,
            subject="Portail famille : choisir un nouveau mot de passe",
            body=(
                f"Bonjour,\n\nPour choisir un nouveau mot de passe pour le portail famille (identifiant "
                f"{family.portal_login}), ouvrez ce lien avant {clock_time(until)} le {short_date(until)} :\n\n"
                f"{link_base}{LINK}\n\nIl ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce "
                "message : votre mot de passe ne change pas.\n\nLe service enfance-jeunesse"
            ),
            now=now,
        )
        audit.record(
            s,
            at=now,
            action="portal.reset_requested",
            entity="family",
            entity_id=family.id,
            family_id=family.id,
        )

    db.write(work)


RESET_KIND = "portal_reset"


def fresh_reset_link(s: Session, message: OutboxMessage) -> str:
    """The reset e-mail's body as it leaves, with a new token whose SHA-256 replaces the one stored (called by the
    sender in the transaction that takes the message): the link exists only in the e-mail. An interrupted sending
    sent again makes a new token (and the sender a new Message-ID, so that the second e-mail is not taken for the
    first), and the first link stops working. A message queued by an older version carries its link already."""
    number = message.dedup_key.removeprefix("portal-reset-")
    if LINK not in message.body or not number.isdigit():
        return message.body
    token = secrets.token_urlsafe(32)
    s.execute(
        update(PortalResetToken).where(PortalResetToken.id == int(number)).values(token_hash=_digest(token))
    )
    return message.body.replace(LINK, token)


def _attempts(s: Session, kind: str, key: str, window: timedelta, now: datetime) -> int:
    return (
        s.scalar(
            select(func.count())
            .select_from(PortalAttempt)
            .where(PortalAttempt.kind == kind, PortalAttempt.key_hash == key, PortalAttempt.at > now - window)
        )
        or 0
    )


@checked
def allow_attempt(db: Database, kind: str, address: str, limit: int, window: timedelta) -> bool:
    """Count one attempt of ``kind`` (« login », « reset ») from a client address and say whether it is within
    ``limit`` per ``window``, in the database: every worker of the portal counts in the same place. The address is
    kept as its SHA-256, for a day."""
    key = _digest(address)

    def work(s: Session) -> bool:
        now = db.clock.now()
        if _attempts(s, kind, key, window, now) >= limit:
            return False
        s.add(PortalAttempt(kind=kind, key_hash=key, at=now))
        s.execute(delete(PortalAttempt).where(PortalAttempt.at < now - ATTEMPTS_KEPT))
        return True

    return db.write(work)


@checked
def attempts_left(db: Database, kind: str, address: str, limit: int, window: timedelta) -> bool:
    """Whether the address has attempts of ``kind`` left (without counting one)."""
    with db.reading() as uow:
        return _attempts(uow.session, kind, _digest(address), window, db.clock.now()) < limit


@checked
def reset_password(db: Database, token: str, new: PasswordText) -> FamilySession:
    """A new password through a reset link: the link is used once, within the hour; the lockout is lifted."""
    if not is_token(token):
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
        end_sessions(s, family.id, now)
        audit.record(
            s, at=now, action="portal.reset", entity="family", entity_id=family.id, family_id=family.id
        )
        return _open_session(s, family, now)

    return db.write(work)


@checked
def reset_link_valid(db: Database, token: str) -> bool:
    """Whether a reset link may still be used (the page asks for a new password only then)."""
    if not is_token(token):
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
                )
                .order_by(Structure.name, InfoMessage.valid_from.desc())
            )
        ]


@checked
def may_ask(db: Database, family_id: int, child_id: int | None, activity_id: int | None) -> bool:
    """A day clicked on the portal names a child of the family and an activity open online: one small read for each
    click (the confirmation checks everything again under the days' locks)."""
    with db.reading() as uow:
        s = uow.session
        child = s.scalar(
            select(func.count()).select_from(Child).where(Child.id == child_id, Child.family_id == family_id)
        )
        activity = s.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.id == activity_id, Activity.active.is_(True))
        )
        return child == 1 and activity == 1


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
        audit.record(
            s,
            at=db.clock.now(),
            action="portal.contact",
            entity="family",
            entity_id=family.id,
            family_id=family.id,
            before=before,
            after={"email": email_ok, "phone": phone_ok},
        )

    db.write(work, actor=actor, rule=rule("families.portal.update_contact"), changed=(Shown.FAMILIES,))


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
