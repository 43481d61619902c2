"""The floors of the booking calls: what a minimal correct implementation does, in plain DB-API.

``floor_confirm``: lock the days, read what a correct confirmation must read under the lock (the days' capacity
and closed flags, the child's live reservations on those days, the family's balance), count the accepted places,
insert the reservations and ledger rows, move the wallet balance, commit — nothing else (no rule evaluation
beyond "closed / already booked / full / balance", no audit, no ORM).

``floor_recap``: the recap's rows — for each requested day its capacity, closed flag, accepted count, waitlist
length and the child's live reservation — fetched with one query, plus nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from app.services.booking.basket import Action, Basket
from app.services.uow import Database


def _sql(engine: Engine, statement: str) -> str:
    return statement.replace("?", "%s") if engine.dialect.name == "postgresql" else statement


def read_rows(engine: Engine, statement: str, params: Sequence[object]) -> list[tuple]:
    """One plain query through DB-API ('?' placeholders), its rows as tuples; the read transaction ends."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(_sql(engine, statement), list(params))
        rows = [tuple(r) for r in cur.fetchall()]
        raw.rollback()
        return rows
    finally:
        raw.close()


def _day(value: object) -> str:
    return str(value)


class FloorRefused(Exception):
    """The floor's own balance check refused the basket (nothing written)."""


def floor_confirm(
    db: Database,
    basket: Basket,
    child_id: int,
    activity_id: int,
    price: int = 1300,
    waitlist: bool = False,
    holds: list[float] | None = None,
) -> list[tuple[str, str]]:
    """Confirm a one-child, one-activity basket; returns (day, outcome) per line, outcome in
    accepted / waitlisted / refused / cancelled / not_cancelled. ``holds`` receives the time (ms) from the
    days' lock to the commit."""
    engine = db.engine
    now: object = datetime.now(UTC)
    if engine.dialect.name == "sqlite":  # stored the way the application stores it: naive UTC text
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    raw = engine.raw_connection()
    outcomes: list[tuple[str, str]] = []
    try:
        cur = raw.cursor()
        q = lambda statement: _sql(engine, statement)  # noqa: E731
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        dates = sorted(line.day for line in basket.lines)
        marks = ",".join("?" * len(dates))
        lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
        cur.execute(
            q(
                f"SELECT id, day, capacity, closed FROM activity_days WHERE activity_id = ? AND day IN ({marks}) "
                f"ORDER BY id{lock}"
            ),
            [activity_id, *dates],
        )
        locked_at = time.perf_counter()  # the days' locks are held from here
        days = {_day(day): (day_id, capacity, closed) for day_id, day, capacity, closed in cur.fetchall()}
        day_ids = [v[0] for v in days.values()]
        id_marks = ",".join("?" * len(day_ids))
        cur.execute(
            q(
                f"SELECT activity_day_id, id, status, price_cents, waitlist_position FROM reservations WHERE child_id = ? "
                f"AND activity_day_id IN ({id_marks}) AND status IN ('accepted', 'waitlisted'){lock}"
            ),
            [child_id, *day_ids],
        )
        live = {day_id: (res_id, status, paid, rank) for day_id, res_id, status, paid, rank in cur.fetchall()}
        cur.execute(
            q("SELECT id, kind, balance_cents FROM wallets WHERE family_id = ? ORDER BY id" + lock),
            [basket.family_id],
        )
        wallets = cur.fetchall()
        wallet_id = next(w[0] for w in wallets if w[1] == "alsh")
        balance = sum(w[2] for w in wallets)
        additions = [ln for ln in basket.lines if ln.action is Action.ADD]
        refunds = sum(
            live[days[str(ln.day)][0]][2] or 0
            for ln in basket.lines
            if ln.action is Action.REMOVE and days[str(ln.day)][0] in live
        )
        if additions and balance + refunds < price * len(additions):
            raise FloorRefused(balance + refunds - price * len(additions))
        delta = 0
        for line in basket.lines:
            day_id, capacity, closed = days[str(line.day)]
            if line.action is Action.REMOVE:
                if day_id not in live:
                    outcomes.append((str(line.day), "not_cancelled"))
                    continue
                res_id, status, paid, position = live[day_id]
                cur.execute(
                    q(
                        "UPDATE reservations SET status = 'cancelled', waitlist_position = NULL, cancelled_at = ? "
                        "WHERE id = ?"
                    ),
                    [now, res_id],
                )
                if paid:
                    cur.execute(
                        q(
                            "INSERT INTO ledger_entries (wallet_id, kind, amount_cents, label, created_at, "
                            "business_date, reservation_id) VALUES (?, 'refund', ?, 'Annulation', ?, ?, ?)"
                        ),
                        [wallet_id, paid, now, line.day, res_id],
                    )
                    delta += paid
                if status == "accepted":  # the place goes to the first of the waitlist, charged
                    delta += _promote_first(cur, q, day_id, capacity, price, now, line.day, wallet_id)
                else:  # the waitlist closes up behind it
                    cur.execute(
                        q(
                            "UPDATE reservations SET waitlist_position = waitlist_position - 1 "
                            "WHERE activity_day_id = ? AND status = 'waitlisted' AND waitlist_position > ?"
                        ),
                        [day_id, position],
                    )
                outcomes.append((str(line.day), "cancelled"))
                continue
            if closed or day_id in live:
                cur.execute(
                    q(
                        "INSERT INTO reservations (child_id, activity_day_id, status, requested_at, decided_at, "
                        "refusal_reason) VALUES (?, ?, 'refused', ?, ?, ?)"
                    ),
                    [child_id, day_id, now, now, "Fermé" if closed else "Déjà inscrit"],
                )
                outcomes.append((str(line.day), "refused"))
                continue
            cur.execute(
                q("SELECT count(*) FROM reservations WHERE activity_day_id = ? AND status = 'accepted'"),
                [day_id],
            )
            accepted = cur.fetchone()[0] < capacity
            position = None
            if not accepted and waitlist:
                cur.execute(
                    q(
                        "SELECT coalesce(max(waitlist_position), 0) + 1 FROM reservations "
                        "WHERE activity_day_id = ? AND status = 'waitlisted'"
                    ),
                    [day_id],
                )
                position = cur.fetchone()[0]
            status = "accepted" if accepted else ("waitlisted" if waitlist else "refused")
            cur.execute(
                q(
                    "INSERT INTO reservations (child_id, activity_day_id, status, requested_at, decided_at, "
                    "price_cents, refusal_reason, waitlist_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                ),
                [
                    child_id,
                    day_id,
                    status,
                    now,
                    now,
                    price if accepted else None,
                    "Complet" if status == "refused" else None,
                    position,
                ],
            )
            (res_id,) = cur.fetchone()
            if accepted:
                cur.execute(
                    q(
                        "INSERT INTO ledger_entries (wallet_id, kind, amount_cents, label, created_at, "
                        "business_date, reservation_id) VALUES (?, 'charge', ?, 'Réservation', ?, ?, ?)"
                    ),
                    [wallet_id, -price, now, line.day, res_id],
                )
                delta -= price
            outcomes.append((str(line.day), status))
        cur.execute(
            q("UPDATE wallets SET balance_cents = balance_cents + ? WHERE id = ?"), [delta, wallet_id]
        )
        if holds is not None:
            holds.append((time.perf_counter() - locked_at) * 1000)
        raw.commit()
    except Exception:
        raw.rollback()
        raw.close()
        raise
    raw.close()
    return outcomes


def _promote_first(
    cur, q, day_id: int, capacity: int, price: int, now: object, day: date, wallet_id: int
) -> int:  # noqa: ANN001
    """A place freed on a day: the first waitlisted request is accepted and charged, the others move up one rank.
    Returns what it moved on ``wallet_id`` (the caller's wallet, when the promoted child is of the same family)."""
    cur.execute(
        q("SELECT count(*) FROM reservations WHERE activity_day_id = ? AND status = 'accepted'"), [day_id]
    )
    if cur.fetchone()[0] >= capacity:
        return 0
    cur.execute(
        q(
            "UPDATE reservations SET status = 'accepted', waitlist_position = NULL, decided_at = ?, "
            "price_cents = ? WHERE id = (SELECT id FROM reservations WHERE activity_day_id = ? "
            "AND status = 'waitlisted' ORDER BY waitlist_position LIMIT 1) RETURNING id, child_id"
        ),
        [now, price, day_id],
    )
    row = cur.fetchone()
    if row is None:
        return 0
    promoted, child = row
    cur.execute(
        q(
            "SELECT w.id FROM wallets w JOIN children c ON c.family_id = w.family_id "
            "WHERE c.id = ? AND w.kind = 'alsh'" + (" FOR UPDATE OF w" if "%s" in q("?") else "")
        ),
        [child],
    )
    (promoted_wallet,) = cur.fetchone()
    cur.execute(
        q(
            "INSERT INTO ledger_entries (wallet_id, kind, amount_cents, label, created_at, business_date, "
            "reservation_id) VALUES (?, 'charge', ?, 'Place libérée', ?, ?, ?)"
        ),
        [promoted_wallet, -price, now, day, promoted],
    )
    cur.execute(
        q(
            "UPDATE reservations SET waitlist_position = waitlist_position - 1 WHERE activity_day_id = ? "
            "AND status = 'waitlisted'"
        ),
        [day_id],
    )
    if promoted_wallet == wallet_id:
        return -price
    cur.execute(
        q("UPDATE wallets SET balance_cents = balance_cents - ? WHERE id = ?"), [price, promoted_wallet]
    )
    return 0


def floor_recap(
    engine: Engine, family_id: int, child_id: int, activity_id: int, days: list[date]
) -> list[tuple]:
    """One query: per requested day (in date order) its id, date, capacity, closed flag, accepted count, waitlist
    length, the child's live reservation status (or None) and the family's balance."""
    marks = ",".join("?" * len(days))
    statement = f"""
        SELECT d.id, d.day, d.capacity, d.closed,
               count(CASE WHEN r.status = 'accepted' THEN 1 END),
               count(CASE WHEN r.status = 'waitlisted' THEN 1 END),
               max(CASE WHEN r.child_id = ? AND r.status IN ('accepted', 'waitlisted') THEN r.status END),
               (SELECT sum(w.balance_cents) FROM wallets w WHERE w.family_id = ?)
        FROM activity_days d LEFT JOIN reservations r ON r.activity_day_id = d.id
        WHERE d.activity_id = ? AND d.day IN ({marks})
        GROUP BY d.id, d.day, d.capacity, d.closed ORDER BY d.day"""
    return read_rows(engine, statement, [child_id, family_id, activity_id, *sorted(days)])
