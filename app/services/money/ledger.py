"""Posting ledger entries: the only way a wallet balance changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ...clock import PARIS
from ...models import Family, LedgerEntry, LedgerKind, Reservation, Wallet, WalletKind, table_of
from ..sealing import seal, seal_optional

P = ParamSpec("P")

KIND_LABELS = {
    LedgerKind(kind): label
    for kind, label in (
        ("payment", "Règlement"),
        ("charge", "Réservation"),
        ("refund", "Remboursement"),
        ("reversal", "Annulation de règlement"),
        ("adjustment", "Ajustement"),
        ("opening", "Solde repris"),
    )
}
"""What an entry is, in French (its label once an anonymisation erased it)."""


def wallet_for(session: Session, family_id: int, kind: WalletKind) -> Wallet:
    """The family's wallet of that kind, created on first use."""
    wallet = session.scalar(select(Wallet).where(Wallet.family_id == family_id, Wallet.kind == kind))
    if wallet is None:
        wallet = Wallet(family_id=family_id, kind=kind, balance_cents=0)
        session.add(wallet)
        session.flush()
    return wallet


def family_balance(session: Session, family_id: int) -> int:
    """The account balance: the sum of the family's wallets."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Wallet.balance_cents), 0)).where(Wallet.family_id == family_id)
        )
        or 0
    )


def open_wallets(session: Session, family: Family) -> None:
    for kind in WalletKind:
        wallet_for(session, family.id, kind)


def entry_values(
    session: Session,
    wallet: Wallet,
    /,
    *,
    kind: LedgerKind,
    amount_cents: int,
    label: str,
    at: datetime,
    reason: str | None = None,
    **references: int | None,
) -> dict[str, Any]:
    """The values of an immutable entry (never zero), dated on its Europe/Paris business day (``new_entry`` makes the
    row, ``LedgerBatch.row`` writes many in one INSERT); the caller moves the wallet. Its label and reason (a child's
    first name, what the régisseur typed) are sealed with the family's key (``sealing``): anonymisation erases them,
    the amount stays."""
    if amount_cents == 0:
        raise ValueError("a ledger entry cannot be zero")
    return {
        "wallet_id": wallet.id,
        "kind": kind,
        "amount_cents": amount_cents,
        "label": seal(session, wallet.family_id, label),
        "created_at": at,
        "business_date": at.astimezone(PARIS).date(),
        "reason": seal_optional(session, wallet.family_id, reason),
        "structure_id": None,
        "agent_id": None,
        "reservation_id": None,
        "payment_id": None,
        "reverses_id": None,
        **references,
    }


def _made(
    values: Callable[Concatenate[Session, Wallet, P], dict[str, Any]],
) -> Callable[Concatenate[Session, Wallet, P], LedgerEntry]:
    def make(session: Session, wallet: Wallet, /, *args: P.args, **kwargs: P.kwargs) -> LedgerEntry:
        return LedgerEntry(**values(session, wallet, *args, **kwargs))

    make.__doc__ = "A new entry's row (``entry_values``), not yet added to the session."
    return make


new_entry = _made(entry_values)


def _move(session: Session, wallet_id: int, delta: int) -> None:
    """Move a wallet's balance in SQL (safe against concurrent movements of the same row)."""
    session.execute(
        update(Wallet)
        .where(Wallet.id == wallet_id)
        .values(balance_cents=Wallet.balance_cents + delta)
        .execution_options(synchronize_session=False)
    )


def post(
    session: Session,
    wallet: Wallet,
    *,
    kind: LedgerKind,
    amount_cents: int,
    label: str,
    at: datetime,
    structure_id: int | None = None,
    agent_id: int | None = None,
    reservation_id: int | None = None,
    payment_id: int | None = None,
    reverses_id: int | None = None,
    reason: str | None = None,
) -> LedgerEntry:
    """Insert an immutable entry and move the wallet's balance by the same amount, atomically in SQL."""
    entry = new_entry(
        session,
        wallet,
        kind=kind,
        amount_cents=amount_cents,
        label=label,
        at=at,
        structure_id=structure_id,
        agent_id=agent_id,
        reservation_id=reservation_id,
        payment_id=payment_id,
        reverses_id=reverses_id,
        reason=reason,
    )
    session.add(entry)
    _move(session, wallet.id, amount_cents)
    session.flush()
    session.refresh(wallet, ["balance_cents"])
    return entry


class LedgerBatch:
    """Entries of one transaction whose wallets are locked (a basket's confirmation, a plan of the lifecycle): added
    without a flush each (``add``, ORM objects) or as values (``row``, written together by one multi-row INSERT);
    the wallets move by one UPDATE each at ``apply``."""

    def __init__(self, session: Session, wallets: Iterable[Wallet] = ()) -> None:
        """``wallets``: the family's wallets, already read (and locked) by the caller."""
        self.session = session
        self.deltas: dict[int, int] = {}
        self.rows: list[dict[str, Any]] = []
        self.wallets: dict[tuple[int, WalletKind], Wallet] = {
            (w.family_id, WalletKind(w.kind)): w for w in wallets
        }

    def wallet(self, family_id: int, kind: WalletKind) -> Wallet:
        key = (family_id, WalletKind(kind))
        if key not in self.wallets:
            self.wallets[key] = wallet_for(self.session, family_id, key[1])
        return self.wallets[key]

    def add(
        self,
        wallet: Wallet,
        *,
        kind: LedgerKind,
        amount_cents: int,
        label: str,
        at: datetime,
        structure_id: int | None = None,
        agent_id: int | None = None,
        reservation: Reservation | None = None,
        payment_id: int | None = None,
    ) -> LedgerEntry:
        entry = new_entry(
            self.session,
            wallet,
            kind=kind,
            amount_cents=amount_cents,
            label=label,
            at=at,
            structure_id=structure_id,
            agent_id=agent_id,
            payment_id=payment_id,
        )
        if reservation is not None:
            entry.reservation = reservation
        self.session.add(entry)
        self.deltas[wallet.id] = self.deltas.get(wallet.id, 0) + amount_cents
        return entry

    def row(
        self,
        wallet: Wallet,
        *,
        kind: LedgerKind,
        amount_cents: int,
        label: str,
        at: datetime,
        structure_id: int | None = None,
        agent_id: int | None = None,
        reservation_id: int | None = None,
    ) -> None:
        """An entry written with the others by ``apply``, in the order given."""
        self.rows.append(
            entry_values(
                self.session,
                wallet,
                kind=kind,
                amount_cents=amount_cents,
                label=label,
                at=at,
                structure_id=structure_id,
                agent_id=agent_id,
                reservation_id=reservation_id,
            )
        )
        self.deltas[wallet.id] = self.deltas.get(wallet.id, 0) + amount_cents

    def balance(self, family_id: int) -> int:
        """The family's balance from the wallets this batch holds (all of the family's when the caller gave them:
        the locked ones), with what ``apply`` moved."""
        return sum(w.balance_cents for (fid, _), w in self.wallets.items() if fid == family_id)

    def apply(self) -> None:
        if self.rows:
            self.session.flush()
            self.session.execute(insert(table_of(LedgerEntry)), self.rows)
            self.rows = []
        held = {w.id: w for w in self.wallets.values()}
        for wallet_id, delta in self.deltas.items():
            if delta:
                _move(self.session, wallet_id, delta)
                if wallet_id in held:  # the row is locked: its balance is the one read plus the move
                    set_committed_value(
                        held[wallet_id], "balance_cents", held[wallet_id].balance_cents + delta
                    )
        self.deltas.clear()
