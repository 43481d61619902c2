"""Price of a day: activity price (by quotient-familial bracket) minus the family's valid aids, never < 0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ...models import Activity, AidKind, FamilyAid
from ...text import format_eur

AID_LABELS = {AidKind.CAF: "CAF", AidKind.MSA: "MSA", AidKind.EMPLOYER: "employeur"}


def aid_label(aid: FamilyAid) -> str:
    """The aid's short label in a price ("CAF"); "aide" when the aid has no known type."""
    return AID_LABELS.get(aid.aid_type.kind, "aide") if aid.aid_type is not None else "aide"


@dataclass(frozen=True)
class DayPrice:
    base_cents: int
    aid_cents: int
    aids: tuple[tuple[str, int], ...] = ()
    """Each aid deducted, as (short label, cents): ("CAF", 400)."""

    @property
    def cents(self) -> int:
        return max(0, self.base_cents - self.aid_cents)

    def explained(self) -> str:
        """ "13,00 € − CAF 4,00 € = 9,00 €", or "13,00 €" without aid; aids larger than the price are capped at it
        (a day never costs less than nothing) and the explanation says so."""
        if not self.aids:
            return format_eur(self.cents)
        deductions = "".join(f" − {label} {format_eur(cents)}" for label, cents in self.aids)
        capped = " (aides plafonnées au prix de la journée)" if self.aid_cents > self.base_cents else ""
        return f"{format_eur(self.base_cents)}{deductions} = {format_eur(self.cents)}{capped}"


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
    valid = [
        aid
        for aid in aids
        if aid.wallet_kind == activity.wallet_kind and aid.valid_from <= day <= aid.valid_to
    ]
    return DayPrice(
        base_price(activity, quotient_familial),
        sum(aid.amount_cents for aid in valid),
        tuple((aid_label(aid), aid.amount_cents) for aid in valid),
    )
