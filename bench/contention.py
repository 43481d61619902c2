"""Several counters at once on PostgreSQL: 16 processes on the same 10 days, and the summer opening-day rush.

Each scenario gets its own fresh database; the invariant checker runs afterwards.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import statistics
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.clock import PARIS, FixedClock, SystemClock
from app.db import make_engine, upgrade
from app.models import (
    Activity,
    ActivityDay,
    ActivityKind,
    Child,
    DeadlineKind,
    Family,
    LedgerKind,
    OpeningKind,
    Reservation,
    ReservationStatus,
    Structure,
    WalletKind,
)
from app.services.invariants import violations
from app.services.money import ledger
from app.services.uow import Database

FIRST_DAY = date(2027, 7, 5)


@dataclass
class ContentionResult:
    name: str
    clients: int
    baskets: int
    seconds: float
    per_second: float
    p95_ms: float
    floor_per_second: float | None
    overbooked_days: int
    violations: list[str]
    accepted_equals_capacity: bool
    ranks_in_request_order: bool | None = None

    @property
    def throughput_ratio(self) -> float | None:
        return self.per_second / self.floor_per_second if self.floor_per_second else None


def _create_database(admin_url: str) -> str:
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, url: str) -> None:
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def _setup(
    url: str, n_days: int, capacity: int, n_families: int
) -> tuple[int, list[date], list[tuple[int, int]]]:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine, FixedClock(datetime(2027, 5, 6, 6, 0, tzinfo=PARIS)))
    deadline = {"kind": DeadlineKind.COUNTED_DAYS, "days": 1, "skip_weekdays": "", "skip_public_holidays": False,
                "weekday": None, "at": datetime.min.time().replace(hour=23, minute=59)}  # fmt: skip
    with db.writing() as uow:
        s = uow.session
        structure = Structure(code="BENCH", name="ALSH Bench", school_zone="C")
        s.add(structure)
        s.flush()
        activity = Activity(structure_id=structure.id, code="ETE", name="CLSH Été", kind=ActivityKind.ALSH_HOLIDAYS,
                            wallet_kind=WalletKind.ALSH, price_cents=1300, default_capacity=capacity,
                            waitlist_enabled=True, opening_kind=OpeningKind.ROLLING, horizon_days=400,
                            **{f"book_deadline_{k}": v for k, v in deadline.items()},
                            **{f"cancel_deadline_{k}": v for k, v in deadline.items()})  # fmt: skip
        s.add(activity)
        s.flush()
        days, d = [], FIRST_DAY
        while len(days) < n_days:
            if d.weekday() < 5:
                days.append(d)
                s.add(ActivityDay(activity_id=activity.id, day=d, capacity=capacity))
            d += timedelta(days=1)
        pairs = []
        for i in range(n_families):
            family = Family(name=f"BENCH{i}", created_at=db.clock.now(), email=f"f{i}@example.org")
            family.children.append(
                Child(first_name="Enfant", last_name=f"Bench{i}", birth_date=date(2018, 1, 1))
            )
            s.add(family)
            s.flush()
            ledger.open_wallets(s, family)
            ledger.post(s, ledger.wallet_for(s, family.id, WalletKind.ALSH), kind=LedgerKind.PAYMENT,
                        amount_cents=100_000, label="bench", at=db.clock.now())  # fmt: skip
            pairs.append((family.id, family.children[0].id))
        uow.commit()
        activity_id = activity.id
    engine.dispose()
    return activity_id, days, pairs


def _client(
    url: str, activity_id: int, jobs: list[tuple[int, int, list[date]]], floor: bool, barrier, results
) -> None:
    from app.services.actors import system_actor
    from app.services.booking.basket import Action, Basket
    from app.services.booking.validation import confirm

    from .floor import floor_confirm

    engine = make_engine(url)
    db = Database(engine, SystemClock())
    with db.reading() as uow:
        agent = system_actor(uow.session)
    latencies, errors = [], []
    try:
        barrier.wait(timeout=300)
        for family_id, child_id, days in jobs:
            basket = Basket(family_id)
            for d in days:
                basket.toggle(child_id, activity_id, d, Action.ADD)
            start = time.perf_counter()
            try:
                if floor:
                    floor_confirm(db, basket, child_id, activity_id, waitlist=True)
                else:
                    confirm(db, agent, basket)
            except Exception:  # noqa: BLE001 - reported
                errors.append(traceback.format_exc(limit=3))
            latencies.append((time.perf_counter() - start) * 1000)
    finally:
        engine.dispose()
        results.put((latencies, errors))


def _run_clients(
    url: str, activity_id: int, jobs: list, clients: int, floor: bool
) -> tuple[float, list[float], list[str]]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, activity_id, jobs[i::clients], floor, barrier, results))
             for i in range(clients)]  # fmt: skip
    for p in procs:
        p.start()
    barrier.wait(timeout=300)
    start = time.perf_counter()
    collected = [results.get(timeout=1800) for _ in procs]
    seconds = time.perf_counter() - start
    for p in procs:
        p.join(timeout=60)
    return seconds, [x for lat, _ in collected for x in lat], [e for _, errs in collected for e in errs]


def _check(url: str, activity_id: int, ranks: bool) -> tuple[int, list[str], bool, bool | None]:
    engine = make_engine(url)
    db = Database(engine)
    with db.reading() as uow:
        s = uow.session
        problems = violations(s)
        days = list(s.scalars(select(ActivityDay).where(ActivityDay.activity_id == activity_id)))
        counts = dict(s.execute(select(Reservation.activity_day_id, func.count()).where(
            Reservation.status == ReservationStatus.ACCEPTED).group_by(Reservation.activity_day_id)).all())  # fmt: skip
        overbooked = sum(1 for d in days if counts.get(d.id, 0) > d.capacity)
        waiting = dict(s.execute(select(Reservation.activity_day_id, func.count()).where(
            Reservation.status == ReservationStatus.WAITLISTED).group_by(Reservation.activity_day_id)).all())  # fmt: skip
        full_ok = all(counts.get(d.id, 0) == d.capacity for d in days if waiting.get(d.id))
        in_order = None
        if ranks:
            in_order = True
            for d in days:
                queue = list(s.execute(select(Reservation.waitlist_position, Reservation.requested_at).where(
                    Reservation.activity_day_id == d.id, Reservation.status == ReservationStatus.WAITLISTED)
                    .order_by(Reservation.waitlist_position)).all())  # fmt: skip
                times = [t for _, t in queue]
                in_order &= times == sorted(times)
    engine.dispose()
    return overbooked, problems, full_ok, in_order


def same_days(admin_url: str, quick: bool) -> ContentionResult:
    """16 counters confirming baskets on the same 10 days (20 places each), demand ten times the places."""
    clients, n_days, capacity = (8, 10, 20) if quick else (16, 10, 20)
    families = n_days * capacity * 10 // n_days  # each family asks for every day: demand = 10 × places
    measures = {}
    for floor in (False, True):
        url = _create_database(admin_url)
        try:
            activity_id, days, pairs = _setup(url, n_days, capacity, families)
            jobs = [(f, c, days) for f, c in pairs]
            seconds, latencies, errors = _run_clients(url, activity_id, jobs, clients, floor)
            if errors:
                raise RuntimeError(errors[0])
            checks = _check(url, activity_id, ranks=False)
            measures[floor] = (seconds, latencies, checks)
        finally:
            _drop_database(admin_url, url)
    seconds, latencies, (overbooked, problems, full_ok, _) = measures[False]
    p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    return ContentionResult(f"{clients} guichets, 10 mêmes journées", clients, len(latencies), seconds,
                            len(latencies) / seconds, p95, len(measures[True][1]) / measures[True][0], overbooked,
                            problems, full_ok)  # fmt: skip


def opening_rush(admin_url: str, quick: bool) -> ContentionResult:
    """Summer bookings open: 2,000 families each ask for about 15 of the 40 days, 16 clients at once."""
    clients, families, n_days, capacity = (8, 200, 40, 30) if quick else (16, 2000, 40, 300)
    url = _create_database(admin_url)
    try:
        activity_id, days, pairs = _setup(url, n_days, capacity, families)
        rng = random.Random(2027)
        jobs = [(f, c, sorted(rng.sample(days, rng.randint(12, 18)))) for f, c in pairs]
        seconds, latencies, errors = _run_clients(url, activity_id, jobs, clients, floor=False)
        if errors:
            raise RuntimeError(errors[0])
        overbooked, problems, full_ok, in_order = _check(url, activity_id, ranks=True)
    finally:
        _drop_database(admin_url, url)
    p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    return ContentionResult(f"Ouverture de l'été : {families} familles, {clients} clients", clients, len(latencies),
                            seconds, len(latencies) / seconds, p95, None, overbooked, problems, full_ok, in_order)  # fmt: skip


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
