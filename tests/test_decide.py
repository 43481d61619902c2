"""The booking decision without a database (``booking.decide``, issue 31): worked cases, then properties over any
days and baskets — never more accepted than the capacity, ranks contiguous after the list, the balance rule's
verdict — and, on the database, the recap's forecast is the confirmation's result when nothing changed between."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import Role
from app.services.booking.basket import Action, Basket, Likely, OutcomeStatus
from app.services.booking.decide import (
    FULL_REASON,
    Accept,
    Cancel,
    NotCancelled,
    Promote,
    Refuse,
    Request,
    Slot,
    Waitlist,
    decide,
    promoted,
)
from app.services.booking.rules import RuleCheck, Verdict
from app.services.booking.validation import confirm, recap
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, new_family

OK = RuleCheck(Verdict.OK)
DAY = date(2026, 12, 21)


def add(n: int, day_id: int = 1, price: int = 1300, check: RuleCheck = OK, override: bool = False) -> Request:
    return Request(
        (n, 7, DAY + timedelta(days=day_id)), Action.ADD, day_id, check, price, override_capacity=override
    )


def remove(n: int, res_id: int, accepted: bool = True, day_id: int = 1, refund: int = 1300) -> Request:
    return Request(
        (n, 7, DAY + timedelta(days=day_id)),
        Action.REMOVE,
        day_id,
        OK,
        refund,
        existing_id=res_id,
        existing_accepted=accepted,
    )


def test_a_day_with_one_place_accepts_one_then_waitlists_after_the_list():
    slot = Slot(capacity=10, taken=9, queue=(101, 102), tail=2)
    got = decide({1: slot}, [add(1), add(2), add(3)], balance_cents=10_000)
    assert [got.lines[r.key] for r in (add(1), add(2), add(3))] == [
        Accept(1300),
        Waitlist(3, 1300, 3),
        Waitlist(4, 1300, 4),
    ]
    assert got.balance.ok and got.slots[1].taken == 10


def test_a_cancelled_place_goes_to_the_oldest_waitlisted_request_before_the_basket_s_own():
    slot = Slot(capacity=10, taken=10, queue=(101, 102), tail=5)  # positions need not be contiguous
    got = decide({1: slot}, [add(1), remove(2, res_id=55)], balance_cents=10_000)
    assert got.promotions == [Promote(1, 101)]
    assert got.lines[remove(2, 55).key] == Cancel(1300)
    assert got.lines[add(1).key] == Waitlist(2, 1300, 2)  # rank 2 behind 102: the list is numbered again
    kept = decide({1: slot}, [add(1)], balance_cents=10_000)  # nothing freed: the list keeps its positions
    assert kept.lines[add(1).key] == Waitlist(3, 1300, 6)  # rank 3, stored after position 5


def test_free_places_go_to_the_oldest_waitlisted_none_on_a_closed_day():
    slot = Slot(capacity=5, taken=3, queue=(11, 12, 13), tail=3)
    chosen, after = promoted(slot)
    assert chosen == (11, 12) and after.queue == (13,) and after.tail == 1 and after.taken == 5
    assert promoted(Slot(5, 3, (11, 12), 2, closed=True)) == ((), Slot(5, 3, (11, 12), 2, closed=True))
    assert promoted(Slot(2, 2, (11,), 1))[0] == ()


def test_a_full_day_without_a_waitlist_refuses_and_an_override_adds_the_place():
    slot = Slot(capacity=4, taken=4, waitlist=False)
    got = decide({1: slot}, [add(1), add(2, day_id=1, override=True)], balance_cents=10_000)
    assert got.lines[add(1).key] == Refuse(FULL_REASON)
    assert got.lines[add(2, override=True).key] == Accept(1300, raised_capacity=5)


def test_the_rules_refusals_and_the_balance_rule():
    late = RuleCheck(Verdict.DEADLINE_PASSED, "délai dépassé")
    got = decide({1: Slot(10, 0)}, [add(1, check=late), add(2), add(3)], balance_cents=2_599)
    assert got.lines[add(1).key] == Refuse("délai dépassé")
    assert not got.balance.ok and got.balance.missing_cents == 1  # 2 × 13,00 € asked, 25,99 € on the account
    refused = Request((9, 7, DAY), Action.REMOVE, 1, late, 0)
    assert decide({1: Slot(10, 3)}, [refused], -100).lines[refused.key] == NotCancelled("délai dépassé")
    cancel_only = decide({1: Slot(10, 3)}, [remove(4, 77)], balance_cents=-100)
    assert cancel_only.balance.ok  # in debit, a cancellation alone is always allowed


slots = st.dictionaries(
    st.integers(1, 4),
    st.builds(
        lambda cap, taken, queue, wl: Slot(cap, min(taken, cap), tuple(range(100, 100 + queue)), queue, wl),
        st.integers(0, 6),
        st.integers(0, 6),
        st.integers(0, 4),
        st.booleans(),
    ),
    min_size=1,
)


@settings(max_examples=300, deadline=None)
@given(
    slots,
    st.lists(st.tuples(st.integers(1, 4), st.booleans(), st.booleans()), max_size=20),
    st.integers(-5_000, 50_000),
)
def test_never_more_accepted_than_the_capacity_and_ranks_follow_the_list(days, lines, balance):
    requests = []
    for n, (day_id, removing, accepted) in enumerate(lines):
        if removing:
            requests.append(
                remove(
                    n,
                    res_id=1000 + n,
                    accepted=accepted and days.get(day_id, Slot(0, 0)).taken > 0,
                    day_id=day_id,
                )
            )
        else:
            requests.append(add(n, day_id=day_id))
    got = decide(days, requests, balance)
    for day_id, before in days.items():
        after = got.slots[day_id]
        assert after.taken <= max(before.capacity, before.taken)  # no override here: never above the capacity
        ranks = [
            d.rank for r in requests if r.day_id == day_id and isinstance(d := got.lines[r.key], Waitlist)
        ]
        promoted = sum(1 for p in got.promotions if p.day_id == day_id)
        left = (
            len(before.queue)
            - promoted
            - sum(
                1
                for r in requests
                if r.day_id == day_id
                and r.action is Action.REMOVE
                and not r.existing_accepted
                and r.existing_id in before.queue
            )
        )
        assert ranks == list(range(left + 1, left + 1 + len(ranks)))  # contiguous, after those still waiting
        if not before.waitlist:
            assert not ranks
    assert {p.reservation_id for p in got.promotions} <= {i for s in days.values() for i in s.queue}


def test_the_recap_s_forecast_is_the_confirmation_s_result_when_nothing_changed(demo_rw):
    """On the demonstration, baskets of random days of the Christmas holidays (full days, a waitlist, days closed
    or past their deadline): each line's recap is its outcome, rank included, and the « solde après » the balance."""
    db = demo_rw
    pv = activity_id(db, "CLSH-PV")
    rng = random.Random(31)
    days = [date(2026, 12, 21) + timedelta(days=i) for i in range(12)]
    confirmed, waitlisted = 0, 0
    for n in range(8):
        family_id, children = new_family(
            db, f"Prevision{n}", balance_cents=rng.choice([5_000, 50_000, 100_000]), children=("Léa", "Tom")
        )
        basket = Basket(family_id)
        for child in children:
            for day in rng.sample(days, rng.randint(1, 6)):
                basket.toggle(child, pv, day, Action.ADD)
        agent = actor(db, Role.AGENT)
        forecast = recap(db, agent, basket)
        if not forecast.can_confirm:
            continue
        result = confirm(db, agent, basket, key=new_operation_key())
        expected = {
            Likely.ACCEPTED: OutcomeStatus.ACCEPTED,
            Likely.WAITLISTED: OutcomeStatus.WAITLISTED,
            Likely.REFUSED: OutcomeStatus.REFUSED,
        }
        by_key = {o.line.key: o for o in result.outcomes}
        for line in forecast.additions:
            outcome = by_key[line.line.key]
            assert outcome.status is expected[line.likely], (line, outcome)
            assert outcome.rank == line.waitlist_rank
        assert result.balance_after_cents == forecast.balance_after_cents
        confirmed += 1
        waitlisted += sum(1 for o in result.outcomes if o.status is OutcomeStatus.WAITLISTED)
    assert confirmed >= 3 and waitlisted >= 2, (confirmed, waitlisted)
