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
