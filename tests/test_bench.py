"""The benchmark's dataset builder and floor stay correct (the timings themselves live in ``python -m bench``)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Reservation, ReservationStatus
from app.services.invariants import violations
from bench.dataset import YEARS, Size, build


def test_a_small_city_is_consistent(db):
    loaded = build(
        db, Size(families=60, children=90, years=YEARS[-1:], alae_capacity=40, alsh_capacity=15, payments=300)
    )
    assert loaded.counts["families"] == 60 and loaded.counts["children"] == 90
    with db.reading() as uow:
        s = uow.session
        assert violations(s) == []
        states = set(s.scalars(select(Reservation.status).distinct()))
        assert states == set(ReservationStatus)
        assert s.scalar(select(func.count()).select_from(Reservation)) == loaded.counts["reservations"]


def test_the_online_payment_line_settles_each_payment_once_against_as_many_counter_payments(small_city):
    """« Paiement en ligne : notification → solde crédité »: each run asks the PayFiP double once and records one
    online payment; its floor records as many counter payments of the same amount; the data stays consistent."""
    from app.models import OnlinePayment, OnlinePaymentStatus, Payment, PaymentMethod
    from bench.payments import online_payment

    db, loaded = small_city
    result = online_payment(db, loaded, quick=True)
    assert result.runs == 20 and result.ratio is not None and result.target_ratio == 1.5
    assert result.note == "PayFiP (double de test) interrogé 22 fois en SOAP"
    with db.reading() as uow:
        s = uow.session
        paid = s.scalar(select(func.count()).select_from(OnlinePayment).where(
            OnlinePayment.status == OnlinePaymentStatus.PAID))  # fmt: skip
        methods = dict(s.execute(select(Payment.method, func.count()).group_by(Payment.method)).all())
        assert paid == 22 and methods[PaymentMethod.ONLINE] == 22
        assert violations(s) == []
