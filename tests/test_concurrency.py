"""Several counters confirming at the same moment on the same days (separate processes, real database).

Demand far above the places left: accepted must equal capacity exactly, no duplicate, waitlist ranks contiguous,
ledger consistent, and no deadlock or busy error may reach a caller (the service retries inside).
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections import Counter
from datetime import date, time

from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.models import Reservation, ReservationStatus, Role
from app.services.booking import waitlist
from app.services.invariants import check
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, day_row, new_family

PROCESSES = 8
FAMILIES_PER_PROCESS = 5
DAYS = [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30)]
NOW = paris(date(2026, 11, 26), time(10, 0))


def _counter(
    url: str, activity: int, families: list[tuple[int, int]], agent_id: int, barrier, results
) -> None:
    """One counter: waits for the others, then confirms a basket of the same days for each of its families."""
    from app.db import make_engine
    from app.services.actors import Actor
    from app.services.booking.basket import Action, Basket
    from app.services.booking.validation import confirm
    from app.services.uow import Database

    engine = make_engine(url)
    db = Database(engine, FixedClock(NOW))
    labels, errors = [], []
    try:
        barrier.wait(timeout=120)
        for family_id, child_id in families:
            basket = Basket(family_id)
            for d in DAYS:
                basket.toggle(child_id, activity, d, Action.ADD)
            try:
                labels += [
                    o.status.value
                    for o in confirm(
                        db, Actor(agent_id, Role.AGENT), basket, key=new_operation_key()
                    ).outcomes
                ]
            except Exception:  # noqa: BLE001 - reported to the test
                errors.append(traceback.format_exc())
    finally:
        engine.dispose()
        results.put((labels, errors))


def test_eight_counters_never_overbook(demo_rw):
    db = demo_rw
    activity = activity_id(db, "CLSH-PV")
    families = [
        new_family(db, f"Concurrent{i}", balance_cents=10_000)
        for i in range(PROCESSES * FAMILIES_PER_PROCESS)
    ]
    pairs = [(f, children[0]) for f, children in families]
    days = [day_row(db, "CLSH-PV", d) for d in DAYS]
    with db.reading() as uow:
        free_before = {d.id: d.capacity - waitlist.accepted_count(uow.session, d.id) for d in days}
        queued_before = waitlist.waitlist_lengths(uow.session, [d.id for d in days])
    assert all(0 < free < len(pairs) // 2 for free in free_before.values())  # demand far above the places

    url = db.engine.url.render_as_string(hide_password=False)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [
        ctx.Process(
            target=_counter,
            args=(
                url,
                activity,
                pairs[i * FAMILIES_PER_PROCESS : (i + 1) * FAMILIES_PER_PROCESS],
                actor(db, Role.AGENT).agent_id,
                barrier,
                results,
            ),
        )
        for i in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    collected = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [e for _, errs in collected for e in errs]
    assert errors == []
    outcomes = Counter(label for labels, _ in collected for label in labels)
    assert sum(outcomes.values()) == len(pairs) * len(DAYS)
    assert outcomes["accepted"] == sum(free_before.values())
    assert outcomes["waitlisted"] == len(pairs) * len(DAYS) - sum(free_before.values())

    with db.reading() as uow:
        s = uow.session
        for d in days:
            assert waitlist.accepted_count(s, d.id) == d.capacity
            ranks = [r.waitlist_position for r in waitlist.waitlist(s, d.id)]
            assert ranks == list(range(1, queued_before[d.id] + len(pairs) - free_before[d.id] + 1))
        live = s.scalar(
            select(func.count()).where(
                Reservation.child_id.in_([c for _, c in pairs]),
                Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
            )
        )
        assert live == len(pairs) * len(DAYS)
    assert check(db) == []
