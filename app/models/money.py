"""Wallets, the immutable ledger, counter payments with numbered receipts, and aids.

Amounts are integer cents (``*_cents``), never floats.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import AidKind, LedgerKind, OnlinePaymentStatus, PaymentMethod, WalletKind

if TYPE_CHECKING:
    from .family import Family
    from .reservation import Reservation


class Wallet(Base):
    """Porte-monnaie: one per family and kind; ``balance_cents`` always equals the sum of its entries."""

    __tablename__ = "wallets"
    __table_args__ = (UniqueConstraint("family_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="RESTRICT"))
    kind: Mapped[WalletKind] = mapped_column(str_enum(WalletKind, "wallet_kind"))
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    family: Mapped[Family] = relationship(back_populates="wallets")


class LedgerEntry(Base):
    """Écriture: never updated nor deleted; a mistake is corrected by a reversing entry."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_wallet_created", "wallet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, "ledger_kind"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(Text)
    """Sealed with the family's key (``services.sealing``): anonymisation erases it, the amount stays."""
    created_at: Mapped[datetime]
    business_date: Mapped[date] = mapped_column(index=True)
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="RESTRICT"), index=True
    )
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(Text, info={"label": "motif"})

    reservation: Mapped[Reservation | None] = relationship()


class ReceiptCounter(Base):
    """Last receipt sequence per structure and year; its row is locked to number without gaps."""

    __tablename__ = "receipt_counters"

    structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="RESTRICT"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Payment(Base):
    """Règlement taken at the counter — or online by the family (``agent_id`` None, method ``online``) — with its
    receipt number (e.g. ``2026-000123``) in its structure's sequence."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("structure_id", "receipt_year", "receipt_seq"),
        UniqueConstraint("structure_id", "receipt_number"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("receipt_seq > 0", name="receipt_seq_positive"),
        Index("ix_payments_structure_business_date", "structure_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="RESTRICT"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    receipt_year: Mapped[int]
    receipt_seq: Mapped[int]
    receipt_number: Mapped[str] = mapped_column(String(20))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    cheque_bank: Mapped[str | None] = mapped_column(Text, info={"label": "banque du chèque"})
    """Sealed with the family's key, as ``cheque_number`` (``services.sealing``)."""
    cheque_number: Mapped[str | None] = mapped_column(Text, info={"label": "numéro du chèque"})
    cheque_drawer: Mapped[str | None] = mapped_column(Text, info={"label": "tireur du chèque"})
    """Who signed the cheque (the tireur, when it is not the family's name), sealed as the bank and number."""
    paid_at: Mapped[datetime]
    business_date: Mapped[date]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))

    family: Mapped[Family] = relationship()
    wallet: Mapped[Wallet] = relationship()


class DepositCounter(Base):
    """Last cheque deposit sequence per structure and year; its row is locked to number without gaps."""

    __tablename__ = "deposit_counters"

    structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="RESTRICT"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ChequeDeposit(Base):
    """Bordereau de remise de chèques: the cheques a régisseur takes to the bank or the Trésor together, numbered
    per structure and year without gaps (``REM-2026-0001``). Never changed once made."""

    __tablename__ = "cheque_deposits"
    __table_args__ = (
        UniqueConstraint("structure_id", "year", "seq"),
        UniqueConstraint("structure_id", "number"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("cheque_count > 0", name="count_positive"),
        CheckConstraint("total_cents > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"))
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(20))
    business_date: Mapped[date]
    created_at: Mapped[datetime]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    cheque_count: Mapped[int]
    total_cents: Mapped[int] = mapped_column(BigInteger)

    items: Mapped[list[ChequeDepositItem]] = relationship(order_by="ChequeDepositItem.payment_id")


class ChequeDepositItem(Base):
    """One cheque (a payment by cheque) in a deposit: a cheque is in one deposit at most (its primary key)."""

    __tablename__ = "cheque_deposit_items"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("cheque_deposits.id", ondelete="RESTRICT"), index=True)

    payment: Mapped[Payment] = relationship()


class AidType(Base):
    """Catalogue of aids (CAF "Aide au temps libre", MSA "Pass accueil", employer aid…)."""

    __tablename__ = "aid_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AidKind] = mapped_column(str_enum(AidKind, "aid_kind"))
    name: Mapped[str] = mapped_column(String(120), unique=True, info={"label": "nom de l'aide"})


class FamilyAid(Base):
    """An aid a family is entitled to: amount deducted per day for one activity kind, between two dates."""

    __tablename__ = "family_aids"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    aid_type_id: Mapped[int] = mapped_column(ForeignKey("aid_types.id", ondelete="RESTRICT"))
    wallet_kind: Mapped[WalletKind] = mapped_column(str_enum(WalletKind, "wallet_kind"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date]
    valid_to: Mapped[date]

    family: Mapped[Family] = relationship(back_populates="aids")
    aid_type: Mapped[AidType] = relationship()


class OnlinePayment(Base):
    """A payment a family started on the portal (docs/regie.md): ``pending`` from the moment it is sent to the payment
    site until the backend says how it ended; ``paid`` once, with the one ``Payment`` it recorded."""

    __tablename__ = "online_payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_online_payments_status_next_check", "status", "next_check_at"),
        Index("ix_online_payments_structure_settled", "structure_id", "settled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    """Our own reference, sent to the backend (PayFiP's ``refdet``: 1 to 30 letters and digits)."""
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="RESTRICT"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(32))
    """The eopayment backend it went through (``payfip_ws``, ``dummy``…)."""
    test_mode: Mapped[bool] = mapped_column(default=False)
    """A test payment (PayFiP ``saisie`` T, the demonstration backend): no money moved at the bank."""
    status: Mapped[OnlinePaymentStatus] = mapped_column(
        str_enum(OnlinePaymentStatus, "online_payment_status")
    )
    order_id: Mapped[str | None] = mapped_column(String(100))
    """The backend's id of the request (PayFiP's ``idop``), what its status is asked with."""
    transaction_id: Mapped[str | None] = mapped_column(String(200))
    """The backend's transaction number once settled (PayFiP: refdet, idop and authorisation number)."""
    bank_status: Mapped[str | None] = mapped_column(String(200))
    """The backend's last word on it (« paid CB », « refused CB »…)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
    business_date: Mapped[date | None]
    """The day (Paris) it was settled as paid: the day of the end-of-day report that lists it."""
    checks: Mapped[int] = mapped_column(Integer, default=0)
    """How many times the backend was asked (notifications, returns, the worker)."""
    next_check_at: Mapped[datetime]
    """When the worker asks the backend again if nothing was heard by then."""
    claimed_until: Mapped[datetime | None]
    """A worker holds the row (asking the backend) until then; another worker skips it meanwhile."""
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), unique=True
    )

    payment: Mapped[Payment | None] = relationship()


class PaymentSettings(Base):
    """One structure's online payment (its régie): the eopayment backend and its options. Secrets are never here:
    they are in the keyring or the environment of the portal's server (``services.money.online_backends``)."""

    __tablename__ = "payment_settings"

    structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True
    )
    backend: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=False)
    """Open to the families: « Payer par carte » is offered for this structure's wallets."""
    updated_at: Mapped[datetime]
