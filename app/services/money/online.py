"""Online payments by card: a family tops up a wallet on the portal through its structure's payment
site (PayFiP for a town's régie), and exactly one payment is recorded when the site says it was paid.

1. ``start_online_payment``: the amount (1,00 € to 1 000,00 €) and the wallet are checked, a ``pending`` row with our
   own reference is written (audited, the family as author), then the payment site is asked for its page.
2. The site's notification (server to server), the family's return and the worker all end in
   ``settle_online_payment``: it asks the site what became of the payment (a notification or a return is never
   believed on its own), checks that the answer is about this payment and this amount, and under a lock on the row
   records one payment on « paid » — receipt number in the structure's gapless sequence, ledger credit, audit, receipt
   e-mail — or marks it refused / abandoned. A replayed, late or concurrent notification changes nothing more.
3. ``settle_due_online_payments`` (the worker): a payment nobody heard of is asked again; one still not paid an hour
   after it started is expired. A site that cannot be reached is asked again later, never expired blindly.

Online payments are in no till: the cash closing lists them apart, the end-of-day report by structure with the
site's transaction numbers (``online_payments_of_day``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import (
    Activity,
    Family,
    LedgerKind,
    OnlinePayment,
    OnlinePaymentStatus,
    Payment,
    PaymentMethod,
    PaymentSettings,
    Structure,
    Wallet,
    WalletKind,
)
from ...text import count, format_eur, moment, short_date
from .. import audit
from ..actors import Actor, FamilyRefused
from ..booking.basket import Recap
from ..bounds import AmountText, Range, Text, checked
from ..end_of_day.outbox import queue_email
from ..errors import DomainError, FieldErrors, UnknownEntity, ValidationError, WrongFamily
from ..families.view import WALLET_LABELS
from ..permissions import rule
from ..uow import Database, Shown
from . import ledger
from .amounts import parse_amount
from .online_backends import (
    Answer,
    BackendConfig,
    PaymentGateway,
    backend_kinds,
    check_options,
    notified_order,
)
from .till import next_receipt_seq, receipt_number

log = logging.getLogger(__name__)

MIN_CENTS, MAX_CENTS = 100, 100_000
"""What a family may pay online at once: 1,00 € to 1 000,00 €."""
FIRST_CHECK = timedelta(minutes=15)
"""A family normally comes back from the payment site within this time; the worker asks the site after it."""
RECHECK = timedelta(minutes=15)
LIFETIME = timedelta(hours=1)
"""A payment still not paid this long after it started is expired (PayFiP's page lives 15 minutes)."""
LEASE = timedelta(minutes=2)
STATUS_LABELS = {
    OnlinePaymentStatus.PENDING: "En attente de confirmation",
    OnlinePaymentStatus.PAID: "Payé",
    OnlinePaymentStatus.REFUSED: "Refusé",
    OnlinePaymentStatus.ABANDONED: "Abandonné",
    OnlinePaymentStatus.EXPIRED: "Expiré",
}
Reference = Annotated[str, Text(OnlinePayment.reference, label="référence du paiement")]
Query = Annotated[str, Text(max_len=4000, label="notification")]


class OnlinePaymentClosed(ValidationError):
    def __init__(self, structure: str) -> None:
        super().__init__(
            f"Le paiement en ligne n'est pas ouvert pour {structure} : réglez au guichet du service "
            "enfance-jeunesse."
        )


class UnknownOnlinePayment(UnknownEntity):
    def __init__(self) -> None:
        super().__init__("Paiement en ligne inconnu.")


class NotificationRefused(ValidationError):
    """A notification or an answer that is not about this payment (another order, another amount): nothing done."""

    def __init__(self, why: str) -> None:
        super().__init__(f"Notification de paiement refusée : {why}.")


# --- what a family may pay, and how much is suggested --------------------------------------------------------


@dataclass(frozen=True)
class OnlineWallet:
    id: int
    kind: WalletKind
    label: str
    balance_cents: int
    structures: list[tuple[int, str]]
    """The structures (régies) whose activities use this wallet and that take online payments."""


@checked
def online_wallets(db: Database, gateway: PaymentGateway, family_id: int) -> list[OnlineWallet]:
    """The family's wallets, each with the structures it may be paid to online (none: at the counter only)."""
    with db.reading() as uow:
        s = uow.session
        wallets = list(
            s.execute(
                select(Wallet.id, Wallet.kind, Wallet.balance_cents)
                .where(Wallet.family_id == family_id)
                .order_by(Wallet.kind)
            )
        )
        open_to: dict[WalletKind, list[tuple[int, str]]] = {}
        for kind, structure_id, name, code, backend, options in s.execute(
            select(
                Activity.wallet_kind,
                Structure.id,
                Structure.name,
                Structure.code,
                PaymentSettings.backend,
                PaymentSettings.options,
            )
            .join(Structure, Activity.structure_id == Structure.id)
            .join(PaymentSettings, PaymentSettings.structure_id == Structure.id)
            .where(Activity.active.is_(True), PaymentSettings.enabled.is_(True))
            .order_by(
                Structure.name
            )  # (no DISTINCT: PostgreSQL compares no JSON; the loop leaves out repeats)
        ):
            choices = open_to.setdefault(WalletKind(kind), [])
            if (
                gateway.usable(BackendConfig.of(code, backend, options))
                and (structure_id, name) not in choices
            ):
                choices.append((structure_id, name))
    return [
        OnlineWallet(wid, WalletKind(kind), WALLET_LABELS[WalletKind(kind)], balance, open_to.get(kind, []))
        for wid, kind, balance in wallets
    ]


def suggested_amounts(recap: Recap | None, wallets: list[OnlineWallet]) -> dict[WalletKind, int]:
    """What « Payer par carte » proposes per wallet: what the bookings in progress lack, put first on the wallets
    they are charged to (each up to its own shortfall), the rest on the first of them; with no booking in progress,
    a wallet's debt. Capped to what may be paid online (the family edits it)."""
    balances = {w.kind: w.balance_cents for w in wallets}
    suggested: dict[WalletKind, int] = {}
    missing = recap.missing_cents if recap is not None else 0
    if missing > 0 and recap is not None:
        needs: dict[WalletKind, int] = {}
        for line in recap.additions:
            if line.ok and line.wallet_kind is not None:
                needs[line.wallet_kind] = needs.get(line.wallet_kind, 0) + line.amount_cents
        for kind, need in needs.items():
            share = min(missing, max(0, need - max(0, balances.get(kind, 0))))
            if share:
                suggested[kind] = share
                missing -= share
        if missing > 0 and needs:
            first = next(iter(needs))
            suggested[first] = suggested.get(first, 0) + missing
    else:
        suggested = {w.kind: -w.balance_cents for w in wallets if w.balance_cents < 0}
    return {kind: min(max(cents, MIN_CENTS), MAX_CENTS) for kind, cents in suggested.items() if cents > 0}


def check_amount(amount: str) -> int:
    """The amount a family typed (« 50 », « 50,00 € »), in cents, within 1,00 € and 1 000,00 €."""
    try:
        cents = parse_amount(amount)
    except ValidationError as exc:
        raise FieldErrors({"amount": str(exc)}) from exc
    if cents < MIN_CENTS:
        raise FieldErrors(
            {
                "amount": f"Le montant d'un paiement en ligne est d'au moins {format_eur(MIN_CENTS)} "
                f"(saisi : {amount.strip()})."
            }
        )
    if cents > MAX_CENTS:
        raise FieldErrors(
            {
                "amount": f"Le montant d'un paiement en ligne est de {format_eur(MAX_CENTS)} au plus "
                f"(saisi : {format_eur(cents)}) ; au-delà, réglez au guichet."
            }
        )
    return cents


# --- starting a payment ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineStart:
    reference: str
    url: str
    """The payment page the family is sent to."""


def _config(s: Session, structure: Structure, gateway: PaymentGateway) -> BackendConfig:
    settings = s.get(PaymentSettings, structure.id)
    config = BackendConfig.of(structure.code, settings.backend, settings.options) if settings else None
    if settings is None or config is None or not settings.enabled or not gateway.usable(config):
        raise OnlinePaymentClosed(structure.name)
    return config


def _new_reference(now: datetime) -> str:
    """Our reference, as PayFiP's ``refdet`` wants it (letters and digits, 30 at most): « GE20261126K7Q2M9XW4P »."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"GE{now.astimezone(PARIS):%Y%m%d}" + "".join(secrets.choice(alphabet) for _ in range(10))


@checked
def start_online_payment(
    db: Database,
    gateway: PaymentGateway,
    actor: Actor,
    structure_id: int,
    wallet_id: int,
    amount: AmountText,
) -> OnlineStart:
    """A family's « Payer par carte » on one of its wallets: a pending payment, then the address of the payment
    site's page. Bad input (an amount out of range, another family's wallet, a structure that takes no online payment
    or keeps no such wallet) writes nothing."""
    cents = check_amount(amount)

    def create(s: Session) -> tuple[int, str, str, BackendConfig, str]:
        now = db.clock.now()
        family = s.get(Family, actor.family_id) if actor.family_id is not None else None
        if family is None or family.anonymized_at is not None:
            raise FamilyRefused()
        wallet = s.get(Wallet, wallet_id)
        if wallet is None or wallet.family_id != family.id:
            raise WrongFamily("Ce porte-monnaie n'est pas celui de votre famille : rien n'a été enregistré.")
        wallet_kind = WalletKind(wallet.kind)
        structure = s.get(Structure, structure_id)
        if structure is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        config = _config(s, structure, gateway)
        uses = s.scalar(
            select(Activity.id)
            .where(
                Activity.structure_id == structure.id,
                Activity.active.is_(True),
                Activity.wallet_kind == wallet_kind,
            )
            .limit(1)
        )
        if uses is None:
            raise ValidationError(
                f"{structure.name} ne gère pas le porte-monnaie {WALLET_LABELS[wallet_kind]} : "
                "choisissez la structure des activités à payer."
            )
        if not family.email:
            raise FieldErrors(
                {
                    "email": "Le site de paiement envoie son ticket par e-mail : indiquez votre adresse "
                    "e-mail dans « Mon compte », puis recommencez."
                }
            )
        row = OnlinePayment(
            reference=_new_reference(now),
            structure_id=structure.id,
            family_id=family.id,
            wallet_id=wallet.id,
            amount_cents=cents,
            backend=config.kind,
            test_mode=config.test_mode,
            status=OnlinePaymentStatus.PENDING,
            created_at=now,
            updated_at=now,
            checks=0,
            next_check_at=now + FIRST_CHECK,
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            at=now,
            action="online_payment.start",
            entity="online_payment",
            entity_id=row.id,
            structure_id=structure.id,
            family_id=family.id,
            after={
                "reference": row.reference,
                "amount_cents": cents,
                "wallet": wallet_kind,
                "backend": config.kind,
            },
        )
        subject = f"{structure.name} porte monnaie {WALLET_LABELS[wallet_kind]} famille {family.id}"
        return row.id, row.reference, family.email, config, subject

    for _attempt in range(3):
        try:
            row_id, reference, email, config, subject = db.write(
                create, actor=actor, rule=rule("money.online.start_online_payment"), changed=(Shown.ACCOUNTS,)
            )
            break
        except IntegrityError:  # the same random reference twice (one in 32^10): another one
            continue
    else:  # pragma: no cover - practically impossible
        raise ValidationError("Référence de paiement indisponible : réessayez.")
    try:
        order_id, url = gateway.request(
            config,
            reference=reference,
            amount_cents=cents,
            email=email,
            subject=subject,
            year=db.clock.now().astimezone(PARIS).year,
        )
    except Exception as exc:
        _close_unsent(db, row_id, exc)
        raise

    def sent(s: Session) -> None:
        row = s.get(OnlinePayment, row_id, with_for_update=True)
        assert row is not None
        row.order_id, row.updated_at = order_id[:100], db.clock.now()

    db.write(sent)
    return OnlineStart(reference, url)


def _close_unsent(db: Database, row_id: int, exc: BaseException) -> None:
    """The site refused to open a page (or did not answer): the family was sent nowhere, nothing can be paid."""

    def work(s: Session) -> None:
        row = s.get(OnlinePayment, row_id, with_for_update=True)
        if row is not None and row.status is OnlinePaymentStatus.PENDING and row.order_id is None:
            now = db.clock.now()
            row.status, row.updated_at, row.settled_at = OnlinePaymentStatus.ABANDONED, now, now
            row.bank_status = f"page de paiement non obtenue : {type(exc).__name__}"[:200]

    db.write(work, changed=(Shown.ACCOUNTS,))


# --- settling ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineState:
    """A payment as the family and the counter see it."""

    id: int
    reference: str
    family_id: int
    status: OnlinePaymentStatus
    amount_cents: int
    wallet: str
    structure: str
    created_at: datetime
    receipt_number: str | None
    transaction_id: str | None
    test_mode: bool
    bank_status: str | None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _state(s: Session, row: OnlinePayment) -> OnlineState:
    wallet, structure = s.get(Wallet, row.wallet_id), s.get(Structure, row.structure_id)
    payment = s.get(Payment, row.payment_id) if row.payment_id is not None else None
    assert wallet is not None and structure is not None  # foreign keys
    return OnlineState(
        row.id,
        row.reference,
        row.family_id,
        row.status,
        row.amount_cents,
        WALLET_LABELS[WalletKind(wallet.kind)],
        structure.name,
        row.created_at,
        payment.receipt_number if payment is not None else None,
        row.transaction_id,
        row.test_mode,
        row.bank_status,
    )


@dataclass(frozen=True)
class _Facts:
    """What settling a payment needs to know before asking its site (read without a session: every notification)."""

    id: int
    status: OnlinePaymentStatus
    reference: str
    order_id: str | None
    amount_cents: int
    created_at: datetime
    config: BackendConfig

    def refuse(self, why: str, query: str, answer: Answer | None = None) -> NotificationRefused:
        log.warning(
            "online payment %s: notification refused (%s); query %r, answer %r",
            self.reference,
            why,
            query[:300],
            answer,
        )
        return NotificationRefused(why)

    def check(self, answer: Answer, query: str) -> None:
        """The site's answer must be about this very payment: its order, its reference, its amount — and a « paid »
        must say the amount (a payment whose amount cannot be checked is not recorded)."""
        if answer.order_id and self.order_id and answer.order_id != self.order_id:
            raise self.refuse("le site de paiement parle d'un autre paiement", query, answer)
        if answer.reference and answer.reference != self.reference:
            raise self.refuse("la référence ne correspond pas", query, answer)
        if answer.amount_cents is not None and answer.amount_cents != self.amount_cents:
            why = f"montant {format_eur(answer.amount_cents)} au lieu de {format_eur(self.amount_cents)}"
            raise self.refuse(why, query, answer)
        if answer.outcome is OnlinePaymentStatus.PAID and answer.amount_cents is None:
            raise self.refuse("le site de paiement ne dit pas le montant payé", query, answer)


def _facts(db: Database, where: Any) -> _Facts | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(
                OnlinePayment.id,
                OnlinePayment.status,
                OnlinePayment.reference,
                OnlinePayment.order_id,
                OnlinePayment.amount_cents,
                OnlinePayment.created_at,
                OnlinePayment.backend,
                Structure.code,
                PaymentSettings.backend.label("configured"),
                PaymentSettings.options,
            )
            .join(Structure, OnlinePayment.structure_id == Structure.id)
            .outerjoin(PaymentSettings, PaymentSettings.structure_id == Structure.id)
            .where(where)
        ).first()
    if row is None:
        return None
    options = row.options if row.configured == row.backend else {}  # the settings it was started with
    return _Facts(
        row.id,
        row.status,
        row.reference,
        row.order_id,
        row.amount_cents,
        row.created_at,
        BackendConfig.of(row.code, row.backend, options),
    )


SETTLED = (OnlinePaymentStatus.PAID, OnlinePaymentStatus.REFUSED, OnlinePaymentStatus.ABANDONED)
"""The site's own word: final. An expired payment is our guess only: a late « paid » from the site still counts."""


@checked
def settle_online_payment(
    db: Database, gateway: PaymentGateway, reference: Reference, query: Query = ""
) -> OnlineState:
    """The one way a payment ends — the site's notification, the family's return, the worker (``_settle``): the site
    is asked, its answer checked against the payment, and under the row's lock one payment is recorded on « paid »,
    or the row is marked refused / abandoned. A payment that has ended changes no more (but for an expired one the
    site says was paid: nothing is lost). ``StatusUnavailable`` leaves it pending: the worker asks again."""
    facts = _facts(db, OnlinePayment.reference == reference)
    if facts is None:
        log.warning(
            "online payment: notification for an unknown reference %r (query %r)", reference, query[:300]
        )
        raise UnknownOnlinePayment()
    return _settle(db, gateway, facts, query)


def _settle(
    db: Database, gateway: PaymentGateway, facts: _Facts, query: str, *, worker: bool = False
) -> OnlineState:
    """Asks the site (never believing ``query`` alone), checks its answer, records the outcome (``_apply``). The
    worker's last word on a payment an hour old that the site does not say paid is « expired »."""
    if facts.status in SETTLED:
        return _read_state(db, facts.id)
    expire = worker and db.clock.now() >= facts.created_at + LIFETIME
    if not gateway.usable(
        facts.config
    ):  # the demonstration's site (or a test mode) where this portal refuses it
        if not worker:
            raise facts.refuse("ce service de paiement n'est pas accepté par ce portail", query)
        return _apply(
            db, facts.id, Answer(None, bank_status="service de paiement refusé par ce portail"), expire
        )
    if facts.order_id is None:  # the family was never sent to the site: nothing can have been paid
        return _apply(db, facts.id, Answer(None, bank_status="page de paiement pas encore obtenue"), expire)
    named = notified_order(query)
    if named is not None and named != facts.order_id:  # refused before the site is asked anything
        raise facts.refuse("elle concerne un autre paiement", query)
    answer = gateway.status(facts.config, facts.order_id, db.clock.now() - facts.created_at, query)
    facts.check(answer, query)
    return _apply(db, facts.id, answer, expire)


def _read_state(db: Database, row_id: int) -> OnlineState:
    with db.reading() as uow:
        row = uow.session.get(OnlinePayment, row_id)
        assert row is not None
        return _state(uow.session, row)


def _apply(db: Database, row_id: int, answer: Answer, expire: bool = False) -> OnlineState:
    """Under the row's lock: record the payment once (paid), mark the end (refused, abandoned, expired), or note the
    check and when to ask again. ``expire``: the worker's last word on a payment the site does not say paid.

    The row is its own operation record: its reference is made before the site is ever asked, and its state moves
    from « pending » once, under its lock. A retry after an unclear COMMIT finds it « paid » (nothing more is
    written) or still « pending » (the payment is recorded then): one payment per online payment, whatever the
    notifications, returns and workers do. An expired payment the site says paid is recorded (the money was taken)."""
    outcome = answer.outcome
    if outcome is None and expire:
        outcome = OnlinePaymentStatus.EXPIRED
    locked = (
        select(OnlinePayment, Wallet, Family, Structure.name)  # the name only: not the structure's logo
        .join(Wallet, Wallet.id == OnlinePayment.wallet_id)
        .join(Family, Family.id == OnlinePayment.family_id)
        .join(Structure, Structure.id == OnlinePayment.structure_id)
        .where(OnlinePayment.id == row_id)
        .with_for_update(of=OnlinePayment)
        .execution_options(populate_existing=True)
    )

    def work(s: Session) -> OnlineState:
        now = db.clock.now()
        # the row locked, with what recording it needs (its wallet, family, structure's name)
        row, wallet, family, structure = s.execute(locked).one()
        late = row.status is OnlinePaymentStatus.EXPIRED
        if row.status in SETTLED or (late and outcome is not OnlinePaymentStatus.PAID):
            return _state(s, row)  # another notification, return or worker was first
        row.checks += 1
        row.updated_at, row.claimed_until = now, None
        row.bank_status = answer.bank_status[:200] or row.bank_status
        if answer.transaction_id:
            row.transaction_id = answer.transaction_id[:200]
        if outcome is OnlinePaymentStatus.PAID:
            if late:
                log.warning("online payment %s: paid after it was expired; recorded now", row.reference)
            return _record(s, row, wallet, family, structure, now, late)
        if outcome is not None:
            row.status, row.settled_at = outcome, now
        else:
            row.next_check_at = min(now + RECHECK, max(now, row.created_at + LIFETIME))
        return _state(s, row)

    return db.write(work, changed=(Shown.ACCOUNTS,) if outcome is not None else ())  # a check: not shown


def _record(
    s: Session,
    row: OnlinePayment,
    wallet: Wallet,
    family: Family,
    structure: str,
    now: datetime,
    late: bool,
) -> OnlineState:
    """The payment the site took: a receipt in the structure's sequence, the wallet credited, audited with the family
    as author, the receipt e-mailed (``structure``: its name)."""
    local = now.astimezone(PARIS)
    with s.no_autoflush:  # the row's changes go with the payment's, in one flush
        seq = next_receipt_seq(s, row.structure_id, local.year)
    payment = Payment(
        structure_id=row.structure_id,
        family_id=row.family_id,
        wallet_id=row.wallet_id,
        receipt_year=local.year,
        receipt_seq=seq,
        receipt_number=receipt_number(local.year, seq),
        method=PaymentMethod.ONLINE,
        amount_cents=row.amount_cents,
        paid_at=now,
        business_date=local.date(),
        agent_id=None,
    )
    row.status, row.settled_at, row.business_date = OnlinePaymentStatus.PAID, now, local.date()
    row.payment = payment
    s.add(payment)
    s.flush()
    credit = ledger.LedgerBatch(
        s, [wallet]
    )  # the entry flushed with the audit row and the e-mail, at the commit
    credit.add(
        wallet,
        kind=LedgerKind.PAYMENT,
        amount_cents=row.amount_cents,
        label=f"Paiement en ligne {payment.receipt_number} – réf. {row.reference}",
        at=now,
        structure_id=row.structure_id,
        payment_id=payment.id,
    )
    credit.apply()
    kind = WalletKind(wallet.kind)
    audit.record(
        s,
        at=now,
        action="payment.online",
        entity="payment",
        entity_id=payment.id,
        structure_id=row.structure_id,
        family_id=row.family_id,
        after={
            "receipt": payment.receipt_number,
            "amount_cents": row.amount_cents,
            "method": "online",
            "wallet": kind,
            "reference": row.reference,
            "transaction": row.transaction_id,
            "test": row.test_mode,
            "late": late,
        },
    )
    balance = ledger.family_balance(s, family.id)
    queue_email(
        s,
        kind="online_receipt",
        dedup_key=f"online-receipt-{row.reference}",
        family=family,
        subject=f"Paiement en ligne enregistré : reçu {payment.receipt_number}",
        body=(
            f"Bonjour,\n\nVotre paiement par carte de {format_eur(row.amount_cents)} est enregistré le "
            f"{moment(local)} sur votre porte-monnaie {WALLET_LABELS[kind]} "
            f"({structure}).\n\nReçu n° {payment.receipt_number}, référence {row.reference}"
            + (f", transaction {row.transaction_id}" if row.transaction_id else "")
            + f".\nSolde de votre compte : {format_eur(balance)}.\n\n"
            + ("(Paiement de test : aucun débit réel.)\n\n" if row.test_mode else "")
            + "Le service enfance-jeunesse"
        ),
        now=now,
    )
    return OnlineState(
        row.id,
        row.reference,
        row.family_id,
        row.status,
        row.amount_cents,
        WALLET_LABELS[kind],
        structure,
        row.created_at,
        payment.receipt_number,
        row.transaction_id,
        row.test_mode,
        row.bank_status,
    )


# --- the worker's round -------------------------------------------------------------------------------------------


@dataclass
class SettleReport:
    paid: int = 0
    ended: int = 0
    """Refused, abandoned or expired."""
    waiting: int = 0
    unanswered: int = 0
    """Payments whose site could not be asked (or answered something not about them): asked again later."""

    def lines(self) -> list[str]:
        if not (self.paid or self.ended or self.waiting or self.unanswered):
            return []
        line = (
            f"Paiements en ligne vérifiés : {count(self.paid, 'payé', 'payés')}, "
            f"{count(self.ended, 'terminé sans paiement', 'terminés sans paiement')}, "
            f"{self.waiting} en attente"
        )
        if self.unanswered:
            line += (
                f", {count(self.unanswered, 'paiement', 'paiements')} sans réponse exploitable du site de "
                "paiement (nouvel essai plus tard)"
            )
        return [line + "."]


BATCH = 4
"""Payments a worker claims at once: asking a site may take its whole timeout (15 s), and a claim lasts ``LEASE``."""


def _claim_due(db: Database, limit: int) -> list[int]:
    def work(s: Session) -> list[int]:
        now = db.clock.now()
        rows = list(
            s.scalars(
                select(OnlinePayment)
                .where(
                    OnlinePayment.status == OnlinePaymentStatus.PENDING,
                    OnlinePayment.next_check_at <= now,
                    or_(OnlinePayment.claimed_until.is_(None), OnlinePayment.claimed_until <= now),
                )
                .order_by(OnlinePayment.next_check_at, OnlinePayment.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            row.claimed_until = now + LEASE
        return [row.id for row in rows]

    return db.write(work)


@checked
def settle_due_online_payments(
    db: Database, gateway: PaymentGateway, limit: Annotated[int, Range(1, 1000, "nombre de paiements")] = 50
) -> SettleReport:
    """The worker's round: each pending payment whose time has come is asked to its site, as a notification would
    (``_settle``); one still not paid an hour after it started is expired. Several workers share the rows (each batch
    claimed for ``LEASE``); a payment whose site does not answer, or answers about another payment, stays pending
    and is asked again later, and does not stop the others."""
    report = SettleReport()
    done = 0
    while done < limit:
        batch = _claim_due(db, min(BATCH, limit - done))
        if not batch:
            break
        done += len(batch)
        for row_id in batch:
            facts = _facts(db, OnlinePayment.id == row_id)
            assert facts is not None
            try:
                state = _settle(db, gateway, facts, "", worker=True)
            except DomainError as exc:  # the site away, or an answer that is not about this payment (logged)
                _retry_later(db, row_id, str(exc))
                report.unanswered += 1
                continue
            except Exception as exc:  # noqa: BLE001 - one payment's failure must not stop the others
                log.exception("online payment %s: the worker could not settle it", facts.reference)
                _retry_later(db, row_id, f"erreur : {type(exc).__name__}")
                report.unanswered += 1
                continue
            if state.status is OnlinePaymentStatus.PAID:
                report.paid += 1
            elif state.status is OnlinePaymentStatus.PENDING:
                report.waiting += 1
            else:
                report.ended += 1
    return report


def _retry_later(db: Database, row_id: int, why: str) -> None:
    def work(s: Session) -> None:
        row = s.get(OnlinePayment, row_id, with_for_update=True)
        if row is not None and row.status is OnlinePaymentStatus.PENDING:
            now = db.clock.now()
            row.claimed_until, row.next_check_at, row.updated_at = None, now + RECHECK, now
            row.bank_status = f"nouvel essai : {why}"[:200]

    db.write(work)


# --- reading ---------------------------------------------------------------------------------------------------------


@checked
def online_payment_state(db: Database, family_id: int, reference: Reference) -> OnlineState | None:
    """A family's own payment (the return page); None for a reference that is not the family's."""
    with db.reading() as uow:
        row = uow.session.scalar(
            select(OnlinePayment).where(
                OnlinePayment.reference == reference, OnlinePayment.family_id == family_id
            )
        )
        return _state(uow.session, row) if row is not None else None


@checked
def online_payments_of_family(db: Database, family_id: int) -> list[OnlineState]:
    """Every online payment of the family, newest first (the portal's history, the counter's payments tab)."""
    with db.reading() as uow:
        s = uow.session
        rows = s.scalars(
            select(OnlinePayment)
            .where(OnlinePayment.family_id == family_id)
            .order_by(OnlinePayment.created_at.desc(), OnlinePayment.id.desc())
        )
        return [_state(s, row) for row in rows]


@dataclass(frozen=True)
class DayOnlinePayment:
    receipt_number: str
    at: datetime
    family: str
    reference: str
    transaction_id: str
    amount_cents: int
    test_mode: bool


@checked
def online_payments_of_day(db: Database, structure_id: int, day: date) -> list[DayOnlinePayment]:
    """The structure's online payments recorded that day (in no till): to reconcile with the DGFiP's statement."""
    with db.reading() as uow:
        return [
            DayOnlinePayment(
                p.receipt_number,
                p.paid_at,
                name,
                o.reference,
                o.transaction_id or "",
                p.amount_cents,
                o.test_mode,
            )
            for o, p, name in uow.session.execute(
                select(OnlinePayment, Payment, Family.name)
                .join(Payment, OnlinePayment.payment_id == Payment.id)
                .join(Family, OnlinePayment.family_id == Family.id)
                .where(Payment.structure_id == structure_id, Payment.business_date == day)
                .order_by(Payment.paid_at, Payment.id)
            )
        ]


@checked
def check_payment_site(db: Database, gateway: PaymentGateway, structure_id: int) -> str:
    """Ask the structure's payment site what it knows of the régie (``python -m app payment-check``): the numcli
    and the server's access to PayFiP checked before the families are let in."""
    with db.reading() as uow:
        structure = uow.session.get(Structure, structure_id)
        settings = uow.session.get(PaymentSettings, structure_id)
        if structure is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        if settings is None:
            raise OnlinePaymentClosed(structure.name)
        config = BackendConfig(
            structure.code, settings.backend, tuple(sorted((settings.options or {}).items()))
        )
    return gateway.client_info(config)


# --- a structure's settings (Administration → Structures) ---------------------------------------------------------


@dataclass(frozen=True)
class PaymentSettingsView:
    structure_id: int
    backend: str
    options: dict[str, str]
    enabled: bool
    test_mode: bool


@dataclass
class PaymentSettingsInput:
    backend: Annotated[str, Text(PaymentSettings.backend, label="service de paiement")] = ""
    options: dict[str, str] | None = None
    enabled: bool = False


@checked
def payment_settings(db: Database, structure_id: int) -> PaymentSettingsView | None:
    with db.reading() as uow:
        s = uow.session
        row = s.get(PaymentSettings, structure_id)
        if row is None:
            return None
        config = BackendConfig.of("", row.backend, row.options)
        return PaymentSettingsView(
            structure_id, row.backend, dict(config.options), row.enabled, config.test_mode
        )


@checked
def save_payment_settings(db: Database, actor: Actor, structure_id: int, data: PaymentSettingsInput) -> None:
    """An administrator sets a structure's online payment: the backend, its options (checked against the backend's
    own description; never a secret), open to the families or not. Audited."""
    kinds = dict(backend_kinds())
    if data.backend not in kinds:
        raise FieldErrors({"backend": f"Service de paiement inconnu : « {data.backend[:32]} »."})
    raw = data.options or {}
    if not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 400 for k, v in raw.items()
    ):
        raise FieldErrors({"options": "Options du service de paiement invalides."})
    options = check_options(data.backend, raw)

    def work(s: Session) -> None:
        now = db.clock.now()
        if s.get(Structure, structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        row = s.get(PaymentSettings, structure_id)
        before = (
            None if row is None else {"backend": row.backend, "options": row.options, "enabled": row.enabled}
        )
        if row is None:
            row = PaymentSettings(
                structure_id=structure_id,
                backend=data.backend,
                options=options,
                enabled=data.enabled,
                updated_at=now,
            )
            s.add(row)
        else:
            row.backend, row.options, row.enabled, row.updated_at = data.backend, options, data.enabled, now
        audit.record(
            s,
            at=now,
            action="structure.payment_settings",
            entity="structure",
            entity_id=structure_id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            before=before,
            after={"backend": data.backend, "options": options, "enabled": data.enabled},
        )

    db.write(work, actor=actor, rule=rule("money.online.save_payment_settings"), changed=(Shown.TOWN,))


@checked
def online_day_summary(db: Database, day: date) -> list[str]:
    """One line per structure that took online payments on ``day`` (the end of day's report)."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Structure.name, Payment.amount_cents)
            .join(Payment, Payment.structure_id == Structure.id)
            .where(Payment.method == PaymentMethod.ONLINE, Payment.business_date == day)
            .order_by(Structure.name)
        ).all()
    totals: dict[str, list[int]] = {}
    for name, cents in rows:
        totals.setdefault(name, []).append(cents)
    return [
        f"Paiements en ligne du {short_date(day)}, {name} : {count(len(amounts), 'paiement')}, "
        f"{format_eur(sum(amounts))} (hors caisse, à rapprocher du relevé du site de paiement)."
        for name, amounts in totals.items()
    ]
