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
from datetime import time as dt_time

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.clock import PARIS, FixedClock, SystemClock
from app.db import make_engine, upgrade
from app.models import (
    Activity,
    ActivityDay,
    ActivityKind,
    CafCategory,
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
from app.services.uow import Database, new_operation_key

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
    p50_ms: float = 0.0
    floor_seconds: float | None = None
    floor_p50_ms: float | None = None
    floor_p95_ms: float | None = None
    floor_overbooked_days: int | None = None
    lock_hold_p50_ms: float | None = None
    """From locking the days to the commit, per basket (ours, then the floor's)."""
    floor_lock_hold_p50_ms: float | None = None
    target_ratio: float = 2.0
    """The rush's time against the compared one's (the floor's, or the services' for the portal's rush)."""
    compared_with: str = "la même ruée avec le plancher de confirmation"
    detail: str = ""
    """Added to the line's note (the portal's: its phases, the HTTP requests, the machine's time)."""
    why: str = ""
    """Why the target is missed, measured ('' : the counters' reason, ``measure.WHY``)."""
    extra: dict | None = None
    """Further measures, written to the JSON as they are."""

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
    deadline = {
        "kind": DeadlineKind.COUNTED_DAYS,
        "days": 1,
        "skip_weekdays": "",
        "skip_public_holidays": False,
        "weekday": None,
        "at": datetime.min.time().replace(hour=23, minute=59),
    }
    with db.writing() as uow:
        s = uow.session
        structure = Structure(code="BENCH", name="ALSH Bench", school_zone="C")
        s.add(structure)
        s.flush()
        activity = Activity(
            structure_id=structure.id,
            code="ETE",
            name="CLSH Été",
            kind=ActivityKind.ALSH_HOLIDAYS,
            wallet_kind=WalletKind.ALSH,
            price_cents=1300,
            default_capacity=capacity,
            waitlist_enabled=True,
            opening_kind=OpeningKind.ROLLING,
            horizon_days=400,
            **{f"book_deadline_{k}": v for k, v in deadline.items()},
            **{f"cancel_deadline_{k}": v for k, v in deadline.items()},
            day_starts_at=dt_time(7, 30),
            day_ends_at=dt_time(18, 30),
            caf_category=CafCategory.EXTRASCOLAIRE,
        )
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
            ledger.post(
                s,
                ledger.wallet_for(s, family.id, WalletKind.ALSH),
                kind=LedgerKind.PAYMENT,
                amount_cents=100_000,
                label="bench",
                at=db.clock.now(),
            )
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
    latencies, errors, holds = [], [], []
    _time_lock_holds(engine, holds)
    try:
        barrier.wait(timeout=300)
        for family_id, child_id, days in jobs:
            basket = Basket(family_id)
            for d in days:
                basket.toggle(child_id, activity_id, d, Action.ADD)
            start = time.perf_counter()
            try:
                if floor:
                    floor_confirm(db, basket, child_id, activity_id, waitlist=True, holds=holds)
                else:
                    confirm(db, agent, basket, key=new_operation_key())
            except Exception:  # noqa: BLE001 - reported
                errors.append(traceback.format_exc(limit=3))
            latencies.append((time.perf_counter() - start) * 1000)
    finally:
        engine.dispose()
        results.put((latencies, errors, holds))


def _time_lock_holds(engine, holds: list[float]) -> None:
    """Through SQLAlchemy: the time from holding the days' locks (SELECT … activity_days … FOR UPDATE answered)
    to the commit."""
    from sqlalchemy import event

    locked: dict[int, float] = {}

    @event.listens_for(engine, "after_cursor_execute")
    def _lock(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FOR UPDATE" in statement and "FROM activity_days" in statement:
            locked.setdefault(id(conn), time.perf_counter())

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:  # noqa: ANN001
        start = locked.pop(id(conn), None)
        if start is not None:
            holds.append((time.perf_counter() - start) * 1000)

    @event.listens_for(engine, "rollback")
    def _rollback(conn) -> None:  # noqa: ANN001
        locked.pop(id(conn), None)


def _run_clients(
    url: str, activity_id: int, jobs: list, clients: int, floor: bool
) -> tuple[float, list[float], list[str], list[float]]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(url, activity_id, jobs[i::clients], floor, barrier, results))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=300)
    start = time.perf_counter()
    collected = [results.get(timeout=1800) for _ in procs]
    seconds = time.perf_counter() - start
    for p in procs:
        p.join(timeout=60)
    holds = [x for _, _, h in collected for x in h]
    return (
        seconds,
        [x for lat, _, _ in collected for x in lat],
        [e for _, errs, _ in collected for e in errs],
        holds,
    )


def _check(url: str, activity_id: int, ranks: bool) -> tuple[int, list[str], bool, bool | None]:
    engine = make_engine(url)
    db = Database(engine)
    with db.reading() as uow:
        s = uow.session
        problems = violations(s)
        days = list(s.scalars(select(ActivityDay).where(ActivityDay.activity_id == activity_id)))
        counts = dict(
            s.execute(
                select(Reservation.activity_day_id, func.count())
                .where(Reservation.status == ReservationStatus.ACCEPTED)
                .group_by(Reservation.activity_day_id)
            ).all()
        )
        overbooked = sum(1 for d in days if counts.get(d.id, 0) > d.capacity)
        waiting = dict(
            s.execute(
                select(Reservation.activity_day_id, func.count())
                .where(Reservation.status == ReservationStatus.WAITLISTED)
                .group_by(Reservation.activity_day_id)
            ).all()
        )
        full_ok = all(counts.get(d.id, 0) == d.capacity for d in days if waiting.get(d.id))
        in_order = None
        if ranks:
            in_order = True
            for d in days:
                queue = list(
                    s.execute(
                        select(Reservation.waitlist_position, Reservation.requested_at)
                        .where(
                            Reservation.activity_day_id == d.id,
                            Reservation.status == ReservationStatus.WAITLISTED,
                        )
                        .order_by(Reservation.waitlist_position)
                    ).all()
                )
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
            seconds, latencies, errors, holds = _run_clients(url, activity_id, jobs, clients, floor)
            if errors:
                raise RuntimeError(errors[0])
            checks = _check(url, activity_id, ranks=False)
            measures[floor] = (seconds, latencies, checks, holds)
        finally:
            _drop_database(admin_url, url)
    seconds, latencies, (overbooked, problems, full_ok, _), holds = measures[False]
    floor_seconds, floor_latencies, floor_checks, floor_holds = measures[True]
    return ContentionResult(
        f"{clients} guichets, 10 mêmes journées",
        clients,
        len(latencies),
        seconds,
        len(latencies) / seconds,
        _p95(latencies),
        len(floor_latencies) / floor_seconds,
        overbooked,
        problems,
        full_ok,
        p50_ms=median(latencies),
        floor_seconds=floor_seconds,
        floor_p50_ms=median(floor_latencies),
        floor_p95_ms=_p95(floor_latencies),
        floor_overbooked_days=floor_checks[0],
        lock_hold_p50_ms=median(holds),
        floor_lock_hold_p50_ms=median(floor_holds),
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def rush_size(quick: bool) -> tuple[int, int, int, int]:
    """The summer opening rush: (clients, families, days, places a day)."""
    return (8, 200, 40, 30) if quick else (16, 2000, 40, 300)


def rush_jobs(days: list[date], pairs: list[tuple[int, int]]) -> list[tuple[int, int, list[date]]]:
    """Each family's request: 12 to 18 of the days, drawn with the same seed by every way of doing the rush."""
    rng = random.Random(2027)
    return [(f, c, sorted(rng.sample(days, rng.randint(12, 18)))) for f, c in pairs]


def opening_rush(admin_url: str, quick: bool) -> ContentionResult:
    """Summer bookings open: 2,000 families each ask for 12 to 18 of the 40 days, 16 clients at once; the same
    requests through the floor, in a database of their own."""
    clients, families, n_days, capacity = rush_size(quick)
    measures = {}
    for floor in (False, True):
        url = _create_database(admin_url)
        try:
            activity_id, days, pairs = _setup(url, n_days, capacity, families)
            jobs = rush_jobs(days, pairs)
            seconds, latencies, errors, holds = _run_clients(url, activity_id, jobs, clients, floor=floor)
            if errors:
                raise RuntimeError(errors[0])
            measures[floor] = (seconds, latencies, _check(url, activity_id, ranks=True), holds)
        finally:
            _drop_database(admin_url, url)
    seconds, latencies, (overbooked, problems, full_ok, in_order), holds = measures[False]
    floor_seconds, floor_latencies, floor_checks, floor_holds = measures[True]
    return ContentionResult(
        f"Ouverture de l'été : {families} familles, {clients} clients",
        clients,
        len(latencies),
        seconds,
        len(latencies) / seconds,
        _p95(latencies),
        len(floor_latencies) / floor_seconds,
        overbooked,
        problems,
        full_ok,
        in_order,
        p50_ms=median(latencies),
        floor_seconds=floor_seconds,
        floor_p50_ms=median(floor_latencies),
        floor_p95_ms=_p95(floor_latencies),
        floor_overbooked_days=floor_checks[0],
        lock_hold_p50_ms=median(holds),
        floor_lock_hold_p50_ms=median(floor_holds),
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
