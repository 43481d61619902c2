"""Basket → recap → confirm on the demo calendar: balance rule, prices with aids, places, waitlist, outcomes."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from app.clock import paris
from app.models import (
    AidKind,
    AuditEntry,
    LedgerEntry,
    LedgerKind,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    Role,
)
from app.services.booking import days, waitlist
from app.services.booking.basket import Action, Basket, Likely, OutcomeStatus
from app.services.booking.decide import Slot, rank_in
from app.services.booking.validation import confirm, recap
from app.services.errors import AccountInDebit, InsufficientBalance
from app.services.invariants import check
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, balance, day_row, new_family, row_counts

NOEL = [date(2026, 12, 21), date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _basket(db, family_id, child_id, days, code="CLSH-PV", action=Action.ADD):
    basket = Basket(family_id)
    for d in days:
        basket.toggle(child_id, activity_id(db, code), d, action)
    return basket


def test_balance_65_allows_five_days_at_13(db):
    """§2.3: balance 65,00 €, five ALSH days at 13,00 € → allowed; balance ends at 0,00 €."""
    family_id, (child,) = new_family(db, balance_cents=6500)
    basket = _basket(db, family_id, child, NOEL)
    summary = recap(db, actor(db, Role.AGENT), basket)
    assert (summary.cost_cents, summary.missing_cents, summary.can_confirm) == (6500, 0, True)
    assert summary.balance_after_cents == 0
    result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert [o.status for o in result.outcomes] == [OutcomeStatus.ACCEPTED] * 5
    assert result.balance_after_cents == 0 == balance(db, family_id)
    assert check(db) == []


def test_balance_6499_is_refused_missing_one_cent_and_writes_nothing(db):
    """§2.3: 64,99 € → refused, "il manque 0,01 €"; nothing is written."""
    family_id, (child,) = new_family(db, balance_cents=6499)
    basket = _basket(db, family_id, child, NOEL)
    summary = recap(db, actor(db, Role.AGENT), basket)
    assert (summary.missing_cents, summary.can_confirm) == (1, False)
    before = row_counts(db)
    with pytest.raises(InsufficientBalance) as info:
        confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert "il manque 0,01\xa0€" in str(info.value)
    assert info.value.missing_cents == 1
    assert row_counts(db) == before


def test_in_debit_cancellations_are_allowed_but_no_addition(db):
    """The balance rule: a basket of in-time cancellations only is allowed even in debit (it lowers the debt); with an
    addition, the debit must be paid back first. Example: −0,01 € and one 13,00 € day cancelled → 12,99 €."""
    family_id, (child,) = new_family(db, balance_cents=1300)
    confirm(db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]), key=new_operation_key())
    with db.writing() as uow:  # a later charge puts the account in debit
        from app.models import WalletKind
        from app.services.money import ledger

        ledger.post(
            uow.session,
            ledger.wallet_for(uow.session, family_id, WalletKind.ALAE),
            kind=LedgerKind.ADJUSTMENT,
            amount_cents=-1,
            label="test",
            at=NOW,
        )
        uow.commit()
    swap = _basket(db, family_id, child, NOEL[:1], action=Action.REMOVE)
    swap.toggle(child, activity_id(db, "CLSH-PV"), NOEL[2], Action.ADD)
    summary = recap(db, actor(db, Role.AGENT), swap)
    assert summary.in_debit and summary.balance_cents == -1
    assert summary.missing_cents == 1 and not summary.can_confirm  # an addition: the debit comes first
    before = row_counts(db)
    with pytest.raises(AccountInDebit) as info:
        confirm(db, actor(db, Role.AGENT), swap, key=new_operation_key())
    assert "débiteur" in str(info.value) and "il manque 0,01" in str(info.value)
    assert row_counts(db) == before
    removal = _basket(db, family_id, child, NOEL[:1], action=Action.REMOVE)
    summary = recap(db, actor(db, Role.AGENT), removal)
    assert summary.missing_cents == 0 and summary.can_confirm and summary.balance_after_cents == 1299
    result = confirm(db, actor(db, Role.AGENT), removal, key=new_operation_key())
    assert [o.label for o in result.outcomes] == ["Annulée"] and result.balance_after_cents == 1299


def test_in_time_cancellation_refunds_and_counts_against_new_costs(db):
    family_id, (child,) = new_family(db, balance_cents=2600)
    confirm(db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:2]), key=new_operation_key())
    assert balance(db, family_id) == 0
    swap = _basket(db, family_id, child, NOEL[:1], action=Action.REMOVE)
    swap.toggle(child, activity_id(db, "CLSH-PV"), NOEL[2], Action.ADD)
    summary = recap(db, actor(db, Role.AGENT), swap)
    assert (summary.cost_cents, summary.refunds_cents, summary.missing_cents) == (1300, 1300, 0)
    result = confirm(db, actor(db, Role.AGENT), swap, key=new_operation_key())
    assert [o.label for o in result.outcomes] == ["Annulée", "Acceptée"]
    assert balance(db, family_id) == 0
    with db.reading() as uow:
        from app.models import Wallet

        kinds = sorted(
            e.kind
            for e in uow.session.scalars(
                select(LedgerEntry).join(Wallet).where(Wallet.family_id == family_id)
            )
        )
    assert kinds == sorted([LedgerKind.ADJUSTMENT, *[LedgerKind.CHARGE] * 3, LedgerKind.REFUND])


def test_caf_aid_lowers_the_price_and_an_expired_aid_does_not(db):
    """§2.3: CLSH 13,00 € − CAF 4,00 € = 9,00 €; an expired aid no longer applies; never below zero."""
    valid = (AidKind.CAF, 400, date(2026, 9, 1), date(2027, 8, 31))
    expired = (AidKind.CAF, 400, date(2025, 9, 1), date(2026, 8, 31))
    huge = (AidKind.EMPLOYER, 2000, date(2026, 9, 1), date(2027, 8, 31))
    cases = [((valid,), 900), ((expired,), 1300), ((valid, huge), 0)]
    for aids, price in cases:
        family_id, (child,) = new_family(db, balance_cents=1300, aids=aids)
        summary = recap(db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]))
        assert summary.additions[0].amount_cents == price
        result = confirm(
            db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]), key=new_operation_key()
        )
        assert result.outcomes[0].amount_cents == price
        assert balance(db, family_id) == 1300 - price


def test_full_day_goes_to_waitlist_with_rank_and_cancellation_promotes_fifo(db):
    day = day_row(db, "CLSH-PV", date(2026, 12, 22))  # the demo's full day, 3 already waitlisted
    families = [new_family(db, f"Attente{i}", balance_cents=1300) for i in range(2)]
    outcomes = []
    for family_id, (child,) in families:
        summary = recap(db, actor(db, Role.AGENT), _basket(db, family_id, child, [day.day]))
        assert summary.additions[0].likely is Likely.WAITLISTED and summary.additions[0].places_left == 0
        outcomes.append(
            confirm(
                db, actor(db, Role.AGENT), _basket(db, family_id, child, [day.day]), key=new_operation_key()
            ).outcomes[0]
        )
    assert [o.label for o in outcomes] == ["En liste d'attente rang 4", "En liste d'attente rang 5"]
    assert all(balance(db, f) == 1300 for f, _ in families)  # no charge while waitlisted

    with db.reading() as uow:
        first = uow.session.scalars(
            select(Reservation).where(
                Reservation.activity_day_id == day.id, Reservation.waitlist_position == 1
            )
        ).one()
        holder = uow.session.scalars(
            select(Reservation).where(
                Reservation.activity_day_id == day.id, Reservation.status == ReservationStatus.ACCEPTED
            )
        ).first()
        holder_family, holder_child, promoted_id = holder.child.family_id, holder.child_id, first.id
    demo_family_balance = balance(db, holder_family)
    result = confirm(
        db,
        actor(db, Role.AGENT),
        _basket(db, holder_family, holder_child, [day.day], action=Action.REMOVE),
        key=new_operation_key(),
    )
    assert result.outcomes[0].label == "Annulée"
    assert result.promoted_ids == [promoted_id]
    assert balance(db, holder_family) == demo_family_balance + result.outcomes[0].amount_cents
    with db.reading() as uow:
        s = uow.session
        promoted = s.get(Reservation, promoted_id)
        assert promoted.status is ReservationStatus.ACCEPTED and promoted.price_cents is not None
        ranks = [r.waitlist_position for r in waitlist.waitlist(s, day.id)]
        assert ranks == [1, 2, 3, 4]
        assert s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == f"promotion:{promoted_id}")
        ) or (promoted.child.family.email is None)
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "reservation.promote"))
    assert check(db) == []


def test_no_waitlist_activity_refuses_when_full(db):
    """ALAE has no waitlist: the demo's full Wednesday refuses with "Complet"."""
    with db.reading() as uow:
        from app.models import Activity, ActivityDay

        s = uow.session
        full = next(
            d
            for d in s.scalars(
                select(ActivityDay)
                .join(Activity)
                .where(Activity.code == "ALAE-MER")
                .order_by(ActivityDay.day)
            )
            if d.day > date(2026, 12, 3) and waitlist.accepted_count(s, d.id) == d.capacity
        )
    family_id, (child,) = new_family(db, balance_cents=650)
    basket = _basket(db, family_id, child, [full.day], code="ALAE-MER")
    assert recap(db, actor(db, Role.AGENT), basket).additions[0].likely is Likely.REFUSED
    outcome = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key()).outcomes[0]
    assert outcome.label == "Refusée : Complet : plus de place disponible ce jour-là"
    assert balance(db, family_id) == 650


def test_capacity_raise_promotes_and_only_a_supervisor_may(db):
    from app.services.bounds import BadArgument
    from app.services.errors import InvalidCapacity, PermissionDenied

    day = day_row(db, "CLSH-PV", date(2026, 12, 22))
    with pytest.raises(PermissionDenied):
        days.set_capacity(
            db, actor(db, Role.AGENT), day.id, day.capacity + 2, "renfort", key=new_operation_key()
        )
    before = row_counts(db)
    with pytest.raises(BadArgument, match="Capacité : -1 hors limites"):  # refused at the boundary
        days.set_capacity(db, actor(db, Role.SUPERVISOR), day.id, -1, "erreur", key=new_operation_key())
    with pytest.raises(InvalidCapacity):
        days.set_capacity(
            db, actor(db, Role.SUPERVISOR), day.id, day.capacity - 1, "trop bas", key=new_operation_key()
        )
    assert row_counts(db) == before
    promoted = days.set_capacity(
        db,
        actor(db, Role.SUPERVISOR),
        day.id,
        day.capacity + 2,
        "un animateur de plus",
        key=new_operation_key(),
    )
    assert len(promoted) == 2
    assert check(db) == []


def test_supervisor_reorders_a_waitlist_agent_cannot(db):
    from app.services.errors import PermissionDenied

    day = day_row(db, "CLSH-PV", date(2026, 12, 22))
    with db.reading() as uow:
        ids = [r.id for r in waitlist.waitlist(uow.session, day.id)]
    with pytest.raises(PermissionDenied):
        days.reorder(db, actor(db, Role.AGENT), day.id, ids[::-1], "priorité")
    days.reorder(db, actor(db, Role.SUPERVISOR), day.id, ids[::-1], "situation familiale")
    with db.reading() as uow:
        s = uow.session
        assert [r.id for r in waitlist.waitlist(s, day.id)] == ids[::-1]
        queue = waitlist.waitlist_queues(s, [day.id])[day.id][0]
        assert rank_in(Slot(1, 1, queue), ids[-1]) == 1 and s.get(Reservation, ids[-1]).waitlist_position == 1
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "waitlist.reorder"))
        assert entry.before == {"order": ids} and entry.reason == "situation familiale"
    assert check(db) == []


def test_new_reservations_are_not_transmitted(db):
    family_id, (child,) = new_family(db, balance_cents=1300)
    result = confirm(
        db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]), key=new_operation_key()
    )
    with db.reading() as uow:
        res = uow.session.get(Reservation, result.outcomes[0].reservation_id)
        assert res.transmitted_at is None and res.batch_id == result.batch_id
        assert res.agent_id == actor(db, Role.AGENT).agent_id


def test_rule_refusals_are_recorded_with_their_reason(db):
    family_id, (child,) = new_family(db, balance_cents=1300)
    basket = _basket(db, family_id, child, [date(2026, 12, 25), NOEL[0]])
    summary = recap(db, actor(db, Role.AGENT), basket)
    assert [r.ok for r in summary.additions] == [False, True]
    assert summary.cost_cents == 1300
    result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert [o.status for o in result.outcomes] == [OutcomeStatus.REFUSED, OutcomeStatus.ACCEPTED]
    assert result.outcomes[0].label.startswith("Refusée : Fermé : jour férié")


def test_already_booked_day_is_refused_not_duplicated(db):
    family_id, (child,) = new_family(db, balance_cents=2600)
    confirm(db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]), key=new_operation_key())
    again = confirm(
        db, actor(db, Role.AGENT), _basket(db, family_id, child, NOEL[:1]), key=new_operation_key()
    )
    assert again.outcomes[0].label == "Refusée : Déjà inscrit ce jour-là"
    assert balance(db, family_id) == 1300
