"""Finding families at the counter and reading their summary."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from ...models import Adult, Child, Family, Wallet, search_key
from ..bounds import RowLimit, SearchText, checked
from ..uow import Database


def refresh_search_text(family: Family) -> None:
    """Recompute the family's search keys from its name, contacts, adults and children."""
    parts: list[str | None] = [family.name, family.reference, family.email, _digits(family.phone)]
    for adult in family.adults:
        parts += [adult.first_name, adult.last_name, adult.email, _digits(adult.phone)]
    for child in family.children:
        parts += [child.first_name, child.last_name]
    family.name_key = search_key(family.name)
    family.search_text = search_key(*parts)


def _digits(phone: str | None) -> str | None:
    return re.sub(r"\D", "", phone) if phone else None


@dataclass(frozen=True)
class FamilyRow:
    id: int
    name: str
    adults: str
    children: str
    phone: str
    email: str
    balance_cents: int
    main_adult: str = ""
    """First name of the first responsible adult, shown beside the family name."""
    reference: str = ""
    """The town's file number (« n° 1034 »), when the import kept one."""


SEARCH_LIMIT = 60
"""Rows shown for one search: the agent types a few more letters rather than scroll a city."""


def search_families(session: Session, query: str = "", limit: int = SEARCH_LIMIT) -> list[FamilyRow]:
    """Families whose names, children, phones or e-mails contain every word typed (accents and case ignored).

    One statement: the families with their adults, children and balance gathered by the database."""
    words = _words(query)
    conn = session.connection()
    params: dict[str, object] = {f"w{i}": _contains(w) for i, w in enumerate(words)}
    params["limit"] = limit
    return [
        FamilyRow(
            id=row.id,
            name=row.name,
            adults=row.adults or "",
            children=row.children or "",
            phone=row.phone or "",
            email=row.email or "",
            balance_cents=int(row.balance or 0),
            main_adult=row.main_adult or "",
            reference=row.reference or "",
        )
        for row in conn.execute(_statement(conn.dialect.name, len(words)), params)
    ]


def _words(query: str) -> list[str]:
    words = []
    for typed in search_key(query).split():
        word = _digits(typed) if re.fullmatch(r"[0-9 .+-]{3,}", typed) else typed
        if word:
            words.append(word)
    return words


def family_ids_matching(session: Session, query: str) -> Select[Any]:
    """The families (anonymised ones too) whose names, children, phones or e-mails contain every word typed, as a
    subquery of their numbers (the journal's « Famille » filter)."""
    stmt = select(Family.id)
    for word in _words(query):
        stmt = stmt.where(Family.search_text.like(_contains(word), escape="/"))
    return stmt


def _contains(word: str) -> str:
    """The LIKE pattern of a word found anywhere, its ``%`` and ``_`` taken literally (escape ``/``)."""
    return "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


@functools.lru_cache(maxsize=32)
def _statement(dialect: str, words: int) -> Select[Any]:
    """The search for ``words`` typed words, built once per dialect and number of words."""
    if dialect == "postgresql":
        adults = (
            select(
                func.string_agg(
                    Adult.first_name + " " + Adult.last_name, aggregate_order_by(literal(", "), Adult.id)
                )
            )
            .where(Adult.family_id == Family.id)
            .scalar_subquery()
        )
        children = (
            select(
                func.string_agg(
                    Child.first_name, aggregate_order_by(literal(", "), Child.birth_date, Child.id)
                )
            )
            .where(Child.family_id == Family.id)
            .scalar_subquery()
        )
    else:  # SQLite's group_concat keeps the order of the rows it is given
        ordered_adults = (
            select(Adult.first_name, Adult.last_name)
            .where(Adult.family_id == Family.id)
            .order_by(Adult.id)
            .correlate(Family)
            .subquery()
        )
        adults = select(
            func.group_concat(ordered_adults.c.first_name + " " + ordered_adults.c.last_name, ", ")
        ).scalar_subquery()
        ordered_children = (
            select(Child.first_name)
            .where(Child.family_id == Family.id)
            .order_by(Child.birth_date, Child.id)
            .correlate(Family)
            .subquery()
        )
        children = select(func.group_concat(ordered_children.c.first_name, ", ")).scalar_subquery()
    balance = select(func.sum(Wallet.balance_cents)).where(Wallet.family_id == Family.id).scalar_subquery()
    main_adult = (
        select(Adult.first_name)
        .where(Adult.family_id == Family.id)
        .order_by(Adult.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            Family.id,
            Family.name,
            Family.phone,
            Family.email,
            adults.label("adults"),
            children.label("children"),
            balance.label("balance"),
            main_adult.label("main_adult"),
            Family.reference,
        )
        .where(Family.anonymized_at.is_(None))
        .order_by(Family.name_key, Family.id)
        .limit(bindparam("limit"))
    )
    for i in range(words):
        stmt = stmt.where(Family.search_text.like(bindparam(f"w{i}"), escape="/"))
    return stmt


@checked
def find_families(db: Database, query: SearchText = "", limit: RowLimit = SEARCH_LIMIT) -> list[FamilyRow]:
    """Use case for the counter's search box."""
    with db.reading() as uow:
        return search_families(uow.session, query, limit)
