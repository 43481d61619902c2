"""Anonymising a family that has left (the GDPR's right to erasure): its future requests cancelled and refunded first, its
balance refunded or kept as an unidentified credit as the régisseur chooses, then everything that names it erased —
its own rows rewritten, its key destroyed, so that what the append-only tables hold sealed for it (the journal's
details, the ledger's labels, the cheques' details, stored outcomes: ``sealing``) can no longer be read. The amounts,
dates and receipt numbers stay: a public cash office keeps its accounts.

Also: what an anonymisation will erase (shown before it is confirmed), the town's retention period and the families
without activity for that long (proposed, never anonymised without a régisseur), and the anonymisations to apply
again after a backup is restored."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from ...clock import PARIS, local_today
from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    AuditEntry,
    Child,
    ChildContact,
    ChildHealth,
    Family,
    LedgerEntry,
    LedgerKind,
    OutboxMessage,
    OutboxStatus,
    Payment,
    PortalResetToken,
    Reservation,
    ReservationStatus,
    TownSetting,
    Wallet,
    WalletKind,
)
from ...text import count, format_eur
from .. import audit
from ..actors import Actor
from ..booking import lifecycle
from ..bounds import OperationKey, Range, checked
from ..errors import UnknownEntity, ValidationError
from ..money import ledger
from ..permissions import rule
from ..sealing import forget
from ..uow import Database, Operation, Shown
from .portal import end_sessions
from .search import refresh_search_text


class BalanceChoice(enum.StrEnum):
    REFUND = "refund"
    """« Rembourser à la famille » : the balance leaves the accounts (the régie pays it back, by mandate)."""
    KEEP = "keep"
    """« Garder comme avoir non identifié » : the money stays on the anonymous family's wallets."""


BALANCE_LABELS = {
    BalanceChoice.REFUND: "Rembourser le solde à la famille",
    BalanceChoice.KEEP: "Garder le solde comme avoir non identifié",
}


@dataclass(frozen=True)
class AnonymisationPreview:
    """What « Anonymiser » will do, for the confirmation the régisseur reads first."""

    family_id: int
    name: str
    erased: list[str]
    """What will be erased, one line each, in French."""
    future_requests: int
    future_refund_cents: int
    balance_after_cents: int
    """The balance once the future requests are refunded (what the choice is about)."""
    debt_cents: int
    """A wallet still in debit then: it must be settled first (the recovery needs the family's name)."""

    @property
    def can_anonymise(self) -> bool:
        return self.debt_cents == 0


@dataclass(frozen=True)
class Anonymised:
    """What an anonymisation did (no name in it: it is kept as the operation's outcome)."""

    cancelled: int
    refunded_cents: int
    balance_cents: int
    choice: BalanceChoice


def _family(s: Session, family_id: int, *, lock: bool = False) -> Family:
    family = s.get(
        Family,
        family_id,
        with_for_update=lock,
        options=[selectinload(Family.adults), selectinload(Family.children)],
    )
    if family is None or family.anonymized_at is not None:
        raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
    return family


def _future(s: Session, family_id: int, today: date) -> tuple[int, dict[WalletKind, int]]:
    """The family's live requests for a day after ``today``, and what cancelling them refunds, by wallet."""
    rows = s.execute(
        select(Reservation.status, Reservation.price_cents, Activity.wallet_kind)
        .select_from(Reservation)
        .join(ActivityDay, Reservation.activity_day_id == ActivityDay.id)
        .join(Activity, ActivityDay.activity_id == Activity.id)
        .join(Child, Reservation.child_id == Child.id)
        .where(Child.family_id == family_id, Reservation.status.in_(LIVE_STATUSES), ActivityDay.day > today)
    ).all()
    refunds: dict[WalletKind, int] = {}
    for status, price, kind in rows:
        if status is ReservationStatus.ACCEPTED:
            refunds[kind] = refunds.get(kind, 0) + (price or 0)
    return len(rows), refunds


@checked
def anonymisation_preview(db: Database, family_id: int) -> AnonymisationPreview:
    with db.reading() as uow:
        s = uow.session
        family = _family(s, family_id)
        today = local_today(db.clock)
        requests, refunds = _future(s, family.id, today)
        after = [
            w.balance_cents + refunds.get(w.kind, 0)
            for w in s.scalars(select(Wallet).where(Wallet.family_id == family.id))
        ]
        entries = (
            s.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .join(Wallet)
                .where(Wallet.family_id == family.id)
            )
            or 0
        )
        payments = (
            s.scalar(select(func.count()).select_from(Payment).where(Payment.family_id == family.id)) or 0
        )
        journal = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.family_id == family.id)
        )
        emails = s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.family_id == family.id)
        )
        children = family.children
        erased = [
            "le nom, l'adresse, le téléphone, l'e-mail et les remarques de la famille",
            count(
                len(family.adults),
                "responsable (nom, téléphone, e-mail)",
                "responsables (noms, téléphones, e-mails)",
            ),
            count(len(children), "enfant", "enfants")
            + " : prénoms, noms, remarques et santé (l'année de naissance"
            " reste)",
            "l'accès au portail famille",
            f"les libellés et motifs de {count(entries, 'écriture', 'écritures')} et le détail des chèques de "
            f"{count(payments, 'règlement', 'règlements')} (les montants, dates et numéros de reçu restent)",
        ]
        if journal:
            erased.append(
                f"le détail de {count(journal, 'ligne', 'lignes')} du journal (qui a fait quoi, et quand, "
                "reste)"
            )
        if emails:
            erased.append(f"l'adresse et le texte de {count(emails, 'e-mail', 'e-mails')} de la famille")
        debt = -sum(b for b in after if b < 0)
        return AnonymisationPreview(
            family.id,
            family.name,
            erased,
            requests,
            sum(refunds.values()),
            sum(b for b in after if b > 0),
            debt,
        )


@checked
def anonymise_family(
    db: Database, actor: Actor, family_id: int, *, balance: BalanceChoice, key: OperationKey
) -> Anonymised:
    """The family forgotten, in one transaction: its requests for the days to come cancelled (the accepted ones
    refunded, the places freed given to the waiting lists), its balance refunded (an adjustment bringing each wallet
    to zero) or kept, as ``balance`` says; a wallet still in debit refuses it all (the recovery needs the name);
    then its own rows rewritten, its adults deleted, its e-mails emptied, its key destroyed."""
    balance = BalanceChoice(balance)

    def work(s: Session) -> Anonymised:
        family = _family(s, family_id, lock=True)
        now = db.clock.now()
        today = now.astimezone(PARIS).date()
        cancelled, refunded = lifecycle.cancel_future(s, family, today, now, actor)
        wallets = s.scalars(
            select(Wallet)
            .where(Wallet.family_id == family.id)
            .order_by(Wallet.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        debit = [w for w in wallets if w.balance_cents < 0]
        if debit:
            raise ValidationError(
                f"La famille {family.name} doit encore {format_eur(-sum(w.balance_cents for w in debit))} : "
                "régularisez ce solde avant de l'anonymiser (son recouvrement a besoin de son nom)."
            )
        left = sum(w.balance_cents for w in wallets)
        if balance is BalanceChoice.REFUND:
            for wallet in wallets:
                if wallet.balance_cents > 0:
                    ledger.post(
                        s,
                        wallet,
                        kind=LedgerKind.ADJUSTMENT,
                        amount_cents=-wallet.balance_cents,
                        label="Solde remboursé à la famille avant anonymisation",
                        at=now,
                        agent_id=actor.agent_id,
                        reason="remboursement du solde (anonymisation)",
                    )
        _erase(s, family, now)
        audit.record(
            s,
            at=now,
            action="family.anonymise",
            entity="family",
            entity_id=family.id,
            agent_id=actor.agent_id,
            family_id=family.id,
            sealed=False,
            after={
                "réservations annulées": cancelled,
                "remboursé (centimes)": refunded,
                "solde": balance.value,
                "solde (centimes)": left,
            },
        )
        return Anonymised(cancelled, refunded, left, balance)

    operation = Operation(key, "family.anonymise", Anonymised)
    return db.write(
        work,
        operation=operation,
        actor=actor,
        rule=rule("families.forgetting.anonymise_family"),
        changed=(Shown.PLACES, Shown.ACCOUNTS, Shown.FAMILIES),
    )


def _erase(s: Session, family: Family, now: datetime) -> None:
    """What names the family, erased (its key last: every sealed value of it becomes unreadable)."""
    family.name = f"FAMILLE ANONYMISÉE {family.id}"
    family.email = family.phone = None
    family.address, family.postal_code, family.city, family.notes = "", "", "", ""
    family.portal_login = family.portal_password_hash = None
    family.portal_must_change, family.portal_failed_logins, family.portal_locked_until = False, 0, None
    for adult in list(family.adults):
        s.delete(adult)
    family.adults = []
    for i, child in enumerate(sorted(family.children, key=lambda c: (c.birth_date, c.id)), start=1):
        child.first_name, child.last_name, child.notes = f"Enfant {i}", "ANONYME", ""
        child.birth_date = date(child.birth_date.year, 1, 1)
    child_ids = [c.id for c in family.children] or [-1]
    # the fiches sanitaires and their contacts: rows deleted (health data, GDPR art. 9; nothing of them is kept)
    s.execute(delete(ChildContact).where(ChildContact.child_id.in_(child_ids)))
    s.execute(delete(ChildHealth).where(ChildHealth.child_id.in_(child_ids)))
    s.execute(
        update(Reservation)
        .where(Reservation.child_id.in_(child_ids), Reservation.override_reason.is_not(None))
        .values(override_reason="(effacé)")
    )
    s.execute(delete(PortalResetToken).where(PortalResetToken.family_id == family.id))
    end_sessions(s, family.id, now)
    s.execute(
        delete(OutboxMessage).where(
            OutboxMessage.family_id == family.id, OutboxMessage.status != OutboxStatus.SENT
        )
    )
    s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.family_id == family.id)
        .values(recipient="(anonymisé)", subject="(anonymisé)", body="(anonymisé)", last_error=None)
    )
    refresh_search_text(family)
    family.anonymized_at = now
    forget(s, family.id)


# --- the town's retention period -------------------------------------------------------------------------------

RETENTION_KEY = "retention_years"
DEFAULT_RETENTION_YEARS = 3
"""Three years without activity: what the CNIL's guidance for the files of a public service usually sets."""
RetentionYears = Annotated[int, Range(1, 30, "durée de conservation (années)")]


@checked
def retention_years(db: Database) -> int:
    with db.reading() as uow:
        value = uow.session.scalar(select(TownSetting.value).where(TownSetting.key == RETENTION_KEY))
    return int(value) if isinstance(value, int) else DEFAULT_RETENTION_YEARS


@checked
def save_retention_years(db: Database, actor: Actor, years: RetentionYears) -> None:
    """The town's retention period (an administrator's choice, audited)."""

    def work(s: Session) -> None:
        row = s.get(TownSetting, RETENTION_KEY)
        before = row.value if row is not None else DEFAULT_RETENTION_YEARS
        if row is None:
            row = TownSetting(key=RETENTION_KEY, value=years, updated_at=db.clock.now())
            s.add(row)
        row.value, row.updated_at = years, db.clock.now()
        audit.record(
            s,
            at=db.clock.now(),
            action="town.retention",
            entity="town_setting",
            entity_id=RETENTION_KEY,
            agent_id=actor.agent_id,
            before={"années": before},
            after={"années": years},
        )

    db.write(work, actor=actor, rule=rule("families.forgetting.save_retention_years"))


@dataclass(frozen=True)
class Dormant:
    """A family without activity for the retention period: proposed to the régisseur, never anonymised alone."""

    id: int
    name: str
    last_activity: date
    balance_cents: int
    children: int


@checked
def dormant_families(db: Database) -> list[Dormant]:
    """The families (not anonymised) whose last activity — the file made or changed, a reservation's day, a
    payment, a ledger entry, a portal action — is older than the retention period, oldest first."""
    years = retention_years(db)
    today = local_today(db.clock)
    limit = datetime.combine(
        date(today.year - years, today.month, min(today.day, 28)), time(0, 0), tzinfo=PARIS
    )
    with db.reading() as uow:
        s = uow.session
        last = {}
        for family_id, at in s.execute(
            select(AuditEntry.family_id, func.max(AuditEntry.at))
            .where(AuditEntry.family_id.is_not(None))
            .group_by(AuditEntry.family_id)
        ):
            last[family_id] = at.astimezone(PARIS).date()
        for family_id, day in s.execute(
            select(Child.family_id, func.max(ActivityDay.day))
            .select_from(Reservation)
            .join(ActivityDay, Reservation.activity_day_id == ActivityDay.id)
            .join(Child, Reservation.child_id == Child.id)
            .group_by(Child.family_id)
        ):
            last[family_id] = max(last.get(family_id, day), day)
        for family_id, at in s.execute(
            select(Payment.family_id, func.max(Payment.paid_at)).group_by(Payment.family_id)
        ):
            day = at.astimezone(PARIS).date()
            last[family_id] = max(last.get(family_id, day), day)
        balances = dict(
            s.execute(
                select(Wallet.family_id, func.sum(Wallet.balance_cents)).group_by(Wallet.family_id)
            ).all()
        )
        children = dict(s.execute(select(Child.family_id, func.count()).group_by(Child.family_id)).all())
        rows = []
        for family in s.scalars(select(Family).where(Family.anonymized_at.is_(None))):
            created = family.created_at.astimezone(PARIS).date()
            seen = max(last.get(family.id, created), created)
            if seen < limit.date():
                rows.append(
                    Dormant(
                        family.id,
                        family.name,
                        seen,
                        int(balances.get(family.id) or 0),
                        int(children.get(family.id) or 0),
                    )
                )
        return sorted(rows, key=lambda r: (r.last_activity, r.name))


# --- after a restore -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymisation:
    family_id: int
    at: datetime
    choice: BalanceChoice


@checked
def anonymisations(db: Database) -> list[Anonymisation]:
    """Every anonymisation this database recorded (the choice made for the balance with it): what a restore
    applies again to an older copy."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(AuditEntry.family_id, AuditEntry.at, AuditEntry.after)
            .where(AuditEntry.action == "family.anonymise", AuditEntry.family_id.is_not(None))
            .order_by(AuditEntry.at)
        ).all()
    found = []
    for family_id, at, after in rows:
        choice = (after or {}).get("solde") if isinstance(after, dict) else None
        found.append(
            Anonymisation(
                family_id, at, BalanceChoice(choice) if choice in set(BalanceChoice) else BalanceChoice.KEEP
            )
        )
    return found


@checked
def reapply_anonymisations(db: Database, actor: Actor, done: list[Anonymisation]) -> list[int]:
    """The anonymisations ``done`` in a newer copy, applied again to this one (restored from a backup made before
    them): each family still named here is anonymised with the same choice for its balance. Returns the families
    anonymised again."""
    from ..uow import new_operation_key

    again = []
    for record in done:
        with db.reading() as uow:
            family = uow.session.get(Family, record.family_id)
            if family is None or family.anonymized_at is not None:
                continue
        anonymise_family(db, actor, record.family_id, balance=record.choice, key=new_operation_key())
        again.append(record.family_id)
    return again
