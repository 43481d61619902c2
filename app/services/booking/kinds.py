"""Everything that differs by kind of activity (``ActivityKind``), in one registry: one entry per kind with its
French labels, the defaults an activity of that kind starts with (wallet, booking window and deadlines, waiting
list, holiday periods, price and capacity) and the generator of its days in a school year (ALAE: the Wednesdays
of the school weeks; ALSH: the weekdays of the school holidays).

A kind without an entry is refused (``UnknownActivityKind``), never laid out like another kind: a member added to
``ActivityKind`` needs its entry here (``tests/test_activity_kinds.py`` fails until it has one).

The registry sits in the booking layer because the day facts (``calendar.facts_from``) read it and the setup
services (creating activities, generating a school year) build on the booking layer, never the reverse. It
reads no database: a generator is a pure function of a ``YearCalendar`` (what the tables say about one school
year for one structure, loaded by ``calendar.year_calendar``) and of the activity's holiday scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from types import MappingProxyType

from ...models import (
    ActivityKind,
    CafCategory,
    DeadlineKind,
    DeadlineRule,
    OpeningKind,
    PeriodOpeningRule,
    PeriodScope,
    WalletKind,
)
from ..errors import UnknownActivityKind, ValidationError

WEDNESDAY = 2
SATURDAY = 5
SUNDAY = 6
FRIDAY_SATURDAY = "4,5"
END_OF_DAY = time(23, 59)
SUMMER_MONTHS = (6, 7)
"""The summer holidays start in June or July (the other school holidays never do)."""

ALAE_DEADLINE = DeadlineRule(DeadlineKind.LAST_WEEKDAY, None, "", False, SUNDAY, END_OF_DAY)
"""ALAE Wednesday: book and cancel until the Sunday before, 23:59."""
ALSH_BOOKING = DeadlineRule(DeadlineKind.COUNTED_DAYS, 2, FRIDAY_SATURDAY, False, None, END_OF_DAY)
"""ALSH: book until 2 days before the day, not counting Fridays or Saturdays."""
ALSH_CANCEL = DeadlineRule(DeadlineKind.COUNTED_DAYS, 15, "", False, None, END_OF_DAY)
"""ALSH: cancel until 15 days before the day."""


# --- what a generator reads and gives --------------------------------------------------------------------


@dataclass(frozen=True)
class Holiday:
    """A school holiday range of the zone, as stored."""

    name: str
    start: date
    end: date

    @property
    def is_summer(self) -> bool:
        return self.start.month in SUMMER_MONTHS


@dataclass(frozen=True)
class YearCalendar:
    """What the calendar tables say about one school year for one structure."""

    zone: str
    school_year: str
    """ "2026-2027"."""
    holidays: tuple[Holiday, ...]
    """The zone's school holidays of this school year, by start date (the summer last)."""
    closed: frozenset[date]
    """Public holidays and local closings (the structure's and every structure's) from 1 September to the end of
    the last holidays."""
    first_school_day: date
    """The day after the previous summer holidays (1 September when they are not in the calendar)."""

    @property
    def summer(self) -> Holiday | None:
        return next((h for h in self.holidays if h.is_summer), None)

    @property
    def last_school_day(self) -> date:
        """The day before the summer holidays (refused when they are not in the calendar)."""
        summer = self.summer
        if summer is None:
            raise ValidationError(
                f"Les vacances d'été {self.school_year} ne sont pas dans le calendrier (zone {self.zone})."
            )
        return summer.start - timedelta(days=1)


@dataclass(frozen=True)
class DayPlan:
    """The days an activity runs in a school year, as its kind lays them out."""

    days: dict[date, Holiday | None]
    """Each day and the holiday period it belongs to (None: a day outside any period)."""
    periods: tuple[Holiday, ...]
    """The holiday periods of the activity (one per school holiday it runs in), even those left without a day."""


DayGenerator = Callable[[YearCalendar, PeriodScope], DayPlan]
"""(the school year's calendar, the activity's holiday scope) → its days."""


# --- the generators --------------------------------------------------------------------------------------


def school_wednesdays(cal: YearCalendar) -> list[date]:
    """Every Wednesday from the first school day to the last, outside school holidays and closed days."""
    start, end = cal.first_school_day, cal.last_school_day
    d = start + timedelta(days=(WEDNESDAY - start.weekday()) % 7)
    days = []
    while d <= end:
        if d not in cal.closed and not any(h.start <= d <= h.end for h in cal.holidays):
            days.append(d)
        d += timedelta(days=7)
    return days


def holidays_in_scope(cal: YearCalendar, scope: PeriodScope) -> tuple[Holiday, ...]:
    """The school holidays an activity with this scope runs in (never a « pont », a day or two off school)."""
    return tuple(
        h
        for h in cal.holidays
        if not h.name.startswith("Pont")
        and (
            scope is PeriodScope.ALL
            or (scope is PeriodScope.SUMMER and h.is_summer)
            or (scope is PeriodScope.SHORT and not h.is_summer)
        )
    )


def holiday_weekdays(cal: YearCalendar, holiday: Holiday) -> list[date]:
    """Monday to Friday of a school holiday, except closed days."""
    days = []
    d = holiday.start
    while d <= holiday.end:
        if d.weekday() < SATURDAY and d not in cal.closed:
            days.append(d)
        d += timedelta(days=1)
    return days


def _wednesdays_of_school_weeks(cal: YearCalendar, _scope: PeriodScope) -> DayPlan:
    return DayPlan(dict.fromkeys(school_wednesdays(cal)), ())


def _weekdays_of_holidays(cal: YearCalendar, scope: PeriodScope) -> DayPlan:
    periods = holidays_in_scope(cal, scope)
    return DayPlan({d: h for h in periods for d in holiday_weekdays(cal, h)}, periods)


# --- the registry ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """What an activity of a kind gets unless the administrator says otherwise."""

    wallet_kind: WalletKind
    """The family wallet its days are paid from."""
    opening_kind: OpeningKind
    horizon_days: int | None
    booking: DeadlineRule
    cancel: DeadlineRule
    waitlist_enabled: bool
    period_scope: PeriodScope = PeriodScope.ALL
    period_opening_rule: PeriodOpeningRule = PeriodOpeningRule.WEEKS_BEFORE
    period_opening_weeks: int | None = 5
    period_opening_fixed: str | None = None
    day_starts_at: time = time(7, 30)
    day_ends_at: time = time(18, 30)
    """A day's opening hours: the hours a day present counts for the CAF."""
    caf_category: CafCategory = CafCategory.EXTRASCOLAIRE
    """How the CAF counts its hours: the holidays are extrascolaire, the Wednesdays périscolaire."""


@dataclass(frozen=True)
class KindEntry:
    kind: ActivityKind
    label: str
    """Short, for a list or a table: « ALAE mercredi »."""
    long_label: str
    """With its article, for a sentence: « l'ALAE du mercredi »."""
    days_text: str
    """Which days it runs, for a sentence: « les mercredis hors vacances scolaires, jours fériés et fermetures »."""
    policy: Policy
    price_cents: int
    """The usual price of a day (before quotient-familial brackets)."""
    default_capacity: int
    example_name: str
    """A usual name for a new activity of this kind."""
    days: DayGenerator
    has_periods: bool
    """Its days are grouped in holiday periods, each with its booking opening date."""
    runs_in_school_holidays: bool
    """False: a date in the school holidays is off for this kind, and the calendar says « vacances scolaires »."""

    @property
    def sentence_label(self) -> str:
        """The long label at the start of a sentence: « L'ALAE du mercredi »."""
        return self.long_label[:1].upper() + self.long_label[1:]


_ENTRIES = (
    KindEntry(
        ActivityKind.ALAE_WEDNESDAY,
        label="ALAE mercredi",
        long_label="l'ALAE du mercredi",
        days_text="les mercredis hors vacances scolaires, jours fériés et fermetures",
        policy=Policy(
            WalletKind.ALAE,
            OpeningKind.ROLLING,
            90,
            ALAE_DEADLINE,
            ALAE_DEADLINE,
            waitlist_enabled=False,
            day_starts_at=time(13, 30),
            day_ends_at=time(18, 30),
            caf_category=CafCategory.PERISCOLAIRE,
        ),
        price_cents=650,
        default_capacity=30,
        example_name="ALAE Mercredi après-midi",
        days=_wednesdays_of_school_weeks,
        has_periods=False,
        runs_in_school_holidays=False,
    ),
    KindEntry(
        ActivityKind.ALSH_HOLIDAYS,
        label="ALSH vacances",
        long_label="l'ALSH des vacances",
        days_text="les jours de semaine des vacances scolaires, hors jours fériés et fermetures",
        policy=Policy(
            WalletKind.ALSH,
            OpeningKind.PERIOD,
            None,
            ALSH_BOOKING,
            ALSH_CANCEL,
            waitlist_enabled=True,
            day_starts_at=time(7, 30),
            day_ends_at=time(18, 30),
            caf_category=CafCategory.EXTRASCOLAIRE,
        ),
        price_cents=1300,
        default_capacity=24,
        example_name="CLSH Petites vacances",
        days=_weekdays_of_holidays,
        has_periods=True,
        runs_in_school_holidays=True,
    ),
)

KINDS: Mapping[ActivityKind, KindEntry] = MappingProxyType({e.kind: e for e in _ENTRIES})
"""Every registered kind, in the order they are offered: the one place the rest of the application asks."""


def kind_entry(kind: ActivityKind | str) -> KindEntry:
    """The entry of a kind (its value as stored is accepted); ``UnknownActivityKind`` for a kind without one."""
    try:
        return KINDS[ActivityKind(kind)]
    except (KeyError, ValueError):
        raise UnknownActivityKind(str(kind), [e.label for e in KINDS.values()]) from None


def kind_label(kind: ActivityKind | str) -> str:
    """« ALAE mercredi », « ALSH vacances »."""
    return kind_entry(kind).label


def registered_kinds() -> tuple[KindEntry, ...]:
    """Every entry, in the order they are offered (a form's list of kinds)."""
    return tuple(KINDS.values())


def unregistered_kinds() -> list[ActivityKind]:
    """Members of ``ActivityKind`` without an entry (none: each must have one)."""
    return [k for k in ActivityKind if k not in KINDS]


def all_kinds_text() -> str:
    """« l'ALAE du mercredi et l'ALSH des vacances »: every kind, for a sentence."""
    labels = [e.long_label for e in KINDS.values()]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} et {labels[-1]}"


def periods_note(kind: ActivityKind | str) -> str:
    """Why a kind has no holiday periods to set (empty for a kind that has): a form's tooltip."""
    entry = kind_entry(kind)
    return "" if entry.has_periods else f"{entry.sentence_label} suit le calendrier scolaire, sans périodes."


def days_explanation() -> str:
    """How the days of each kind are generated, for the school year screen: « ALAE mercredi : les mercredis … »."""
    return " ; ".join(f"{e.label} : {e.days_text}" for e in KINDS.values()) + "."
