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
        paid = s.scalar(
            select(func.count())
            .select_from(OnlinePayment)
            .where(OnlinePayment.status == OnlinePaymentStatus.PAID)
        )
        methods = dict(s.execute(select(Payment.method, func.count()).group_by(Payment.method)).all())
        assert paid == 22 and methods[PaymentMethod.ONLINE] == 22
        assert violations(s) == []


def test_each_run_measures_on_a_fresh_copy_of_the_dataset(tmp_path):
    """``python -m bench`` run twice in a row: the second run starts from the dataset as built, not from the first
    run's bookings (a reused dataset once kept them, and the portal's scenario ran out of free days)."""
    import sqlite3

    from bench.__main__ import working_copy

    dataset = tmp_path / "quick.sqlite3"
    with sqlite3.connect(dataset) as con:
        con.execute("CREATE TABLE reservations (id INTEGER PRIMARY KEY)")
        con.execute("INSERT INTO reservations VALUES (1)")
    for _run in range(3):
        copy = working_copy(f"sqlite:///{dataset}").removeprefix("sqlite:///")
        with sqlite3.connect(copy) as con:
            assert con.execute("SELECT count(*) FROM reservations").fetchone() == (1,)
            con.execute("INSERT INTO reservations VALUES (2)")  # what a run books
    with sqlite3.connect(dataset) as con:
        assert con.execute("SELECT count(*) FROM reservations").fetchone() == (1,)


def test_the_start_up_lines_read_the_probes_markers_the_click_line_from_clicked_to_ready(db, monkeypatch):
    """``gui_start``: the probe clicked at once (LOGIN_SHOWN, READY from the start), the probe that types
    ``TYPING_S`` first (READY less CLICKED), each against the bare window's start of the same round."""
    from bench import measure

    started: list[list[str]] = []

    def lines_at(args: list[str], env: dict[str, str], marks: tuple[str, ...]) -> dict[str, float]:
        started.append(args)
        if args[0] == "-c":
            return {"OK": 200.0}
        if "--startup-probe-typing" in args:
            return {"CLICKED": 1800.0, "READY": 2300.0}
        return {"LOGIN_SHOWN": 250.0, "READY": 2000.0}

    monkeypatch.setattr(measure, "_probe_agent", lambda db: None)
    monkeypatch.setattr(measure, "_lines_at", lines_at)
    shown, usable, clicked = measure.gui_start(db, quick=True)
    assert [r.name for r in (shown, usable, clicked)] == list(measure.STARTS)
    assert clicked.name == "Clic « Se connecter » → écran du guichet utilisable (l'agent tape 1,5 s)"
    assert (shown.ratio, usable.ratio, clicked.ratio) == (1.25, 10.0, 2.5)
    assert clicked.target_ratio == 3 and clicked.basis == "p50" and clicked.why == measure.WHY["clicked"]
    typing = [a for a in started if "--startup-probe-typing" in a]
    assert len(typing) == 5 and typing[0][-2:] == ["--startup-probe-typing", "1.5"]
    assert typing[0][:6] == ["-m", "app", "gui", "--db", typing[0][4], "--startup-probe"]
