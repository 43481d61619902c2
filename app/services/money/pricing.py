"""Price of a day: activity price (by quotient-familial bracket) minus the family's valid aids, never < 0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ...models import Activity, FamilyAid


@dataclass(frozen=True)
class DayPrice:
    base_cents: int
    aid_cents: int

    @property
    def cents(self) -> int:
        return max(0, self.base_cents - self.aid_cents)


def base_price(activity: Activity, quotient_familial: int | None) -> int:
    """The activity's price, or its bracket's price when the activity has brackets and the QF is known."""
    if activity.brackets and quotient_familial is not None:
        for bracket in activity.brackets:
            if quotient_familial >= bracket.qf_min and (
                bracket.qf_max is None or quotient_familial <= bracket.qf_max
            ):
                return bracket.price_cents
    return activity.price_cents


def day_price(
    activity: Activity, day: date, quotient_familial: int | None, aids: Iterable[FamilyAid]
) -> DayPrice:
    aid_total = sum(
        aid.amount_cents
        for aid in aids
        if aid.wallet_kind == activity.wallet_kind and aid.valid_from <= day <= aid.valid_to
    )
    return DayPrice(base_price(activity, quotient_familial), aid_total)
