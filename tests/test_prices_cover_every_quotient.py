"""Price brackets cover every quotient familial, and an aid larger than the day's price is capped (issue 29)."""

from __future__ import annotations

import re

import pytest

from app.services.errors import ValidationError
from app.services.money.pricing import DayPrice
from app.services.setup.activities import check_brackets


@pytest.mark.parametrize(
    ("brackets", "said"),
    [
        (
            [(0, 700, "9"), (800, None, "13")],
            "Trou entre les tranches 0–700 et 800–∞ : un quotient de 701 à 799",
        ),
        ([(100, None, "13")], "commence à 0, pas à 100"),
        ([(0, 700, "9"), (701, 1500, "13")], "La dernière tranche (701–1500) va jusqu'à l'infini"),
        ([(0, 700, "9"), (650, None, "13")], "Tranches qui se chevauchent : 0–700 et 650–∞"),
    ],
)
def test_brackets_with_a_gap_an_overlap_or_an_end_are_refused(brackets, said):
    with pytest.raises(ValidationError, match=re.escape(said)):
        check_brackets(brackets)


def test_brackets_that_follow_each_other_to_infinity_are_accepted():
    assert check_brackets([(0, 700, "9"), (701, None, "13,00")]) == [(0, 700, 900), (701, None, 1300)]
    assert check_brackets([]) == []  # no bracket: the activity's one price


def test_an_aid_larger_than_the_price_is_capped_and_said_so():
    price = DayPrice(650, 1000, (("CAF", 1000),))
    assert price.cents == 0
    assert price.explained().replace("\xa0", " ") == (
        "6,50 € − CAF 10,00 € = 0,00 € (aides plafonnées au prix de la journée)"
    )
    assert "plafonnées" not in DayPrice(1300, 400, (("CAF", 400),)).explained()
