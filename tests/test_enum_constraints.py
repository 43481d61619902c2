"""Every enum column's CHECK constraint in a migrated database allows exactly the enum's values, and its VARCHAR holds
the longest (issue 32): a value added to an enum without its migration (a new payment method, a new activity kind)
fails here, not in the closing tests or at a counter at run time."""

from __future__ import annotations

import re

from sqlalchemy import Enum, String, inspect

from app.db import make_engine, upgrade
from app.models import Base


def _enum_columns() -> list[tuple[str, str, Enum]]:
    return [
        (table.name, column.name, column.type)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Enum) and column.type.enum_class is not None
    ]


def test_every_enum_column_is_known():
    names = {(t, c) for t, c, _ in _enum_columns()}
    assert ("payments", "method") in names and ("activities", "kind") in names and len(names) >= 10


def test_the_database_allows_exactly_each_enum_s_values(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    inspector = inspect(engine)
    problems = []
    for table, column, kind in _enum_columns():
        expected = set(kind.enums)
        checks = [
            c["sqltext"]
            for c in inspector.get_check_constraints(table)
            if re.search(rf"\b{column}\b", c["sqltext"])
            and re.search(r"\bIN\b|\bANY\b", c["sqltext"].upper())
        ]
        allowed = [
            set(re.findall(r"'([^']*)'", text)) for text in checks
        ]  # SQLite: IN ('a', …); PostgreSQL: ANY
        if expected not in allowed:
            problems.append(
                f"{table}.{column}: the database allows {allowed or 'nothing checked'}, "
                f"the enum has {sorted(expected)}"
            )
        width = next(c["type"] for c in inspector.get_columns(table) if c["name"] == column)
        if isinstance(width, String) and width.length is not None and width.length < max(map(len, expected)):
            problems.append(
                f"{table}.{column}: VARCHAR({width.length}) too short for {max(expected, key=len)!r}"
            )
    engine.dispose()
    assert problems == []
