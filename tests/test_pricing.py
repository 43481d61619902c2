"""Price of a day: quotient-familial bracket, minus valid aids of the activity's kind, never below zero."""

from __future__ import annotations

from datetime import date

from app.models import Activity, FamilyAid, PriceBracket, WalletKind
from app.services.money.pricing import day_price

DAY = date(2026, 12, 21)


def _activity(brackets=()):
    activity = Activity(price_cents=1300, wallet_kind=WalletKind.ALSH)
    activity.brackets = [PriceBracket(qf_min=a, qf_max=b, price_cents=p) for a, b, p in brackets]
    return activity


def _aid(cents, kind=WalletKind.ALSH, start=date(2026, 9, 1), end=date(2027, 8, 31)):
    return FamilyAid(amount_cents=cents, wallet_kind=kind, valid_from=start, valid_to=end)


def test_brackets_choose_the_price_by_quotient_familial():
    activity = _activity([(0, 599, 700), (600, 1199, 1000), (1200, None, 1300)])
    assert [day_price(activity, DAY, qf, []).cents for qf in (0, 599, 600, 1199, 1200, 5000)] == [
        700,
        700,
        1000,
        1000,
        1300,
        1300,
    ]
    assert day_price(activity, DAY, None, []).cents == 1300  # unknown QF: the full price


def test_aids_apply_by_kind_and_validity_and_never_go_below_zero():
    activity = _activity()
    assert day_price(activity, DAY, None, [_aid(400)]).cents == 900
    assert day_price(activity, DAY, None, [_aid(400, end=date(2026, 12, 20))]).cents == 1300
    assert day_price(activity, DAY, None, [_aid(400, kind=WalletKind.ALAE)]).cents == 1300
    assert day_price(activity, DAY, None, [_aid(400), _aid(300)]).cents == 600
    assert day_price(activity, DAY, None, [_aid(2000)]).cents == 0
