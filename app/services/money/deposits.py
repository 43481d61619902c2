"""Bordereaux de remise de chèques: the cheques a structure took and has not yet taken to the bank (or the Trésor),
grouped by the régisseur into a numbered deposit (docs/cheque_deposits.md).

A deposit is numbered per structure and year without gaps (« REM-2026-0001 »): its number is taken from a counter
row incremented and locked inside the deposit's own transaction, as receipts are (``till.next_receipt_seq``), so
a refused or rolled-back deposit consumes none. A cheque is in one deposit at most: the counter row is locked
before the cheques are checked, so two régisseurs depositing at once wait for each other and the second is told
which cheque the first took; the primary key of ``cheque_deposit_items`` on the payment is the last guard.

A cheque is deposited once its till is closed — counted by its agent, it has left the drawer for the régisseur's
hands — and never a reversed payment's. The tills of the chosen cheques' years are locked as well (a payment, a
reversal and a closing lock them), so no closing or reversal of these cheques commits while the deposit checks
them; and since a closed till's payments cannot be reversed (``till.TillClosed``), a deposited cheque is never
reversed afterwards (a cheque that bounces is given back by an adjustment). Deposits are never changed once made.
The payments themselves are not locked: on a shared server they are append-only for the counters' login, which
may not ``SELECT … FOR UPDATE`` them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import (
    Agent,
    ChequeDeposit,
    ChequeDepositItem,
    DayClosing,
    DepositCounter,
    Family,
    LedgerEntry,
    MissingCheque,
    Payment,
    PaymentMethod,
    Structure,
)
from ...text import count, format_eur, short_date
from .. import audit
from ..actors import Actor
from ..bounds import OperationKey, Year, checked
from ..errors import UnknownEntity, ValidationError
from ..permissions import rule
from ..sealing import ERASED, opened_text, preload
from ..uow import Database, Operation
from .cash_closing import reversed_payments
from .payments import METHOD_LABELS
from .till import lock_till, next_seq

MAX_CHEQUES = 2_000
"""The most cheques one deposit takes (a year of a large structure's cheques is far below)."""


class DepositRefused(ValidationError):
    """A cheque that cannot go into this deposit (already deposited, reversed, not a cheque, another structure's):
    nothing was written, and no deposit number was used."""


class NoChequeChosen(DepositRefused):
    def __init__(self) -> None:
        super().__init__("Aucun chèque choisi : cochez au moins un chèque à remettre.")


@dataclass(frozen=True)
class DepositCheque:
    """A cheque as the régisseur sees it and the slip prints it (its sealed parts opened; « (effacé) » once its
    family was anonymised)."""

    payment_id: int
    receipt: str
    day: date
    family: str
    bank: str
    number: str
    drawer: str
    """Who signed it: as recorded with the cheque, else the family's name."""
    cents: int
    agent: str = ""
    """Who took it (its till)."""
    till_open: bool = False
    """Its till is not closed yet: it is deposited once counted."""
    missing: bool = False
    """Its agent did not have it when counting the till (« chèque manquant » at the closing): left unticked until
    the régisseur has it in hand."""


@dataclass(frozen=True)
class DepositMade:
    id: int
    number: str
    cheque_count: int
    total_cents: int


@dataclass(frozen=True)
class DepositRow:
    id: int
    number: str
    business_date: date
    created_at: datetime
    agent: str
    cheque_count: int
    total_cents: int


@dataclass(frozen=True)
class DepositSlip:
    """What the bordereau prints: the deposit, its structure and its cheques."""

    id: int
    structure_id: int
    number: str
    business_date: date
    created_at: datetime
    agent: str
    cheques: list[DepositCheque]
    total_cents: int


def deposit_number(year: int, seq: int) -> str:
    """The printed deposit number: « REM-2026-0001 » (gapless per structure and year)."""
    return f"REM-{year}-{seq:04d}"


def next_deposit_seq(session: Session, structure_id: int, year: int) -> int:
    """The next deposit number of (structure, year), its counter's row locked as a receipt's is."""
    return next_seq(session, DepositCounter, structure_id, year)


def _cheque(
    s: Session, p: Payment, family: Family, agent: str, till_open: bool, missing: bool = False
) -> DepositCheque:
    erased = family.anonymized_at is not None
    drawer = opened_text(s, p.cheque_drawer) if p.cheque_drawer else (ERASED if erased else family.name)
    return DepositCheque(
        p.id,
        p.receipt_number,
        p.business_date,
        family.name,
        opened_text(s, p.cheque_bank) or ERASED,
        opened_text(s, p.cheque_number) or ERASED,
        drawer,
        p.amount_cents,
        agent,
        till_open,
        missing,
    )


def _closed_tills(s: Session, structure_id: int) -> set[tuple[int | None, date]]:
    """The structure's closed tills: (agent, day)."""
    return {
        (a, d)
        for a, d in s.execute(
            select(DayClosing.agent_id, DayClosing.business_date).where(
                DayClosing.structure_id == structure_id
            )
        ).all()
    }


def _cheques(
    s: Session, rows: list[tuple[Payment, Family]], closed: set[tuple[int | None, date]]
) -> list[DepositCheque]:
    preload(s, {f.id for _, f in rows})
    names: dict[int | None, str] = dict(s.execute(select(Agent.id, Agent.full_name)).all())
    ids = [p.id for p, _ in rows]
    missing = set(s.scalars(select(MissingCheque.payment_id).where(MissingCheque.payment_id.in_(ids))))
    return [
        _cheque(
            s, p, f, names.get(p.agent_id, "?"), (p.agent_id, p.business_date) not in closed, p.id in missing
        )
        for p, f in rows
    ]


def _named(s: Session, p: Payment) -> str:
    """« Le chèque n° 1000001 (reçu 2026-000123) », or its receipt alone once its number is erased."""
    number = opened_text(s, p.cheque_number) if p.cheque_number else ""
    if number and number != ERASED:
        return f"Le chèque n° {number} (reçu {p.receipt_number})"
    return f"Le chèque du reçu {p.receipt_number}"


@checked
def undeposited_cheques(
    db: Database, actor: Actor, structure_id: int, start: date | None = None, end: date | None = None
) -> list[DepositCheque]:
    """The structure's cheques recorded and not yet deposited, not reversed, oldest first, each saying whether its
    till is still open (not depositable yet) and whether it was missing at its till's closing; ``start``/``end``:
    the days they were taken (both included). The cheques taken before the structure's
    ``cheque_deposits_since`` (those of the versions before the deposits, taken to the bank by hand) are not
    listed."""
    if start is not None and end is not None and end < start:
        raise ValidationError(f"Période invalide : du {short_date(start)} au {short_date(end)}.")
    with db.reading() as uow:
        s = uow.session
        stmt = (
            select(Payment, Family)
            .join(Family, Payment.family_id == Family.id)
            .where(
                Payment.structure_id == structure_id,
                Payment.method == PaymentMethod.CHEQUE,
                Payment.id.not_in(select(ChequeDepositItem.payment_id)),
                Payment.id.not_in(reversed_payments()),
            )
            .order_by(Payment.business_date, Payment.receipt_year, Payment.receipt_seq)
        )
        since = s.scalar(select(Structure.cheque_deposits_since).where(Structure.id == structure_id))
        if since is not None:
            stmt = stmt.where(Payment.business_date >= since)
        if start is not None:
            stmt = stmt.where(Payment.business_date >= start)
        if end is not None:
            stmt = stmt.where(Payment.business_date <= end)
        return _cheques(s, [(p, f) for p, f in s.execute(stmt).all()], _closed_tills(s, structure_id))


def _check_chosen(s: Session, structure_id: int, ids: list[int]) -> list[Payment]:
    """The chosen payments, checked one by one (the first refusal is said): under the deposit counter's lock, so
    that no other deposit of the structure commits meanwhile."""
    payments = {p.id: p for p in s.scalars(select(Payment).where(Payment.id.in_(ids)))}
    for payment_id in ids:
        if payment_id not in payments:
            raise UnknownEntity(f"Règlement inconnu (n° {payment_id}) : rien n'a été enregistré.")
    for payment_id in ids:
        p = payments[payment_id]
        if p.method is not PaymentMethod.CHEQUE:
            raise DepositRefused(
                f"Le règlement {p.receipt_number} n'est pas un chèque ({METHOD_LABELS[p.method]}) : seuls les "
                "chèques se remettent en banque. Rien n'a été enregistré."
            )
        if p.structure_id != structure_id:
            other = s.get(Structure, p.structure_id)
            raise DepositRefused(
                f"{_named(s, p)} a été encaissé par une autre structure ({other.name if other else '?'}) : il se "
                "remet avec les chèques de celle-ci. Rien n'a été enregistré."
            )
    deposited = dict(
        s.execute(
            select(ChequeDepositItem.payment_id, ChequeDeposit.number)
            .join(ChequeDeposit, ChequeDeposit.id == ChequeDepositItem.deposit_id)
            .where(ChequeDepositItem.payment_id.in_(ids))
        ).all()
    )
    reversed_ids = set(s.scalars(reversed_payments().where(LedgerEntry.payment_id.in_(ids))))
    for payment_id in ids:
        p = payments[payment_id]
        if payment_id in deposited:
            raise DepositRefused(
                f"{_named(s, p)} est déjà dans le bordereau {deposited[payment_id]} : un chèque ne se remet "
                "qu'une fois. Rien n'a été enregistré."
            )
        if payment_id in reversed_ids:
            raise DepositRefused(
                f"{_named(s, p)} a été annulé : il ne se remet pas en banque. Rien n'a été enregistré."
            )
    since = s.scalar(select(Structure.cheque_deposits_since).where(Structure.id == structure_id))
    for payment_id in ids:
        p = payments[payment_id]
        if since is not None and p.business_date < since:
            raise DepositRefused(
                f"{_named(s, p)} a été encaissé le {short_date(p.business_date)}, avant les bordereaux de "
                f"l'application (à partir du {short_date(since)}) : il a été remis en banque avec un bordereau fait "
                "à la main. Rien n'a été enregistré."
            )
    closed = _closed_tills(s, structure_id)
    for payment_id in ids:
        p = payments[payment_id]
        if (p.agent_id, p.business_date) not in closed:
            taker = s.get(Agent, p.agent_id) if p.agent_id is not None else None
            raise DepositRefused(
                f"{_named(s, p)} est dans la caisse de {taker.full_name if taker else '?'} du "
                f"{short_date(p.business_date)}, pas encore clôturée : il se remet une fois cette caisse comptée et "
                "clôturée. Rien n'a été enregistré."
            )
    return [payments[i] for i in ids]


@checked
def create_deposit(
    db: Database, actor: Actor, structure_id: int, payment_ids: list[int], *, key: OperationKey
) -> DepositMade:
    """The régisseur groups the chosen cheques into the structure's next numbered deposit (all of them or none).

    ``key``: made when the régisseur asks for the bordereau, kept for its retries; one request is one deposit."""
    ids = sorted(set(payment_ids))
    if not ids:
        raise NoChequeChosen()
    if len(ids) > MAX_CHEQUES:
        raise DepositRefused(
            f"Trop de chèques pour un bordereau : {len(ids)} (au plus {MAX_CHEQUES}). Faites-en plusieurs."
        )

    def work(s: Session) -> DepositMade:
        now = db.clock.now()
        local = now.astimezone(PARIS)
        if s.get(Structure, structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        seq = next_deposit_seq(s, structure_id, local.year)  # locked first: deposits come one after the other
        years = s.scalars(
            select(Payment.receipt_year)
            .distinct()
            .where(Payment.id.in_(ids), Payment.structure_id == structure_id)
        )
        for year in sorted(years):  # no reversal of these cheques can commit meanwhile
            lock_till(s, structure_id, year)
        payments = _check_chosen(s, structure_id, ids)
        total = sum(p.amount_cents for p in payments)
        deposit = ChequeDeposit(
            structure_id=structure_id,
            year=local.year,
            seq=seq,
            number=deposit_number(local.year, seq),
            business_date=local.date(),
            created_at=now,
            agent_id=actor.agent_id,
            cheque_count=len(payments),
            total_cents=total,
        )
        s.add(deposit)
        s.flush()
        try:
            with s.begin_nested():  # a cheque deposited by another transaction meanwhile: say which one
                s.add_all(ChequeDepositItem(payment_id=p.id, deposit_id=deposit.id) for p in payments)
                s.flush()
        except IntegrityError as exc:
            _check_chosen(s, structure_id, ids)  # raises the refusal that names the cheque
            raise DepositRefused(
                "Un des chèques choisis vient d'être remis dans un autre bordereau : rien n'a été enregistré. "
                "Relisez la liste."
            ) from exc
        audit.record(
            s,
            at=now,
            action="cheque_deposit.create",
            entity="cheque_deposit",
            entity_id=deposit.id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            after={
                "number": deposit.number,
                "cheque_count": len(payments),
                "total_cents": total,
                "receipts": [p.receipt_number for p in payments],
            },
        )
        return DepositMade(deposit.id, deposit.number, len(payments), total)

    return db.write(
        work,
        operation=Operation(key, "cheque_deposit", DepositMade),
        actor=actor,
        rule=rule("money.deposits.create_deposit"),
    )


@checked
def past_deposits(
    db: Database, actor: Actor, structure_id: int, year: Year | None = None
) -> list[DepositRow]:
    """The structure's deposits, newest first (of one year when ``year`` is given), to print one again."""
    with db.reading() as uow:
        stmt = (
            select(ChequeDeposit, Agent.full_name)
            .outerjoin(Agent, Agent.id == ChequeDeposit.agent_id)
            .where(ChequeDeposit.structure_id == structure_id)
            .order_by(ChequeDeposit.year.desc(), ChequeDeposit.seq.desc())
        )
        if year is not None:
            stmt = stmt.where(ChequeDeposit.year == year)
        return [
            DepositRow(
                d.id, d.number, d.business_date, d.created_at, agent or "?", d.cheque_count, d.total_cents
            )
            for d, agent in uow.session.execute(stmt).all()
        ]


def slip_of(s: Session, deposit_id: int) -> DepositSlip:
    """A deposit as its bordereau prints it, its cheques in the order of their receipts."""
    deposit = s.get(ChequeDeposit, deposit_id)
    if deposit is None:
        raise UnknownEntity(f"Bordereau inconnu (n° {deposit_id}).")
    agent = s.get(Agent, deposit.agent_id) if deposit.agent_id is not None else None
    rows = [
        (p, f)
        for p, f in s.execute(
            select(Payment, Family)
            .join(Family, Payment.family_id == Family.id)
            .join(ChequeDepositItem, ChequeDepositItem.payment_id == Payment.id)
            .where(ChequeDepositItem.deposit_id == deposit.id)
            .order_by(Payment.receipt_year, Payment.receipt_seq)
        ).all()
    ]
    return DepositSlip(
        deposit.id,
        deposit.structure_id,
        deposit.number,
        deposit.business_date,
        deposit.created_at,
        agent.full_name if agent else "?",
        _cheques(s, rows, _closed_tills(s, deposit.structure_id)),
        deposit.total_cents,
    )


def summary(cheques: int, cents: int) -> str:
    """« 3 chèques, 83,50 € »: what a selection or a deposit holds."""
    return f"{count(cheques, 'chèque')}, {format_eur(cents)}"
