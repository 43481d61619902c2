"""Single-counter measurements on the city dataset: latency of the interactive calls, writes against their floor."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text, update

from app.clock import PARIS, FixedClock, paris
from app.models import (
    ActivityDay,
    Child,
    Family,
    LedgerKind,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    WalletKind,
)
from app.services.actors import system_actor
from app.services.booking.basket import Action, Basket
from app.services.booking.month_view import month_view
from app.services.booking.validation import confirm, recap
from app.services.documents.attendance import attendance_pdf
from app.services.documents.sheet import reservation_sheet_pdf
from app.services.end_of_day.transmission import transmit_day
from app.services.families.search import find_families
from app.services.money import ledger
from app.services.uow import Database

from .dataset import BENCH_TODAY, Loaded
from .floor import floor_confirm

ROOT = Path(__file__).resolve().parents[1]
NOW = paris(BENCH_TODAY, datetime.min.time().replace(hour=10))


@dataclass
class Result:
    name: str
    p50_ms: float
    p95_ms: float
    runs: int
    target_ms: float | None = None
    floor_p50_ms: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.p50_ms / self.floor_p50_ms if self.floor_p50_ms else None

    @property
    def ok(self) -> bool | None:
        return None if self.target_ms is None else self.p95_ms <= self.target_ms


def timed(fn: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(name: str, samples: list[float], target: float | None = None, **extra) -> Result:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return Result(name, statistics.median(ordered), p95, len(ordered), target, **extra)


def _future_days(db: Database, activity_id: int, count: int) -> list[ActivityDay]:
    with db.reading() as uow:
        return list(uow.session.scalars(select(ActivityDay).where(ActivityDay.activity_id == activity_id,
                                                                   ActivityDay.day > BENCH_TODAY + timedelta(days=7))
                                        .order_by(ActivityDay.day).limit(count)))  # fmt: skip


def _fresh_family(db: Database, rng: random.Random, children: list[int]) -> tuple[int, int]:
    """A family given credit by a real payment entry, whose child will book (a confirmation consumes it)."""
    with db.writing() as uow:
        s = uow.session
        child = s.get(Child, rng.choice(children))
        wallet = ledger.wallet_for(s, child.family_id, WalletKind.ALSH)
        top_up = 30_000 - min(0, ledger.family_balance(s, child.family_id))
        ledger.post(s, wallet, kind=LedgerKind.PAYMENT, amount_cents=top_up, label="bench", at=NOW)
        uow.commit()
        return child.family_id, child.id


def run_single(db: Database, loaded: Loaded, quick: bool) -> list[Result]:
    db.clock = FixedClock(NOW)
    rng = random.Random(7)
    runs = 30 if quick else 120
    results: list[Result] = []
    with db.reading() as uow:
        actor = system_actor(uow.session)

    with db.reading() as uow:
        s = uow.session
        names = list(s.scalars(select(Family.name_key).limit(2000)))
        alae_children = list(s.scalars(select(Child.id).limit(4000)))
        busy_family = s.execute(
            text(
                "SELECT c.family_id FROM reservations r JOIN children c ON c.id = r.child_id "
                "GROUP BY c.family_id ORDER BY count(*) DESC LIMIT 1"
            )  # fmt: skip
        ).scalar_one()
    prefixes = [n[:3] for n in names if len(n) >= 3]
    results.append(
        summary(
            "Recherche famille (préfixe)", timed(lambda: find_families(db, rng.choice(prefixes)), runs), 10
        )
    )

    alae = loaded.alae_ids[0]
    months = [(2026, 4), (2026, 5), (2026, 6), (2026, 7), (2026, 8), (2026, 9), (2026, 10)]

    def calendar_call() -> None:
        child = rng.choice(alae_children)
        with db.reading() as uow:
            family_id = uow.session.get(Child, child).family_id
        y, m = rng.choice(months)
        month_view(db, family_id, child, rng.choice([alae, loaded.alsh_summer_id]), y, m)

    results.append(summary("Calendrier du mois d'un enfant", timed(calendar_call, runs), 15))

    # --- recap and confirm of 10 additions + 2 cancellations, with their floor -------------------------
    pv_days = _future_days(db, loaded.alsh_summer_id, 40)

    def make_basket() -> tuple[Basket, int]:
        for _ in range(100):  # a child with at least 12 summer days still free (reused databases fill up)
            family_id, child = _fresh_family(db, rng, alae_children)
            with db.reading() as uow:
                taken = set(uow.session.scalars(select(Reservation.activity_day_id).where(
                    Reservation.child_id == child, Reservation.status.in_(["accepted", "waitlisted"]))))  # fmt: skip
            free = [d for d in pv_days if d.id not in taken]
            if len(free) >= 12:
                break
        days = rng.sample(free, 12)
        first = Basket(family_id)
        for d in days[:2]:
            first.toggle(child, loaded.alsh_summer_id, d.day, Action.ADD)
        confirm(db, actor, first)
        basket = Basket(family_id)
        for d in days[:2]:
            basket.toggle(child, loaded.alsh_summer_id, d.day, Action.REMOVE)
        for d in days[2:12]:
            basket.toggle(child, loaded.alsh_summer_id, d.day, Action.ADD)
        return basket, child

    baskets = [make_basket() for _ in range(max(6, runs // 4) + 2)]
    recap_samples = timed(lambda: recap(db, actor, rng.choice(baskets)[0]), runs)
    results.append(summary("Récapitulatif (10 ajouts, 2 annulations)", recap_samples, 15))
    pool = iter(baskets)
    confirm_samples = timed(lambda: confirm(db, actor, next(pool)[0]), len(baskets) - 2)
    floor_baskets = [make_basket() for _ in range(len(baskets))]
    floor_pool = iter(floor_baskets)
    floor_samples = timed(
        lambda: floor_confirm(db, *next(floor_pool), loaded.alsh_summer_id), len(floor_baskets) - 2
    )
    results.append(summary("Confirmation de ce panier", confirm_samples, 30,
                           floor_p50_ms=statistics.median(floor_samples), note="plafond : 5 × le plancher"))  # fmt: skip

    # --- documents -----------------------------------------------------------------------------------------
    year_start, year_end = date(2025, 9, 1), date(2026, 8, 31)
    doc_runs = 10 if quick else 30
    results.append(summary("Fiche de réservations PDF (une année)",
                           timed(lambda: reservation_sheet_pdf(db, busy_family, year_start, year_end), doc_runs), 100))  # fmt: skip
    day_300 = _day_with(db, 300)
    results.append(summary(f"Liste de présence PDF ({day_300[2]} enfants)",
                           timed(lambda: attendance_pdf(db, day_300[0], day_300[1]), doc_runs), 200))  # fmt: skip

    # --- end of day with 2,000 operations -------------------------------------------------------------------
    ops = 300 if quick else 2000
    eod = []
    for _ in range(3):
        _untransmit(db, ops)
        start = time.perf_counter()
        transmit_day(db, BENCH_TODAY)
        eod.append((time.perf_counter() - start) * 1000)
    results.append(summary(f"Fin de journée ({ops} opérations)", eod, 5000))
    results.append(gui_start(db, quick))
    return results


def _day_with(db: Database, n: int) -> tuple[int, date, int]:
    """An activity day whose accepted count is closest to ``n``."""
    with db.reading() as uow:
        row = uow.session.execute(text(
            "SELECT d.activity_id, d.day, count(*) AS n FROM reservations r JOIN activity_days d ON d.id = r.activity_day_id "
            "WHERE r.status = 'accepted' GROUP BY d.activity_id, d.day ORDER BY abs(count(*) - :n) LIMIT 1"), {"n": n}).one()  # fmt: skip
        day = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1]))
        return row[0], day, row[2]


def _untransmit(db: Database, ops: int) -> None:
    """Make ``ops`` of today's requests "Non transmise" again, and forget their comptes-rendus."""
    start = datetime.combine(BENCH_TODAY, datetime.min.time(), tzinfo=PARIS)
    with db.writing() as uow:
        s = uow.session
        ids = list(s.scalars(select(Reservation.id).where(Reservation.status != ReservationStatus.CANCELLED)
                             .order_by(Reservation.id.desc()).limit(ops)))  # fmt: skip
        s.execute(update(Reservation).where(Reservation.id.in_(ids)).values(
            transmitted_at=None, requested_at=start + timedelta(hours=9)))  # fmt: skip
        s.execute(OutboxMessage.__table__.delete().where(OutboxMessage.kind == "compte_rendu"))
        uow.commit()


BARE = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication(sys.argv[:1]); w = QMainWindow(); w.resize(1366, 768); w.show()\n"
    "QTimer.singleShot(0, lambda: (print('OK'), app.quit()))\n"
    "app.exec()\n"
)


def gui_start(db: Database, quick: bool) -> Result:
    """Cold start to the main window shown (subprocess, offscreen), next to a bare PySide6 window."""
    url = db.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "qt.qpa.*=false"}
    runs = 3 if quick else 7

    def start(args: list[str]) -> float:
        begin = time.perf_counter()
        subprocess.run(
            [sys.executable, *args], cwd=ROOT, env={**env}, capture_output=True, check=True, timeout=120
        )
        return (time.perf_counter() - begin) * 1000

    app = [start(["-m", "app", "gui", "--selftest", "--db", url]) for _ in range(runs)]
    bare = [start(["-c", BARE]) for _ in range(runs)]
    result = summary("Démarrage de l'interface (fenêtre affichée)", app)
    result.floor_p50_ms = statistics.median(bare)
    result.note = "plafond : 1,5 × une fenêtre PySide6 nue"
    return result
