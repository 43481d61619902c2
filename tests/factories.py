"""Small builders for test data (real rows in the real database, no mocks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from app.models import (
    Activity,
    ActivityDay,
    ActivityKind,
    CafCategory,
    Child,
    DeadlineKind,
    Family,
    OpeningKind,
    Structure,
    WalletKind,
)
from app.services.families.search import refresh_search_text

NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def structure(session: Session, code: str = "ALSH-TEST") -> Structure:
    s = Structure(code=code, name=f"Structure {code}", school_zone="C")
    session.add(s)
    session.flush()
    return s


def activity(
    session: Session, structure_id: int, *, code: str = "CLSH", price: int = 1300, capacity: int = 2
):
    a = Activity(
        structure_id=structure_id,
        code=code,
        name=f"Activité {code}",
        kind=ActivityKind.ALSH_HOLIDAYS,
        wallet_kind=WalletKind.ALSH,
        price_cents=price,
        default_capacity=capacity,
        waitlist_enabled=True,
        opening_kind=OpeningKind.PERIOD,
        horizon_days=None,
        book_deadline_kind=DeadlineKind.COUNTED_DAYS,
        book_deadline_days=2,
        book_deadline_skip_weekdays="4,5",
        book_deadline_skip_public_holidays=False,
        book_deadline_weekday=None,
        book_deadline_at=time(23, 59),
        cancel_deadline_kind=DeadlineKind.COUNTED_DAYS,
        cancel_deadline_days=15,
        cancel_deadline_skip_weekdays="",
        cancel_deadline_skip_public_holidays=False,
        cancel_deadline_weekday=None,
        cancel_deadline_at=time(23, 59),
        day_starts_at=time(7, 30),
        day_ends_at=time(18, 30),
        caf_category=CafCategory.EXTRASCOLAIRE,
    )
    session.add(a)
    session.flush()
    return a


def day(session: Session, activity_id: int, d: date = date(2026, 12, 21), capacity: int = 2) -> ActivityDay:
    row = ActivityDay(activity_id=activity_id, day=d, capacity=capacity)
    session.add(row)
    session.flush()
    return row


def family_with_child(
    session: Session, name: str = "Dupont-Lefèvre", first: str = "Léa"
) -> tuple[Family, Child]:
    fam = Family(name=name.upper(), email="famille@example.org", phone="05 63 00 00 00", created_at=NOON)
    child = Child(first_name=first, last_name=name, birth_date=date(2018, 5, 4), school_level="CE1")
    fam.children.append(child)
    refresh_search_text(fam)
    session.add(fam)
    session.flush()
    return fam, child
