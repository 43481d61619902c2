"""What a confirmation writes, compared with what the code wrote before the booking decision became one pure
function and its writes a plan (issue 31): on a fixed basket of the demonstration — a cancellation that promotes a
waitlisted request, accepted days, a waitlisted one, a refused one — the stored outcome, the reservations, the ledger
entries, the audit rows and the e-mails queued are the same, row for row (ids and batch ids replaced by their order).

``GUICHET_WRITE_GOLDEN=1`` writes ``tests/golden/confirm.json`` from the code at hand (done once, on the code of
before)."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.models import (
    AuditEntry,
    Child,
    LedgerEntry,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    Role,
    Wallet,
)
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.codec import dump
from app.services.sealing import opened
from tests.helpers import activity_id, actor, day_row

GOLDEN = Path(__file__).parent / "golden" / "confirm.json"
FULL_DAY = date(2026, 12, 22)  # full, with a waitlist, in the demonstration
KEY = "00000000-0000-4000-8000-0000000000c1"


def _basket(db) -> Basket:
    pv = activity_id(db, "CLSH-PV")
    full = day_row(db, "CLSH-PV", FULL_DAY).id
    with db.reading() as uow:
        s = uow.session
        res = s.scalars(
            select(Reservation)
            .where(Reservation.activity_day_id == full, Reservation.status == ReservationStatus.ACCEPTED)
            .order_by(Reservation.id)
        ).first()
        child = s.get(Child, res.child_id)
        family_id, children = child.family_id, sorted(c.id for c in child.family.children)
    basket = Basket(family_id)
    basket.toggle(
        child.id, pv, FULL_DAY, Action.REMOVE
    )  # frees a place: the oldest waitlisted request gets it
    for day in (date(2026, 12, 21), date(2026, 12, 23), date(2026, 12, 25)):  # the 25th is a public holiday
        basket.toggle(child.id, pv, day, Action.ADD)
    for other in children:
        if other != child.id:
            basket.toggle(other, pv, FULL_DAY, Action.ADD)  # full: waitlisted
    return basket


def _canonical(db, since: dict[str, int]) -> dict[str, Any]:
    ids: dict[str, dict[Any, int]] = {}

    def order(kind: str, value: Any) -> Any:
        if value is None:
            return None
        table = ids.setdefault(kind, {})
        return table.setdefault(value, len(table) + 1)

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("<batch>" if k == "batch_id" else clean(v)) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    with db.reading() as uow:
        s = uow.session
        reservations = s.scalars(
            select(Reservation).where(Reservation.id > since["reservation"]).order_by(Reservation.id)
        ).all()
        changed = s.scalars(
            select(Reservation).where(Reservation.decided_at == db.clock.now()).order_by(Reservation.id)
        ).all()
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.id > since["audit"]).order_by(AuditEntry.id)
        ).all()
        entries = s.execute(
            select(LedgerEntry, Wallet.kind)
            .join(Wallet)
            .where(LedgerEntry.id > since["ledger"])
            .order_by(LedgerEntry.id)
        ).all()
        mails = s.scalars(
            select(OutboxMessage).where(OutboxMessage.id > since["outbox"]).order_by(OutboxMessage.id)
        ).all()
        for r in changed:
            order("reservation", r.id)
        return {
            "reservations": [
                {
                    "id": order("reservation", r.id),
                    "child": r.child_id,
                    "day": r.activity_day_id,
                    "status": r.status.value,
                    "position": r.waitlist_position,
                    "price": r.price_cents,
                    "refusal": r.refusal_reason,
                }
                for r in [*changed, *reservations]
            ],
            "ledger": [
                {
                    "wallet": kind.value,
                    "kind": e.kind.value,
                    "amount": e.amount_cents,
                    "reservation": order("reservation", e.reservation_id),
                    "label": opened(s, e.label),
                }
                for e, kind in entries
            ],
            "audit": [
                {
                    "action": a.action,
                    "entity": a.entity,
                    "agent": a.agent_id,
                    "family": a.family_id,
                    "entity_id": order("reservation", int(a.entity_id))
                    if a.entity == "reservation"
                    else a.entity_id,
                    "before": clean(opened(s, a.before)),
                    "after": clean(opened(s, a.after)),
                    "reason": opened(s, a.reason),
                }
                for a in audit
                if a.entity != "operation"
            ],
            "outbox": [{"kind": m.kind, "subject": m.subject, "body": m.body} for m in mails],
        }


def _high_marks(db) -> dict[str, int]:
    from sqlalchemy import func

    with db.reading() as uow:
        s = uow.session
        return {
            name: s.scalar(select(func.coalesce(func.max(model.id), 0)))
            for name, model in (
                ("reservation", Reservation),
                ("audit", AuditEntry),
                ("ledger", LedgerEntry),
                ("outbox", OutboxMessage),
            )
        }


def test_a_confirmation_writes_what_it_wrote_before(demo_rw):
    db = demo_rw
    basket = _basket(db)
    since = _high_marks(db)
    result = confirm(db, actor(db, Role.AGENT), basket, key=KEY)
    stored = dump(result)
    stored["batch_id"] = "<batch>"
    got = _canonical(db, since)
    rank = {
        r: i
        for i, r in enumerate(
            sorted({o["reservation_id"] for o in stored["outcomes"] if o["reservation_id"]})
        )
    }
    for o in stored["outcomes"]:
        o["reservation_id"] = None if o["reservation_id"] is None else rank[o["reservation_id"]]
    stored["promoted_ids"] = len(stored["promoted_ids"])
    got["outcome"] = stored
    if os.environ.get("GUICHET_WRITE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(
            json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n",
            encoding="utf-8",
        )
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(got, sort_keys=True, default=str)) == expected
    statuses = {o["status"] for o in stored["outcomes"]}
    assert {"accepted", "waitlisted", "refused", "cancelled"} <= statuses and stored["promoted_ids"] == 1
