"""The seed's usual activities and their default booking policies (DESIGN.md §2.2), by kind.

A new structure starts with these three activities, so that ``setup`` then ``school-year`` gives bookable days
at once; the administrator edits or archives them afterwards. The demonstration uses the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time

from ...models import (
    Activity,
    ActivityKind,
    DeadlineKind,
    DeadlineRule,
    OpeningKind,
    PeriodOpeningRule,
    PeriodScope,
    WalletKind,
)

SUNDAY = 6
FRIDAY_SATURDAY = "4,5"
END_OF_DAY = time(23, 59)

ALAE_DEADLINE = DeadlineRule(DeadlineKind.LAST_WEEKDAY, None, "", False, SUNDAY, END_OF_DAY)
"""ALAE Wednesday: book and cancel until the Sunday before, 23:59."""
ALSH_BOOKING = DeadlineRule(DeadlineKind.COUNTED_DAYS, 2, FRIDAY_SATURDAY, False, None, END_OF_DAY)
"""ALSH: book until 2 days before the day, not counting Fridays or Saturdays."""
ALSH_CANCEL = DeadlineRule(DeadlineKind.COUNTED_DAYS, 15, "", False, None, END_OF_DAY)
"""ALSH: cancel until 15 days before the day."""


@dataclass(frozen=True)
class Policy:
    """What an activity of a kind gets unless the administrator says otherwise."""

    wallet_kind: WalletKind
    opening_kind: OpeningKind
    horizon_days: int | None
    booking: DeadlineRule
    cancel: DeadlineRule
    waitlist_enabled: bool
    period_scope: PeriodScope = PeriodScope.ALL
    period_opening_rule: PeriodOpeningRule = PeriodOpeningRule.WEEKS_BEFORE
    period_opening_weeks: int | None = 5
    period_opening_fixed: str | None = None


POLICIES: dict[ActivityKind, Policy] = {
    ActivityKind.ALAE_WEDNESDAY: Policy(
        WalletKind.ALAE, OpeningKind.ROLLING, 90, ALAE_DEADLINE, ALAE_DEADLINE, waitlist_enabled=False
    ),
    ActivityKind.ALSH_HOLIDAYS: Policy(
        WalletKind.ALSH, OpeningKind.PERIOD, None, ALSH_BOOKING, ALSH_CANCEL, waitlist_enabled=True
    ),
}


@dataclass(frozen=True)
class ActivityTemplate:
    code: str
    name: str
    kind: ActivityKind
    price_cents: int
    default_capacity: int
    policy: Policy = field(repr=False)


USUAL_ACTIVITIES: tuple[ActivityTemplate, ...] = (
    ActivityTemplate(
        "ALAE-MER",
        "ALAE Mercredi après-midi",
        ActivityKind.ALAE_WEDNESDAY,
        650,
        30,
        POLICIES[ActivityKind.ALAE_WEDNESDAY],
    ),
    ActivityTemplate(
        "CLSH-PV",
        "CLSH Petites vacances",
        ActivityKind.ALSH_HOLIDAYS,
        1300,
        24,
        replace(POLICIES[ActivityKind.ALSH_HOLIDAYS], period_scope=PeriodScope.SHORT),
    ),
    ActivityTemplate(
        "CLSH-ETE",
        "CLSH Vacances d'été",
        ActivityKind.ALSH_HOLIDAYS,
        1300,
        40,
        replace(
            POLICIES[ActivityKind.ALSH_HOLIDAYS],
            period_scope=PeriodScope.SUMMER,
            period_opening_rule=PeriodOpeningRule.FIXED_DATE,
            period_opening_fixed="05-06",
        ),
    ),
)


def new_activity(structure_id: int, template: ActivityTemplate) -> Activity:
    """An Activity row from a template (not added to any session)."""
    policy = template.policy
    return Activity(
        structure_id=structure_id,
        code=template.code,
        name=template.name,
        kind=template.kind,
        price_cents=template.price_cents,
        default_capacity=template.default_capacity,
        wallet_kind=policy.wallet_kind,
        waitlist_enabled=policy.waitlist_enabled,
        active=True,
        opening_kind=policy.opening_kind,
        horizon_days=policy.horizon_days,
        booking_deadline=replace(policy.booking),
        cancel_deadline=replace(policy.cancel),
        period_scope=policy.period_scope,
        period_opening_rule=policy.period_opening_rule,
        period_opening_weeks=policy.period_opening_weeks,
        period_opening_fixed=policy.period_opening_fixed,
    )


def template(code: str) -> ActivityTemplate:
    return next(t for t in USUAL_ACTIVITIES if t.code == code)
