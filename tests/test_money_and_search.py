"""Amounts are exact and shown the French way; family search ignores accents, case and phone spacing."""

from __future__ import annotations

import pytest

from app.services.errors import ValidationError
from app.services.families.search import find_families
from app.services.money.amounts import format_eur, parse_amount


@pytest.mark.parametrize(
    ("cents", "text"), [(1300, "13,00 €"), (-1, "−0,01 €"), (123456, "1 234,56 €"), (0, "0,00 €")]
)
def test_format_eur(cents, text):
    assert format_eur(cents).replace("\u202f", " ").replace("\xa0", " ") == text


@pytest.mark.parametrize(
    ("text", "cents"), [("13", 1300), ("13,5", 1350), ("65,00 €", 6500), ("1 300,00", 130000)]
)
def test_parse_amount(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["12,345", "abc", "", "1,2,3", "13.00.0"])
def test_parse_amount_refuses_bad_input(text):
    with pytest.raises(ValidationError):
        parse_amount(text)


def test_search_by_name_child_phone_and_email(demo_db):
    all_rows = find_families(demo_db)
    target = next(r for r in all_rows if r.name == "DUPONT-LEFÈVRE")
    assert [r.id for r in find_families(demo_db, "dupont-lefevre")] == [target.id]
    assert target.id in [r.id for r in find_families(demo_db, "DUPONT LEF")]
    child = target.children.split(", ")[0]
    assert target.id in [r.id for r in find_families(demo_db, f"dupont {child.lower()}")]
    assert [r.id for r in find_families(demo_db, target.phone.replace(" ", ""))] == [target.id]
    assert target.id in [r.id for r in find_families(demo_db, target.phone)]
    if target.email:
        assert target.id in [r.id for r in find_families(demo_db, target.email.upper())]
    assert find_families(demo_db, "zzzz-nobody") == []
    assert find_families(demo_db, "100%_") == []
