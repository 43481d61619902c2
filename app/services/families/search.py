"""Finding families at the counter and reading their summary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ...models import Family, Wallet, search_key
from ..bounds import RowLimit, SearchText, checked
from ..uow import Database


def refresh_search_text(family: Family) -> None:
    """Recompute the family's search keys from its name, contacts, adults and children."""
    parts: list[str | None] = [family.name, family.email, _digits(family.phone)]
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


SEARCH_LIMIT = 60
"""Rows shown for one search: the agent types a few more letters rather than scroll a city."""


def search_families(session: Session, query: str = "", limit: int = SEARCH_LIMIT) -> list[FamilyRow]:
    """Families whose names, children, phones or e-mails contain every word typed (accents and case ignored)."""
    stmt = (
        select(Family)
        .where(Family.anonymized_at.is_(None))
        .options(selectinload(Family.adults), selectinload(Family.children))
        .order_by(Family.name_key, Family.id)
        .limit(limit)
    )
    for typed in search_key(query).split():
        word = _digits(typed) if re.fullmatch(r"[0-9 .+-]{3,}", typed) else typed
        if word:
            stmt = stmt.where(Family.search_text.contains(word, autoescape=True))
    families = list(session.scalars(stmt))
    balances = dict(
        session.execute(
            select(Wallet.family_id, func.sum(Wallet.balance_cents))
            .where(Wallet.family_id.in_([f.id for f in families]))
            .group_by(Wallet.family_id)
        ).all()
    )
    return [
        FamilyRow(
            id=f.id,
            name=f.name,
            adults=", ".join(f"{a.first_name} {a.last_name}" for a in f.adults),
            children=", ".join(c.first_name for c in f.children),
            phone=f.phone or "",
            email=f.email or "",
            balance_cents=int(balances.get(f.id) or 0),
            main_adult=f.adults[0].first_name if f.adults else "",
        )
        for f in families
    ]


@checked
def find_families(db: Database, query: SearchText = "", limit: RowLimit = SEARCH_LIMIT) -> list[FamilyRow]:
    """Use case for the counter's search box."""
    with db.reading() as uow:
        return search_families(uow.session, query, limit)
