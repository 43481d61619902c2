"""Every worked example of the booking rules (docs/architecture.md, « The booking rules' worked examples »),
checked through the booking recap on the demo calendar (zone C)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.clock import paris
from app.models import Role
from app.services.booking.basket import Action, Basket
from app.services.booking.rules import Verdict
from app.services.booking.validation import confirm, recap
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, new_family


def _check(db, code, day, at, action=Action.ADD, child=None):
    family_id, children = child or new_family(db, balance_cents=100_000)
    basket = Basket(family_id)
    basket.toggle(children[0], activity_id(db, code), day, action)
    db.clock.set(at)
    return recap(db, actor(db, Role.AGENT), basket).additions[0].check if action is Action.ADD else None


EXAMPLES = [
    # (n, activity, day, local or aware instant, expected verdict, words in the reason)
    (1, "ALAE-MER", date(2026, 12, 9), paris(date(2026, 12, 6), time(23, 59)), Verdict.OK, ""),
    (
        2,
        "ALAE-MER",
        date(2026, 12, 9),
        paris(date(2026, 12, 7), time(0, 0)),
        Verdict.DEADLINE_PASSED,
        "jusqu'au dimanche 6 décembre 2026 à 23:59",
    ),
    (3, "ALAE-MER", date(2026, 11, 11), paris(date(2026, 11, 1), time(10, 0)), Verdict.CLOSED, "jour férié"),
    (3, "ALAE-MER", date(2026, 11, 11), paris(date(2026, 11, 26), time(10, 0)), Verdict.CLOSED, "jour férié"),
    (
        4,
        "ALAE-MER",
        date(2026, 12, 23),
        paris(date(2026, 11, 26), time(10, 0)),
        Verdict.CLOSED,
        "vacances de Noël",
    ),
    (5, "ALAE-MER", date(2027, 2, 24), paris(date(2026, 11, 26), time(10, 0)), Verdict.OK, ""),
    (6, "ALAE-MER", date(2027, 3, 3), paris(date(2026, 11, 26), time(10, 0)), Verdict.TOO_FAR, "90 jours"),
    (7, "ALAE-MER", date(2027, 3, 31), datetime(2027, 3, 28, 21, 59, tzinfo=UTC), Verdict.OK, ""),
    (
        7,
        "ALAE-MER",
        date(2027, 3, 31),
        datetime(2027, 3, 28, 22, 0, tzinfo=UTC),
        Verdict.DEADLINE_PASSED,
        "dimanche 28 mars 2027 à 23:59",
    ),
    (
        8,
        "CLSH-PV",
        date(2026, 12, 21),
        paris(date(2026, 11, 13), time(23, 59)),
        Verdict.NOT_OPEN,
        "à partir du samedi 14 novembre 2026",
    ),
    (8, "CLSH-PV", date(2026, 12, 21), paris(date(2026, 11, 14), time(0, 0)), Verdict.OK, ""),
    (9, "CLSH-PV", date(2026, 12, 21), paris(date(2026, 12, 17), time(23, 59)), Verdict.OK, ""),
    (
        9,
        "CLSH-PV",
        date(2026, 12, 21),
        paris(date(2026, 12, 18), time(9, 0)),
        Verdict.DEADLINE_PASSED,
        "jeudi 17 décembre 2026 à 23:59",
    ),
    (10, "CLSH-PV", date(2026, 12, 23), paris(date(2026, 12, 21), time(23, 59)), Verdict.OK, ""),
    (
        10,
        "CLSH-PV",
        date(2026, 12, 23),
        paris(date(2026, 12, 22), time(8, 0)),
        Verdict.DEADLINE_PASSED,
        "lundi 21 décembre 2026",
    ),
    (11, "CLSH-PV", date(2026, 12, 22), paris(date(2026, 12, 20), time(23, 59)), Verdict.OK, ""),
    (
        13,
        "CLSH-PV",
        date(2026, 12, 25),
        paris(date(2026, 11, 26), time(10, 0)),
        Verdict.CLOSED,
        "jour férié (Noël)",
    ),
    (13, "CLSH-PV", date(2027, 1, 1), paris(date(2026, 11, 26), time(10, 0)), Verdict.CLOSED, "jour férié"),
]


@pytest.mark.parametrize(("n", "code", "day", "at", "verdict", "words"), EXAMPLES)
def test_design_booking_example(demo_rw, n, code, day, at, verdict, words):
    """Worked example {n} of the booking rules: the recap's check gives the expected verdict and French reason."""
    check = _check(demo_rw, code, day, at)
    assert check.verdict is verdict, (n, check)
    assert words.lower() in check.reason.lower()


def test_example_10_refusal_names_the_deadline(demo_rw):
    check = _check(demo_rw, "CLSH-PV", date(2026, 12, 23), paris(date(2026, 12, 22), time(8, 0)))
    assert check.reason == "Délai dépassé : réservation possible jusqu'au lundi 21 décembre 2026 à 23:59"


@pytest.mark.parametrize(
    ("at", "allowed"),
    [(paris(date(2026, 12, 13), time(23, 59)), True), (paris(date(2026, 12, 14), time(0, 0)), False)],
)
def test_example_12_cancellation_until_15_days_before(demo_rw, at, allowed):
    """Worked example 12: Mon 28 Dec 2026 can be cancelled until Sun 13 Dec 23:59, not on the 14th."""
    family_id, children = new_family(demo_rw, balance_cents=10_000)
    day = date(2026, 12, 28)
    basket = Basket(family_id)
    basket.toggle(children[0], activity_id(demo_rw, "CLSH-PV"), day, Action.ADD)
    demo_rw.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    booked = confirm(demo_rw, actor(demo_rw, Role.AGENT), basket, key=new_operation_key())
    assert booked.outcomes[0].label == "Acceptée"
    cancel = Basket(family_id)
    cancel.toggle(children[0], activity_id(demo_rw, "CLSH-PV"), day, Action.REMOVE)
    demo_rw.clock.set(at)
    line = recap(demo_rw, actor(demo_rw, Role.AGENT), cancel).removals[0]
    assert line.check.ok is allowed
    if not allowed:
        assert (
            line.check.reason
            == "Délai dépassé : annulation possible jusqu'au dimanche 13 décembre 2026 à 23:59"
        )
    result = confirm(demo_rw, actor(demo_rw, Role.AGENT), cancel, key=new_operation_key())
    assert result.outcomes[0].label == ("Annulée" if allowed else f"Annulation refusée : {line.check.reason}")
    assert result.outcomes[0].amount_cents == (1300 if allowed else 0)
