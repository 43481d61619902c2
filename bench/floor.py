"""The floor of a confirmation: the statements a minimal correct implementation needs, in plain DB-API.

Lock the days, count the accepted places, insert the reservations and ledger rows, move the wallet balance,
commit — nothing else (no rule evaluation, no audit, no ORM).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from app.services.booking.basket import Action, Basket
from app.services.uow import Database


def _sql(engine: Engine, statement: str) -> str:
    return statement.replace("?", "%s") if engine.dialect.name == "postgresql" else statement


def floor_confirm(
    db: Database, basket: Basket, child_id: int, activity_id: int, price: int = 1300, waitlist: bool = False
) -> None:
    engine = db.engine
    now: object = datetime.now(UTC)
    if engine.dialect.name == "sqlite":  # stored the way the application stores it: naive UTC text
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        q = lambda statement: _sql(engine, statement)  # noqa: E731
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        dates = sorted(line.day for line in basket.lines)
        marks = ",".join("?" * len(dates))
        lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
        cur.execute(q(f"SELECT id, day, capacity FROM activity_days WHERE activity_id = ? AND day IN ({marks}) "
                      f"ORDER BY id{lock}"), [activity_id, *dates])  # fmt: skip
        days = {str(day): (day_id, capacity) for day_id, day, capacity in cur.fetchall()}
        cur.execute(
            q("SELECT id FROM wallets WHERE family_id = ? AND kind = 'alsh'" + lock), [basket.family_id]
        )
        wallet_id = cur.fetchone()[0]
        delta = 0
        for line in basket.lines:
            day_id, capacity = days[str(line.day)]
            if line.action is Action.REMOVE:
                cur.execute(q("UPDATE reservations SET status = 'cancelled', waitlist_position = NULL, cancelled_at = ? "
                              "WHERE child_id = ? AND activity_day_id = ? AND status IN ('accepted', 'waitlisted') "
                              "RETURNING id, price_cents"), [now, child_id, day_id])  # fmt: skip
                res_id, paid = cur.fetchone()
                if paid:
                    cur.execute(q("INSERT INTO ledger_entries (wallet_id, kind, amount_cents, label, created_at, "
                                  "business_date, reservation_id) VALUES (?, 'refund', ?, 'Annulation', ?, ?, ?)"),
                                [wallet_id, paid, now, line.day, res_id])  # fmt: skip
                    delta += paid
                continue
            cur.execute(
                q("SELECT count(*) FROM reservations WHERE activity_day_id = ? AND status = 'accepted'"),
                [day_id],
            )
            accepted = cur.fetchone()[0] < capacity
            position = None
            if not accepted and waitlist:
                cur.execute(q("SELECT coalesce(max(waitlist_position), 0) + 1 FROM reservations "
                              "WHERE activity_day_id = ? AND status = 'waitlisted'"), [day_id])  # fmt: skip
                position = cur.fetchone()[0]
            status = "accepted" if accepted else ("waitlisted" if waitlist else "refused")
            cur.execute(q("INSERT INTO reservations (child_id, activity_day_id, status, requested_at, decided_at, "
                          "price_cents, refusal_reason, waitlist_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                        [child_id, day_id, status, now, now, price if accepted else None,
                         "Complet" if status == "refused" else None, position])  # fmt: skip
            (res_id,) = cur.fetchone()
            if accepted:
                cur.execute(q("INSERT INTO ledger_entries (wallet_id, kind, amount_cents, label, created_at, "
                              "business_date, reservation_id) VALUES (?, 'charge', ?, 'Réservation', ?, ?, ?)"),
                            [wallet_id, -price, now, line.day, res_id])  # fmt: skip
                delta -= price
        cur.execute(
            q("UPDATE wallets SET balance_cents = balance_cents + ? WHERE id = ?"), [delta, wallet_id]
        )
        raw.commit()
    except Exception:
        raw.rollback()
        raw.close()
        raise
    raw.close()
