"""The seed's usual activities: a new structure starts with these three, so that ``setup`` then ``school-year``
gives bookable days at once; the administrator edits or archives them afterwards. The demonstration uses the
same definitions. Each starts from its kind's defaults (``booking.kinds``: wallet, booking window and deadlines,
waiting list, price, capacity); the two holiday activities split the holidays between them (the short ones, the
summer with its own opening date).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...models import Activity, ActivityKind, PeriodOpeningRule, PeriodScope
from ..booking.kinds import Policy, kind_entry

ALAE = kind_entry(ActivityKind.ALAE_WEDNESDAY)
ALSH = kind_entry(ActivityKind.ALSH_HOLIDAYS)


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
        "ALAE-MER", ALAE.example_name, ALAE.kind, ALAE.price_cents, ALAE.default_capacity, ALAE.policy
    ),
    ActivityTemplate(
        "CLSH-PV",
        ALSH.example_name,
        ALSH.kind,
        ALSH.price_cents,
        ALSH.default_capacity,
        replace(ALSH.policy, period_scope=PeriodScope.SHORT),
    ),
    ActivityTemplate(
        "CLSH-ETE",
        "CLSH Vacances d'été",
        ALSH.kind,
        ALSH.price_cents,
        40,
        replace(
            ALSH.policy,
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
        day_starts_at=policy.day_starts_at,
        day_ends_at=policy.day_ends_at,
        caf_category=policy.caf_category,
    )


def template(code: str) -> ActivityTemplate:
    return next(t for t in USUAL_ACTIVITIES if t.code == code)
