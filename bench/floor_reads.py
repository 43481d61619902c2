"""The floors of the counter's reads and of the end of day: the same rows, in plain DB-API, measured in the same run.

``floor_search``: the counter's search box — one query returning the same families (same filter, order and limit)
with the columns the list shows (adults, children, phone, e-mail, balance, first adult's first name).

``floor_month``: a child's month calendar — one query returning each activity day of the month with its
capacity, closed flag and reason, its period's opening date, the accepted and waitlisted counts and the child's
reservation shown on it (the live one, else the latest request: id, status, rank, refusal reason). The days on
which the activity has no row (week-ends, holidays) carry nothing from the database but the holiday tables'
names, which the floor leaves out: it is the smaller side of the comparison.

``floor_end_of_day``: the end of day writes the same rows as ``transmit_day`` — in one transaction, the day's
untransmitted requests read with their family, child, day and activity (one SELECT), marked transmitted (one
UPDATE), one compte-rendu per family with an e-mail address queued in the outbox (one batched INSERT, same
subject and body), one audit row — and returns the number of requests transmitted. The e-mails are rows the
end of day writes, so the floor writes them too; only the ORM and the rule code are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from app.clock import PARIS
from app.models import search_key
from app.services.booking.rules import long_date, short_date
from app.services.families.search import SEARCH_LIMIT
from app.services.money.amounts import format_eur
from app.text import debit_warning, signature

from .floor import _sql, read_rows


def _is_pg(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _stamp(engine: Engine, moment: datetime) -> object:
    """A datetime bound the way the application stores it (naive UTC text on SQLite, timestamptz on PostgreSQL)."""
    moment = moment.astimezone(UTC)
    if _is_pg(engine):
        return moment
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- search ----------------------------------------------------------------------------------------------------

_SEARCH_SQLITE = """
SELECT f.id, f.name,
       coalesce((SELECT group_concat(a.first_name || ' ' || a.last_name, ', ')
                 FROM (SELECT first_name, last_name FROM adults WHERE family_id = f.id ORDER BY id) a), ''),
       coalesce((SELECT group_concat(c.first_name, ', ')
                 FROM (SELECT first_name FROM children WHERE family_id = f.id ORDER BY birth_date, id) c), ''),
       coalesce(f.phone, ''), coalesce(f.email, ''),
       coalesce((SELECT sum(w.balance_cents) FROM wallets w WHERE w.family_id = f.id), 0),
       coalesce((SELECT a.first_name FROM adults a WHERE a.family_id = f.id ORDER BY a.id LIMIT 1), '')
FROM families f
WHERE f.anonymized_at IS NULL {words}
ORDER BY f.name_key, f.id LIMIT ?"""

_SEARCH_PG = """
SELECT f.id, f.name,
       coalesce((SELECT string_agg(a.first_name || ' ' || a.last_name, ', ' ORDER BY a.id)
                 FROM adults a WHERE a.family_id = f.id), ''),
       coalesce((SELECT string_agg(c.first_name, ', ' ORDER BY c.birth_date, c.id)
                 FROM children c WHERE c.family_id = f.id), ''),
       coalesce(f.phone, ''), coalesce(f.email, ''),
       coalesce((SELECT sum(w.balance_cents) FROM wallets w WHERE w.family_id = f.id), 0),
       coalesce((SELECT a.first_name FROM adults a WHERE a.family_id = f.id ORDER BY a.id LIMIT 1), '')
FROM families f
WHERE f.anonymized_at IS NULL {words}
ORDER BY f.name_key, f.id LIMIT ?"""


def _like(word: str) -> str:
    return "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def floor_search(engine: Engine, prefix: str, limit: int = SEARCH_LIMIT) -> list[tuple]:
    """(id, name, adults, children, phone, e-mail, balance in cents, first adult's first name) of the families
    whose search text contains every word typed, by name then id, at most ``limit`` of them."""
    words = [
        re.sub(r"\D", "", w) if re.fullmatch(r"[0-9 .+-]{3,}", w) else w for w in search_key(prefix).split()
    ]
    words = [w for w in words if w]
    template = _SEARCH_PG if _is_pg(engine) else _SEARCH_SQLITE
    statement = template.format(words=" ".join("AND f.search_text LIKE ? ESCAPE '/'" for _ in words))
    return [
        (r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7])
        for r in read_rows(engine, statement, [*map(_like, words), limit])
    ]


# --- a child's month ------------------------------------------------------------------------------------------

_MONTH = """
SELECT d.id, d.day, d.capacity, d.closed, d.closed_reason, p.opening_date,
       (SELECT count(*) FROM reservations r WHERE r.activity_day_id = d.id AND r.status = 'accepted'),
       (SELECT count(*) FROM reservations r WHERE r.activity_day_id = d.id AND r.status = 'waitlisted'),
       m.id, m.status, m.waitlist_position, m.refusal_reason
FROM activity_days d
JOIN children ch ON ch.id = ? AND ch.family_id = ?
LEFT JOIN periods p ON p.id = d.period_id
LEFT JOIN reservations m ON m.id = (
    SELECT r.id FROM reservations r WHERE r.child_id = ch.id AND r.activity_day_id = d.id
    ORDER BY CASE WHEN r.status IN ('accepted', 'waitlisted') THEN 0 ELSE 1 END, r.requested_at DESC, r.id DESC
    LIMIT 1)
WHERE d.activity_id = ? AND d.day BETWEEN ? AND ?
ORDER BY d.day"""


def floor_month(
    engine: Engine, family_id: int, child_id: int, activity_id: int, year: int, month: int
) -> list[tuple]:
    """Per activity day of the month (in date order): id, date, capacity, closed, closed reason, period opening
    date, accepted count, waitlisted count, and the child's reservation shown (id, status, rank, refusal
    reason; Nones without one). No row when the child is not of the family."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    params: list[object] = [child_id, family_id, activity_id, first, last]
    if not _is_pg(engine):
        params = [child_id, family_id, activity_id, first.isoformat(), last.isoformat()]
    rows = read_rows(engine, _MONTH, params)
    if _is_pg(engine):
        return rows
    return [
        (
            r[0],
            date.fromisoformat(r[1]),
            r[2],
            bool(r[3]),
            r[4],
            date.fromisoformat(r[5]) if r[5] else None,
            *r[6:],
        )
        for r in rows
    ]


# --- end of day --------------------------------------------------------------------------------------------------

_PENDING = """
SELECT r.id, r.status, r.price_cents, r.waitlist_position, r.refusal_reason,
       f.id, f.name, f.email, c.first_name, d.day, a.name, s.city
FROM reservations r
JOIN children c ON c.id = r.child_id
JOIN families f ON f.id = c.family_id
JOIN activity_days d ON d.id = r.activity_day_id
JOIN activities a ON a.id = d.activity_id
JOIN structures s ON s.id = a.structure_id
WHERE r.transmitted_at IS NULL AND (r.requested_at < ? OR r.cancelled_at < ?)
ORDER BY f.id, c.first_name, d.day, r.id"""

_OUTBOX = """
INSERT INTO outbox_messages (kind, dedup_key, family_id, recipient, subject, body, status, attempts, created_at,
                             next_attempt_at)
VALUES ('compte_rendu', ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedup_key) DO NOTHING"""

_AUDIT = """
INSERT INTO audit_log (at, agent_id, action, entity, entity_id, after)
VALUES (?, ?, 'nightly.transmit', 'day', ?, {json})"""

_STATES = {"accepted": "acceptée"}
_BALANCES = "SELECT family_id, SUM(balance_cents) FROM wallets WHERE family_id IN ({ids}) GROUP BY family_id"
_REFUNDS = """SELECT reservation_id, SUM(amount_cents) FROM ledger_entries
WHERE kind = 'refund' AND reservation_id IN ({ids}) GROUP BY reservation_id"""
_CHUNK = 5_000


def _memo(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    seen: dict[Any, str] = {}

    def cached(value: Any) -> str:
        text = seen.get(value)
        if text is None:
            text = seen[value] = fn(value)
        return text

    return cached


def _line(
    row: tuple, day_text: Callable[[Any], str], eur: Callable[[Any], str], refunds: dict[int, int]
) -> str:
    rid, status, price, position, refusal, _, _, _, first_name, _, activity, _ = row
    head = f"- {first_name} – {activity} – {day_text(row[9])} :"
    if status == "cancelled":
        refund = refunds.get(rid, 0)
        return f"{head} Annulation enregistrée" + (
            f", {eur(refund)} remboursés sur votre compte" if refund else ""
        )
    state = _STATES.get(status) or (
        f"en liste d'attente rang {position}" if status == "waitlisted" else f"refusée : {refusal}"
    )
    money = f" – {eur(price)}" if status == "accepted" and price else ""
    return f"{head} Réservation {state}{money}"


def _body(day: date, rows: list[tuple], lines: list[str], balance: int, eur: Callable[[Any], str]) -> str:
    text = (
        "Bonjour,\n\nVoici le compte-rendu du traitement de vos demandes enregistrées jusqu'au "
        f"{long_date(day)} :\n\n"
        + "\n".join(lines)
        + f"\n\nSolde de votre compte après ces opérations : {eur(balance)}."
    )
    if balance < 0:
        text += "\n" + debit_warning(eur(-balance))
    if any(r[1] == "waitlisted" for r in rows):
        text += (
            "\n\nLes demandes en liste d'attente vous seront confirmées par e-mail si une place se libère ; "
            "si elles ne vous intéressent plus, pensez à les annuler au plus tôt."
        )
    return text + "\n\n" + signature(rows[0][11])


def floor_end_of_day(
    engine: Engine, day: date, now: datetime | None = None, agent_id: int | None = None
) -> int:
    """Transmit the requests made (or cancelled) up to the end of ``day`` and not yet transmitted, queue their
    comptes-rendus and the audit row, in one transaction; the number of requests transmitted."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    pg = _is_pg(engine)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PARIS)
    stamp, limit = _stamp(engine, now), _stamp(engine, end)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(_sql(engine, _PENDING), [limit, limit])
        rows = cur.fetchall()
        if not rows:
            raw.rollback()
            return 0
        ids = [r[0] for r in rows]
        if pg:
            cur.execute("UPDATE reservations SET transmitted_at = %s WHERE id = ANY(%s)", [stamp, ids])
        else:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                cur.execute(
                    f"UPDATE reservations SET transmitted_at = ? WHERE id IN ({','.join('?' * len(chunk))})",
                    [stamp, *chunk],
                )
        balances: dict[int, int] = {}
        refunds: dict[int, int] = {}
        families_ids = sorted({r[5] for r in rows})
        for query, keys, into in ((_BALANCES, families_ids, balances), (_REFUNDS, ids, refunds)):
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                cur.execute(query.format(ids=",".join(str(int(k)) for k in chunk)))
                into.update((k, int(v or 0)) for k, v in cur.fetchall() if k is not None)
        day_text = _memo(lambda d: short_date(d if isinstance(d, date) else date.fromisoformat(d)))
        eur = _memo(format_eur)
        subject = f"Compte-rendu de vos réservations du {day:%d/%m/%Y}"
        messages, without_email, families = [], [], 0
        start = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and rows[i][5] == rows[start][5]:
                continue
            family_id, name, email = rows[start][5:8]
            families += 1
            if email:
                mine = rows[start:i]
                body = _body(
                    day,
                    mine,
                    [_line(r, day_text, eur, refunds) for r in mine],
                    balances.get(family_id, 0),
                    eur,
                )
                key = f"compte-rendu:{family_id}:{day.isoformat()}:{now.isoformat()}"
                messages.append([key, family_id, email, subject, body, stamp, stamp])
            else:
                without_email.append(name)
            start = i
        if messages:
            cur.executemany(_sql(engine, _OUTBOX), messages)
        after = {"transmitted": len(rows), "families": families, "without_email": len(without_email)}
        cur.execute(
            _sql(engine, _AUDIT.format(json="CAST(? AS json)" if pg else "?")),
            [stamp, agent_id, day.isoformat(), json.dumps(after)],
        )
        raw.commit()
        return len(rows)
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
