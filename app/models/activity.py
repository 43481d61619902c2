"""Activities, their booking policy (stored as data), periods, days and the calendars they use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from .base import Base, str_enum
from .enums import (
    ActivityKind,
    CafCategory,
    DeadlineKind,
    OpeningKind,
    PeriodOpeningRule,
    PeriodScope,
    WalletKind,
)

if TYPE_CHECKING:
    from .organisation import Structure


@dataclass
class DeadlineRule:
    """A booking or cancellation deadline.

    ``COUNTED_DAYS``: count back ``days`` days from the day, not counting the weekdays listed in
    ``skip_weekdays`` ("4,5" = Friday and Saturday, Monday = 0) nor, optionally, public holidays;
    allowed until ``at`` on the last counted day.
    ``LAST_WEEKDAY``: allowed until ``at`` on the last ``weekday`` strictly before the day.
    """

    kind: DeadlineKind
    days: int | None
    skip_weekdays: str
    skip_public_holidays: bool
    weekday: int | None
    at: time

    @property
    def skipped_weekdays(self) -> frozenset[int]:
        return frozenset(int(x) for x in self.skip_weekdays.split(",") if x.strip())


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("structure_id", "code"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("default_capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("horizon_days IS NULL OR horizon_days >= 0", name="horizon_non_negative"),
        CheckConstraint("book_deadline_days IS NULL OR book_deadline_days >= 0", name="book_days"),
        CheckConstraint("cancel_deadline_days IS NULL OR cancel_deadline_days >= 0", name="cancel_days"),
        CheckConstraint(
            "book_deadline_weekday IS NULL OR book_deadline_weekday BETWEEN 0 AND 6", name="book_wd"
        ),
        CheckConstraint(
            "cancel_deadline_weekday IS NULL OR cancel_deadline_weekday BETWEEN 0 AND 6", name="cancel_wd"
        ),
        CheckConstraint("period_opening_weeks IS NULL OR period_opening_weeks >= 0", name="opening_weeks"),
        CheckConstraint("meal_cents >= 0", name="meal_non_negative"),
        CheckConstraint("day_ends_at > day_starts_at", name="day_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120), info={"label": "nom de l'activité"})
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "activity_kind"))
    wallet_kind: Mapped[WalletKind] = mapped_column(str_enum(WalletKind, "wallet_kind"))
    price_cents: Mapped[int] = mapped_column(Integer)
    default_capacity: Mapped[int] = mapped_column(Integer)
    meal_cents: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", info={"label": "part repas du prix"}
    )
    """The meal part of a day's price (« frais de nourriture »): left out of the childcare tax certificate."""
    day_starts_at: Mapped[time] = mapped_column(Time, info={"label": "heure d'ouverture"})
    day_ends_at: Mapped[time] = mapped_column(Time, info={"label": "heure de fermeture"})
    """A day's opening hours: the hours a day present counts for the CAF (13:30–18:30 = 5 h)."""
    caf_category: Mapped[CafCategory] = mapped_column(str_enum(CafCategory, "caf_category"))
    """Périscolaire (the Wednesdays) or extrascolaire (the holidays), as the CAF counts its hours."""
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    opening_kind: Mapped[OpeningKind] = mapped_column(str_enum(OpeningKind, "opening_kind"))
    horizon_days: Mapped[int | None] = mapped_column(Integer)
    period_scope: Mapped[PeriodScope] = mapped_column(
        str_enum(PeriodScope, "period_scope"), default=PeriodScope.ALL, server_default=PeriodScope.ALL.value
    )
    """ALSH: the school holidays in which the activity runs (generated periods)."""
    period_opening_rule: Mapped[PeriodOpeningRule] = mapped_column(
        str_enum(PeriodOpeningRule, "period_opening_rule"),
        default=PeriodOpeningRule.WEEKS_BEFORE,
        server_default=PeriodOpeningRule.WEEKS_BEFORE.value,
    )
    """ALSH: how a generated period's opening date is set (editable per period afterwards)."""
    period_opening_weeks: Mapped[int | None] = mapped_column(Integer, default=5, server_default="5")
    period_opening_fixed: Mapped[str | None] = mapped_column(String(5))
    """For a fixed opening: day and month "MM-DD" in the calendar year of the period's start (e.g. "05-06")."""

    book_deadline_kind: Mapped[DeadlineKind] = mapped_column(str_enum(DeadlineKind, "book_deadline_kind"))
    book_deadline_days: Mapped[int | None]
    book_deadline_skip_weekdays: Mapped[str] = mapped_column(String(20), default="")
    book_deadline_skip_public_holidays: Mapped[bool] = mapped_column(default=False)
    book_deadline_weekday: Mapped[int | None]
    book_deadline_at: Mapped[time] = mapped_column(Time)
    cancel_deadline_kind: Mapped[DeadlineKind] = mapped_column(str_enum(DeadlineKind, "cancel_deadline_kind"))
    cancel_deadline_days: Mapped[int | None]
    cancel_deadline_skip_weekdays: Mapped[str] = mapped_column(String(20), default="")
    cancel_deadline_skip_public_holidays: Mapped[bool] = mapped_column(default=False)
    cancel_deadline_weekday: Mapped[int | None]
    cancel_deadline_at: Mapped[time] = mapped_column(Time)

    booking_deadline: Mapped[DeadlineRule] = composite(
        DeadlineRule,
        "book_deadline_kind",
        "book_deadline_days",
        "book_deadline_skip_weekdays",
        "book_deadline_skip_public_holidays",
        "book_deadline_weekday",
        "book_deadline_at",
    )
    cancel_deadline: Mapped[DeadlineRule] = composite(
        DeadlineRule,
        "cancel_deadline_kind",
        "cancel_deadline_days",
        "cancel_deadline_skip_weekdays",
        "cancel_deadline_skip_public_holidays",
        "cancel_deadline_weekday",
        "cancel_deadline_at",
    )

    structure: Mapped[Structure] = relationship(back_populates="activities")
    brackets: Mapped[list[PriceBracket]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="PriceBracket.qf_min"
    )
    periods: Mapped[list[Period]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="Period.start_date"
    )

    def __repr__(self) -> str:
        return f"Activity({self.code!r})"


class PriceBracket(Base):
    """Price of a day for families whose quotient familial is in [qf_min, qf_max] (qf_max None = no top)."""

    __tablename__ = "price_brackets"
    __table_args__ = (
        UniqueConstraint("activity_id", "qf_min"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("qf_max IS NULL OR qf_max >= qf_min", name="qf_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    qf_min: Mapped[int]
    qf_max: Mapped[int | None]
    price_cents: Mapped[int]

    activity: Mapped[Activity] = relationship(back_populates="brackets")


class Period(Base):
    """A holiday range of an ALSH activity, with the rule that sets its opening date."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("activity_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="date_range"),
        CheckConstraint("opening_weeks IS NULL OR opening_weeks >= 0", name="opening_weeks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80), info={"label": "nom"})
    school_year: Mapped[str] = mapped_column(String(9))
    start_date: Mapped[date]
    end_date: Mapped[date]
    opening_rule: Mapped[PeriodOpeningRule] = mapped_column(str_enum(PeriodOpeningRule, "opening_rule"))
    opening_weeks: Mapped[int | None]
    opening_date: Mapped[date]

    activity: Mapped[Activity] = relationship(back_populates="periods")


class ActivityDay(Base):
    """Journée: a date on which an activity runs, with its capacity."""

    __tablename__ = "activity_days"
    __table_args__ = (
        UniqueConstraint("activity_id", "day"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="RESTRICT"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id", ondelete="RESTRICT"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    capacity: Mapped[int] = mapped_column(info={"label": "capacité", "range": (0, 10_000)})
    closed: Mapped[bool] = mapped_column(default=False)
    closed_reason: Mapped[str | None] = mapped_column(String(200), info={"label": "motif de fermeture"})

    activity: Mapped[Activity] = relationship()
    period: Mapped[Period | None] = relationship()


class SchoolHoliday(Base):
    """School holidays of a zone (seeded from vacances-scolaires-france, editable by an administrator)."""

    __tablename__ = "school_holidays"
    __table_args__ = (
        UniqueConstraint("zone", "start_date"),
        CheckConstraint("end_date >= start_date", name="date_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(80), info={"label": "nom"})
    school_year: Mapped[str] = mapped_column(String(9))
    start_date: Mapped[date]
    end_date: Mapped[date]


class PublicHoliday(Base):
    """Jours fériés (seeded from the holidays package, editable by an administrator)."""

    __tablename__ = "public_holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), info={"label": "nom"})


class LocalClosing(Base):
    """A local closing day ("fermeture exceptionnelle", "pont"): no activity runs that day.

    ``structure_id`` None closes every structure of the town.
    """

    __tablename__ = "local_closings"
    __table_args__ = (UniqueConstraint("day", "structure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80), info={"label": "nom"})
