"""The demonstration database holds what ``python -m app demo`` promises."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import (
    ActivityDay,
    Agent,
    AidKind,
    AidType,
    Child,
    Family,
    FamilyAid,
    LedgerEntry,
    Payment,
    Period,
    PeriodOpeningRule,
    Reservation,
    ReservationStatus,
    Role,
    Structure,
    Wallet,
)
from app.services.demo import load_demo
from app.services.errors import DatabaseNotEmpty
from tests.conftest import TODAY


@pytest.fixture
def s(demo_db):
    with demo_db.reading() as uow:
        yield uow.session


def test_structures_agents_and_families(s):
    assert {x.name for x in s.scalars(select(Structure))} == {"ALAE Montech", "ALSH Montech"}
    assert {a.role for a in s.scalars(select(Agent))} == set(Role)
    families = list(s.scalars(select(Family)))
    assert 35 <= len(families) <= 45
    sizes = Counter(len(f.children) for f in families)
    assert set(sizes) <= {1, 2, 3, 4} and len(sizes) >= 3
    names = " ".join(f.name for f in families)
    assert "-" in names and "'" in names and any(c in names for c in "ÉÈÊËÔÎÏÀÇ")


def test_calendar_follows_zone_c_and_public_holidays(s):
    days = {(d.activity.code, d.day) for d in s.scalars(select(ActivityDay))}
    assert ("ALAE-MER", date(2026, 12, 9)) in days
    assert ("ALAE-MER", date(2026, 11, 11)) not in days  # public holiday
    assert ("ALAE-MER", date(2026, 12, 23)) not in days  # Christmas school holidays
    assert ("CLSH-PV", date(2026, 12, 21)) in days
    assert ("CLSH-PV", date(2026, 12, 25)) not in days
    assert ("CLSH-PV", date(2027, 1, 1)) not in days
    noel = s.scalar(select(Period).where(Period.name == "Vacances de Noël"))
    assert noel.opening_date == date(2026, 11, 14)
    ete = s.scalar(select(Period).where(Period.name == "Vacances d'été"))
    assert (ete.opening_rule, ete.opening_date) == (PeriodOpeningRule.FIXED_DATE, date(2027, 5, 6))
    rules = {p.opening_rule for p in s.scalars(select(Period))}
    assert PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS in rules


def test_reservations_exist_in_every_state(s):
    rows = s.execute(select(Reservation.status, Reservation.transmitted_at.is_(None))).all()
    states = Counter(status for status, _ in rows)
    assert all(states[st] > 0 for st in ReservationStatus)
    assert any(status is ReservationStatus.ACCEPTED and not_sent for status, not_sent in rows)
    assert any(status is ReservationStatus.ACCEPTED and not not_sent for status, not_sent in rows)
    attendance = Counter(r.attendance for r in s.scalars(select(Reservation)))
    assert attendance["present"] and attendance["absent"]


def test_a_full_day_with_a_waitlist_and_nearly_full_days(s):
    accepted = dict(
        s.execute(
            select(Reservation.activity_day_id, func.count())
            .where(Reservation.status == ReservationStatus.ACCEPTED)
            .group_by(Reservation.activity_day_id)
        ).all()
    )
    capacity = dict(s.execute(select(ActivityDay.id, ActivityDay.capacity)).all())
    assert all(n <= capacity[day] for day, n in accepted.items())
    full = {day for day, n in accepted.items() if n == capacity[day]}
    waitlisted = set(
        s.scalars(
            select(Reservation.activity_day_id).where(Reservation.status == ReservationStatus.WAITLISTED)
        )
    )
    assert waitlisted and waitlisted <= full
    assert any(0 < capacity[d] - n <= 2 for d, n in accepted.items())


def test_balances_positive_zero_and_debit_and_equal_to_the_ledger(s):
    ledger = dict(
        s.execute(
            select(LedgerEntry.wallet_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.wallet_id)
        ).all()
    )
    wallets = list(s.scalars(select(Wallet)))
    assert all(w.balance_cents == (ledger.get(w.id) or 0) for w in wallets)
    totals = Counter()
    for w in wallets:
        totals[w.family_id] += w.balance_cents
    signs = {(t > 0) - (t < 0) for t in totals.values()}
    assert signs == {-1, 0, 1}


def test_receipts_are_gapless_per_structure_and_year(s):
    seqs: dict[tuple[int, int], list[int]] = {}
    for p in s.scalars(select(Payment).order_by(Payment.receipt_seq)):
        seqs.setdefault((p.structure_id, p.receipt_year), []).append(p.receipt_seq)
        assert p.receipt_number == f"{p.receipt_year}-{p.receipt_seq:06d}"
    assert seqs and all(v == list(range(1, len(v) + 1)) for v in seqs.values())


def test_aids_of_each_kind_including_an_expired_one(s):
    kinds = {a.aid_type.kind for a in s.scalars(select(FamilyAid))}
    assert kinds == set(AidKind)
    assert s.scalar(select(func.count()).select_from(AidType)) == 3
    assert s.scalar(select(func.count()).where(FamilyAid.valid_to < TODAY)) >= 1


def test_children_have_plausible_ages(s):
    for child in s.scalars(select(Child)):
        age = (TODAY - child.birth_date).days / 365.25
        assert 2 <= age <= 12, child


def test_demo_refuses_a_non_empty_database_and_force_replaces_it(db):
    first = load_demo(db, TODAY)
    with pytest.raises(DatabaseNotEmpty) as info:
        load_demo(db, TODAY)
    assert "--force" in str(info.value)
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Family)) == first.families
    again = load_demo(db, TODAY, force=True)
    assert again.families == first.families
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Structure)) == 2


def test_demo_is_deterministic_for_a_given_day(db):
    a = load_demo(db, TODAY)
    b = load_demo(db, TODAY, force=True)
    assert a.lines() == b.lines()
