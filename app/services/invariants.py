"""The invariant checker (``python -m app check``): what must hold in the data at every moment."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    LIVE_STATUSES,
    ActivityDay,
    ChequeDeposit,
    ChequeDepositItem,
    DepositCounter,
    LedgerEntry,
    OnlinePayment,
    OnlinePaymentStatus,
    Payment,
    PaymentMethod,
    ReceiptCounter,
    Reservation,
    ReservationStatus,
    Wallet,
)
from ..text import count
from .bounds import checked
from .uow import Database


def violations(session: Session) -> list[str]:
    """Every violated invariant, one French line each (empty when all is well)."""
    problems: list[str] = []
    capacity = dict(session.execute(select(ActivityDay.id, ActivityDay.capacity)).all())
    day_of = dict(session.execute(select(ActivityDay.id, ActivityDay.day)).all())
    accepted = dict(
        session.execute(
            select(Reservation.activity_day_id, func.count())
            .where(Reservation.status == ReservationStatus.ACCEPTED)
            .group_by(Reservation.activity_day_id)
        ).all()
    )
    for day_id, n in sorted(accepted.items()):
        if n > capacity[day_id]:
            problems.append(
                f"Surréservation : journée {day_id} ({day_of[day_id]}) a {count(n, 'acceptée')} pour "
                f"{count(capacity[day_id], 'place')}."
            )

    for child_id, day_id, n in session.execute(
        select(Reservation.child_id, Reservation.activity_day_id, func.count())
        .where(Reservation.status.in_(LIVE_STATUSES))
        .group_by(Reservation.child_id, Reservation.activity_day_id)
        .having(func.count() > 1)
    ):
        problems.append(f"Doublon : l'enfant {child_id} a {n} réservations actives le jour {day_id}.")

    for day_id, day, n in session.execute(
        select(ActivityDay.id, ActivityDay.day, func.count())
        .join(Reservation, Reservation.activity_day_id == ActivityDay.id)
        .where(ActivityDay.closed.is_(True), Reservation.status.in_(LIVE_STATUSES))
        .group_by(ActivityDay.id, ActivityDay.day)
    ):
        problems.append(
            f"Journée fermée encore réservée : journée {day_id} ({day}) a "
            f"{count(n, 'réservation active', 'réservations actives')}."
        )

    positions: dict[int, list[int | None]] = defaultdict(list)
    for day_id, position in session.execute(
        select(Reservation.activity_day_id, Reservation.waitlist_position)
        .where(Reservation.status == ReservationStatus.WAITLISTED)
        .order_by(Reservation.activity_day_id, Reservation.waitlist_position)
    ):
        positions[day_id].append(position)
    for day_id, ranks in sorted(positions.items()):
        if ranks != list(range(1, len(ranks) + 1)):
            problems.append(f"Liste d'attente non contiguë : journée {day_id}, rangs {ranks}.")
        if accepted.get(day_id, 0) < capacity[day_id]:
            problems.append(
                f"Place libre non attribuée : journée {day_id} a {accepted.get(day_id, 0)}/{capacity[day_id]} "
                f"acceptées et {len(ranks)} en liste d'attente."
            )

    sums = dict(
        session.execute(
            select(LedgerEntry.wallet_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.wallet_id)
        ).all()
    )
    for wallet_id, balance in session.execute(select(Wallet.id, Wallet.balance_cents)):
        expected = int(sums.get(wallet_id) or 0)
        if balance != expected:
            problems.append(
                f"Solde faux : porte-monnaie {wallet_id} affiche {count(balance, 'centime')}, "
                f"écritures {expected}."
            )

    seqs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for structure_id, year, seq in session.execute(
        select(Payment.structure_id, Payment.receipt_year, Payment.receipt_seq).order_by(
            Payment.structure_id, Payment.receipt_year, Payment.receipt_seq
        )
    ):
        seqs[(structure_id, year)].append(seq)
    counters = {(c.structure_id, c.year): c.last_seq for c in session.scalars(select(ReceiptCounter))}
    for key in sorted(set(seqs) | set(counters)):
        numbers = seqs.get(key, [])
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"Numéros de reçus avec trous : structure {key[0]}, année {key[1]}.")
        if counters.get(key, 0) != len(numbers):
            problems.append(
                f"Compteur de reçus incohérent : structure {key[0]}, année {key[1]} "
                f"({counters.get(key, 0)} contre {count(len(numbers), 'reçu')})."
            )
    problems += _online_payments(session)
    problems += _cheque_deposits(session)
    return problems


def _cheque_deposits(session: Session) -> list[str]:
    """Deposits numbered without gaps per structure and year (their counter at the last number); each holds the
    count and total of its cheques, all cheques of its structure."""
    problems: list[str] = []
    seqs: dict[tuple[int, int], list[int]] = defaultdict(list)
    deposits = list(session.scalars(select(ChequeDeposit).order_by(ChequeDeposit.year, ChequeDeposit.seq)))
    for d in deposits:
        seqs[(d.structure_id, d.year)].append(d.seq)
    counters = {(c.structure_id, c.year): c.last_seq for c in session.scalars(select(DepositCounter))}
    for key in sorted(set(seqs) | set(counters)):
        numbers = seqs.get(key, [])
        if numbers != list(range(1, len(numbers) + 1)) or counters.get(key, 0) != len(numbers):
            problems.append(
                f"Bordereaux de remise de chèques mal numérotés : structure {key[0]}, année {key[1]} "
                f"(compteur {counters.get(key, 0)}, {count(len(numbers), 'bordereau')})."
            )
    items: dict[int, list[tuple[int, int, PaymentMethod]]] = defaultdict(list)
    for deposit_id, structure_id, cents, method in session.execute(
        select(ChequeDepositItem.deposit_id, Payment.structure_id, Payment.amount_cents, Payment.method).join(
            Payment, Payment.id == ChequeDepositItem.payment_id
        )
    ):
        items[deposit_id].append((structure_id, cents, method))
    for d in deposits:
        cheques = items.get(d.id, [])
        if (len(cheques), sum(c for _, c, _ in cheques)) != (d.cheque_count, d.total_cents):
            problems.append(
                f"Bordereau {d.number} (structure {d.structure_id}) : {d.cheque_count} chèques pour "
                f"{d.total_cents} centimes annoncés, {len(cheques)} pour {sum(c for _, c, _ in cheques)} trouvés."
            )
        if any(s != d.structure_id or m is not PaymentMethod.CHEQUE for s, _, m in cheques):
            problems.append(
                f"Bordereau {d.number} (structure {d.structure_id}) : un règlement qui n'est pas un "
                "chèque de la structure."
            )
    return problems


def _online_payments(session: Session) -> list[str]:
    """Every paid online payment has its one payment (method « online », same family, wallet, structure, amount);
    no other row has one, and no « online » payment exists without its online payment."""
    problems: list[str] = []
    online = session.execute(
        select(
            OnlinePayment.reference,
            OnlinePayment.status,
            OnlinePayment.payment_id,
            OnlinePayment.amount_cents,
            OnlinePayment.family_id,
            OnlinePayment.wallet_id,
            OnlinePayment.structure_id,
        )
    ).all()
    payments = {
        p.id: p
        for p in session.execute(
            select(
                Payment.id,
                Payment.method,
                Payment.amount_cents,
                Payment.family_id,
                Payment.wallet_id,
                Payment.structure_id,
            )
        ).all()
    }
    linked = set()
    for o in online:
        if (o.status is OnlinePaymentStatus.PAID) != (o.payment_id is not None):
            problems.append(
                f"Paiement en ligne {o.reference} : état {o.status.value} et règlement {o.payment_id}."
            )
            continue
        if o.payment_id is None:
            continue
        linked.add(o.payment_id)
        p = payments.get(o.payment_id)
        if (
            p is None
            or p.method is not PaymentMethod.ONLINE
            or (p.amount_cents, p.family_id, p.wallet_id, p.structure_id)
            != (o.amount_cents, o.family_id, o.wallet_id, o.structure_id)
        ):
            problems.append(
                f"Paiement en ligne {o.reference} : son règlement {o.payment_id} ne lui correspond pas."
            )
    for p in payments.values():
        if p.method is PaymentMethod.ONLINE and p.id not in linked:
            problems.append(f"Règlement {p.id} « carte en ligne » sans paiement en ligne payé.")
    return problems


@checked
def check(db: Database) -> list[str]:
    with db.reading() as uow:
        return violations(uow.session)
