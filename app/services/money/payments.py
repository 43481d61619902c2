"""Counter payments ("règlements") with gapless receipt numbers, reversals and adjustments (the tills they
belong to: docs/regie.md).

Receipt numbers are taken from a per-structure-and-year counter row incremented inside the payment's own
transaction: a rolled-back payment never consumes a number, and two counters never get the same one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import (
    TILL_METHODS,
    Agent,
    Family,
    LedgerEntry,
    LedgerKind,
    OnlinePayment,
    Payment,
    PaymentMethod,
    Structure,
    Wallet,
    WalletKind,
)
from ...text import format_eur, plain_amount
from .. import audit
from ..actors import Actor
from ..bounds import AmountText, OperationKey, Reason, RowLimit, Text, checked
from ..errors import ReasonRequired, UnknownEntity, ValidationError
from ..families.edit import FieldErrors
from ..families.view import WALLET_LABELS
from ..permissions import rule
from ..sealing import ERASED, opened_text, seal_optional
from ..uow import Database, Operation, Shown
from . import ledger
from .amounts import MAX_PAYMENT_CENTS, parse_amount
from .till import TillClosed, ensure_day_open, lock_till, next_receipt_seq, receipt_number, till_closing

METHOD_LABELS = {
    PaymentMethod.CASH: "Espèces",
    PaymentMethod.CHEQUE: "Chèque",
    PaymentMethod.CARD: "Carte bancaire",
    PaymentMethod.TRANSFER: "Virement",
    PaymentMethod.ONLINE: "Carte en ligne",
}


@dataclass
class PaymentInput:
    family_id: int
    wallet_kind: WalletKind
    method: PaymentMethod
    amount: AmountText
    """As typed by the agent ("65", "65,00 €")."""
    cheque_bank: Annotated[str, Text(max_len=80, label="banque du chèque")] = ""
    cheque_number: Annotated[str, Text(max_len=40, label="numéro du chèque")] = ""
    cheque_drawer: Annotated[str, Text(max_len=120, label="tireur du chèque")] = ""
    """Who signed the cheque, when not a responsible adult of the family (optional)."""


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    number: str
    amount_cents: int
    balance_after_cents: int


def validate_payment(data: PaymentInput) -> tuple[int, str | None, str | None]:
    errors: dict[str, str] = {}
    data.method = PaymentMethod(data.method)  # widgets hand plain strings back
    data.wallet_kind = WalletKind(data.wallet_kind)
    if data.method not in TILL_METHODS:
        errors["method"] = (
            "« Carte en ligne » est le paiement des familles sur le portail : choisissez le mode du guichet."
        )
    cents = 0
    try:
        cents = parse_amount(data.amount)
    except ValidationError as exc:
        errors["amount"] = str(exc)
    else:
        if cents <= 0:
            errors["amount"] = f"Le montant d'un règlement doit être positif (saisi : {data.amount.strip()})."
        elif cents > MAX_PAYMENT_CENTS:
            errors["amount"] = (
                f"Montant trop élevé : {format_eur(cents)} (au plus {format_eur(MAX_PAYMENT_CENTS)})."
            )
    bank = number = None
    if data.method is PaymentMethod.CHEQUE:
        bank, number = data.cheque_bank.strip() or None, data.cheque_number.strip() or None
        if not number:
            errors["cheque_number"] = "Le numéro du chèque est obligatoire."
        elif not re.fullmatch(r"[0-9]{1,40}", number):
            errors["cheque_number"] = f"Numéro de chèque invalide : « {number} » (des chiffres)."
        if not bank:
            errors["cheque_bank"] = "La banque du chèque est obligatoire."
    if errors:
        raise FieldErrors(errors)
    return cents, bank, number


@checked
def record_payment(
    db: Database, actor: Actor, structure_id: int, data: PaymentInput, *, key: OperationKey
) -> Receipt:
    """Take a payment at the counter: a numbered receipt and a ledger entry on the chosen wallet.

    ``key``: made when the cash is handed over, kept for the retries; one handover is one payment."""
    cents, bank, number = validate_payment(data)

    def work(s: Session) -> Receipt:
        now = db.clock.now()
        local = now.astimezone(PARIS)
        family = s.get(Family, data.family_id)
        if family is None or family.anonymized_at is not None:
            raise UnknownEntity(f"Famille inconnue (n° {data.family_id}).")
        if s.get(Structure, structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        seq = next_receipt_seq(s, structure_id, local.year)  # locks the till first, as a closing does
        ensure_day_open(s, structure_id, local.date(), actor.agent_id)
        wallet = ledger.wallet_for(s, family.id, data.wallet_kind)
        payment = Payment(
            structure_id=structure_id,
            family_id=family.id,
            wallet_id=wallet.id,
            receipt_year=local.year,
            receipt_seq=seq,
            receipt_number=receipt_number(local.year, seq),
            method=data.method,
            amount_cents=cents,
            cheque_bank=seal_optional(s, family.id, bank),  # erased with the family (``sealing``)
            cheque_number=seal_optional(s, family.id, number),
            cheque_drawer=seal_optional(s, family.id, data.cheque_drawer.strip() or None)
            if data.method is PaymentMethod.CHEQUE
            else None,
            paid_at=now,
            business_date=local.date(),
            agent_id=actor.agent_id,
        )
        s.add(payment)
        s.flush()
        ledger.post(
            s,
            wallet,
            kind=LedgerKind.PAYMENT,
            amount_cents=cents,
            label=f"Règlement {payment.receipt_number} – {METHOD_LABELS[data.method]}",
            at=now,
            structure_id=structure_id,
            agent_id=actor.agent_id,
            payment_id=payment.id,
        )
        audit.record(
            s,
            at=now,
            action="payment.create",
            entity="payment",
            entity_id=payment.id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            family_id=family.id,
            after={
                "receipt": payment.receipt_number,
                "amount_cents": cents,
                "method": data.method,
                "wallet": data.wallet_kind,
            },
        )
        balance = ledger.family_balance(s, family.id)
        return Receipt(payment.id, payment.receipt_number, cents, balance)

    return db.write(
        work,
        operation=Operation(key, "payment", Receipt),
        actor=actor,
        rule=rule("money.payments.record_payment"),
        changed=(Shown.ACCOUNTS,),
    )


@checked
def reverse_payment(db: Database, actor: Actor, payment_id: int, reason: Reason, *, key: OperationKey) -> int:
    """Supervisor: cancel a payment by a reversing entry (the payment and its entry stay). Returns the entry id."""
    if not (reason or "").strip():
        raise ReasonRequired("de l'annulation du règlement")

    def work(s: Session) -> int:
        now = db.clock.now()
        payment = s.get(
            Payment, payment_id
        )  # never changed once written: read, not locked (on a shared server
        # the counters' login may not lock a row of an append-only table)
        if payment is None:
            raise UnknownEntity(f"Règlement inconnu (n° {payment_id}).")
        # the reversal belongs to the till of the payment (who took it, that day), not to the reverser's: that
        # till must still be open (docs/regie.md). Its lock also puts two reversals of the payment one after the
        # other, so the second sees the first (and the unique ``reverses_id`` is the last guard).
        lock_till(s, payment.structure_id, payment.business_date.year)
        if (
            payment.method in TILL_METHODS
            and till_closing(s, payment.structure_id, payment.agent_id, payment.business_date) is not None
        ):
            taker = s.get(Agent, payment.agent_id) if payment.agent_id is not None else None
            raise TillClosed(payment.receipt_number, taker.full_name if taker else "?", payment.business_date)
        original = s.scalar(
            select(LedgerEntry).where(
                LedgerEntry.payment_id == payment.id, LedgerEntry.kind == LedgerKind.PAYMENT
            )
        )
        assert original is not None  # every payment is posted with its ledger entry
        if s.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)) is not None:
            raise ValidationError(f"Le règlement {payment.receipt_number} est déjà annulé.")
        entry = ledger.post(
            s,
            payment.wallet,
            kind=LedgerKind.REVERSAL,
            amount_cents=-payment.amount_cents,
            label=f"Annulation du règlement {payment.receipt_number}",
            at=now,
            structure_id=payment.structure_id,
            agent_id=actor.agent_id,
            payment_id=payment.id,
            reverses_id=original.id,
            reason=reason.strip(),
        )
        audit.record(
            s,
            at=now,
            action="payment.reverse",
            entity="payment",
            entity_id=payment.id,
            agent_id=actor.agent_id,
            structure_id=payment.structure_id,
            family_id=payment.family_id,
            before={"amount_cents": payment.amount_cents},
            after={"reversal_entry": entry.id},
            reason=reason.strip(),
        )
        return entry.id

    return db.write(
        work,
        operation=Operation(key, "payment.reverse", int),
        actor=actor,
        rule=rule("money.payments.reverse_payment"),
        changed=(Shown.ACCOUNTS,),
    )


@checked
def adjust(
    db: Database,
    actor: Actor,
    structure_id: int,
    family_id: int,
    wallet_kind: WalletKind,
    amount: AmountText,
    reason: Reason,
    *,
    key: OperationKey,
) -> int:
    """Supervisor: a manual adjustment (signed amount) with a mandatory reason. Returns the entry id."""
    wallet_kind = WalletKind(wallet_kind)
    if not (reason or "").strip():
        raise ReasonRequired("de l'ajustement")
    cents = parse_amount(amount)
    if cents == 0 or abs(cents) > MAX_PAYMENT_CENTS:
        raise ValidationError(f"Montant d'ajustement invalide : « {amount.strip()} ».")

    def work(s: Session) -> int:
        now = db.clock.now()
        if s.get(Family, family_id) is None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        if s.get(Structure, structure_id) is None:  # before the till row: it refers to the structure
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        lock_till(s, structure_id, now.astimezone(PARIS).year)
        ensure_day_open(s, structure_id, now.astimezone(PARIS).date(), actor.agent_id)
        wallet = ledger.wallet_for(s, family_id, wallet_kind)
        entry = ledger.post(
            s,
            wallet,
            kind=LedgerKind.ADJUSTMENT,
            amount_cents=cents,
            label=f"Ajustement – {reason.strip()}"[:200],
            at=now,
            structure_id=structure_id,
            agent_id=actor.agent_id,
            reason=reason.strip(),
        )
        audit.record(
            s,
            at=now,
            action="ledger.adjust",
            entity="ledger_entry",
            entity_id=entry.id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            family_id=family_id,
            after={"amount_cents": cents, "wallet": wallet_kind},
            reason=reason.strip(),
        )
        return entry.id

    return db.write(
        work,
        operation=Operation(key, "ledger.adjust", int),
        actor=actor,
        rule=rule("money.payments.adjust"),
        changed=(Shown.ACCOUNTS,),
    )


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    id: int
    at: datetime
    wallet: str
    label: str
    amount_cents: int
    running_cents: int
    """The balance of this entry's wallet after it (not the account's, the sum of the wallets)."""


@dataclass(frozen=True)
class PaymentRow:
    id: int | None
    """The payment's; None for an online payment that was not paid (no receipt, nothing to reverse)."""
    paid_at: datetime
    receipt_number: str
    method: str
    amount_cents: int
    wallet: str
    agent: str
    reversed: bool
    state: str = "Encaissé"
    """« Encaissé », « Annulé », « Payé en ligne », or an unpaid online payment's state (« Refusé »…)."""
    reference: str = ""
    """An online payment's reference and the payment site's transaction number."""


@checked
def ledger_rows(db: Database, family_id: int, limit: RowLimit = 200) -> list[LedgerRow]:
    """The most recent entries of the family's account, newest first, each with its wallet's balance after it —
    shown beside the wallet's name, a running total of every wallet would give an « ALAE » line the sum of ALAE and
    ALSH. The one rule of the portal's history and of the counter's balances tab (both show these rows)."""
    with db.reading() as uow:
        s = uow.session
        rows = s.execute(
            select(LedgerEntry, Wallet.kind, Wallet.balance_cents)
            .join(Wallet)
            .where(Wallet.family_id == family_id)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        ).all()
        running: dict[int, int] = {}  # wallet → its balance after the row being read (going back in time)
        result = []
        for entry, kind, balance in rows:
            after = running.get(entry.wallet_id, balance)
            result.append(
                LedgerRow(
                    entry.id,
                    entry.created_at,
                    WALLET_LABELS[kind],
                    _label(s, entry),
                    entry.amount_cents,
                    after,
                )
            )
            running[entry.wallet_id] = after - entry.amount_cents
        return result


def _label(s: Session, entry: LedgerEntry) -> str:
    """The entry's label, or what it is once an anonymisation erased it (« Réservation (libellé effacé) »)."""
    label = opened_text(s, entry.label)
    return f"{ledger.KIND_LABELS[entry.kind]} (libellé effacé)" if label == ERASED else label


@checked
def payment_rows(db: Database, family_id: int) -> list[PaymentRow]:
    """Historique des règlements, newest first: the counter's and the online ones — paid (with their receipt), and
    those still awaiting the payment site's word or that ended unpaid."""
    from .online import STATUS_LABELS

    with db.reading() as uow:
        s = uow.session
        reversed_ids = set(
            s.scalars(
                select(LedgerEntry.payment_id).where(
                    LedgerEntry.kind == LedgerKind.REVERSAL, LedgerEntry.payment_id.is_not(None)
                )
            )
        )
        rows = [
            PaymentRow(
                p.id,
                p.paid_at,
                p.receipt_number,
                METHOD_LABELS[p.method]
                + (f" n° {opened_text(s, p.cheque_number)}" if p.cheque_number else ""),
                p.amount_cents,
                WALLET_LABELS[kind],
                agent or "portail",
                p.id in reversed_ids,
                "Annulé" if p.id in reversed_ids else "Payé en ligne" if online else "Encaissé",
                _online_reference(online) if online else "",
            )
            for p, kind, agent, online in s.execute(
                select(Payment, Wallet.kind, Agent.full_name, OnlinePayment)
                .join(Wallet, Payment.wallet_id == Wallet.id)
                .outerjoin(Agent, Payment.agent_id == Agent.id)
                .outerjoin(OnlinePayment, OnlinePayment.payment_id == Payment.id)
                .where(Payment.family_id == family_id)
            )
        ]
        rows += [
            PaymentRow(
                None,
                o.created_at,
                "",
                METHOD_LABELS[PaymentMethod.ONLINE],
                o.amount_cents,
                WALLET_LABELS[kind],
                "portail",
                False,
                STATUS_LABELS[o.status],
                _online_reference(o),
            )
            for o, kind in s.execute(
                select(OnlinePayment, Wallet.kind)
                .join(Wallet, OnlinePayment.wallet_id == Wallet.id)
                .where(OnlinePayment.family_id == family_id, OnlinePayment.payment_id.is_(None))
            )
        ]
        return sorted(rows, key=lambda r: (r.paid_at, r.id or 0), reverse=True)


def _online_reference(online: OnlinePayment) -> str:
    test = " (test)" if online.test_mode else ""
    return f"réf. {online.reference}{test}" + (
        f" · transaction {online.transaction_id}" if online.transaction_id else ""
    )


def suggested_amount(missing_cents: int) -> str:
    """The amount proposed in the payment dialog ("65,00"), editable by the agent."""
    return plain_amount(missing_cents) if missing_cents > 0 else ""


@checked
def last_cheque_bank(db: Database, family_id: int) -> str:
    """The bank of the family's last cheque ("" if none, or erased): a family pays from the same chequebook, so
    the payment dialog proposes it (the agent may change it)."""
    with db.reading() as uow:
        s = uow.session
        sealed = s.scalar(
            select(Payment.cheque_bank)
            .where(
                Payment.family_id == family_id,
                Payment.method == PaymentMethod.CHEQUE,
                Payment.cheque_bank.is_not(None),
            )
            .order_by(Payment.paid_at.desc(), Payment.id.desc())
            .limit(1)
        )
        bank = opened_text(s, sealed)
        return "" if bank == ERASED else bank
