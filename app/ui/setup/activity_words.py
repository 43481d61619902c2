"""How an activity's settings read in French, in the Activités table, under it and in its form: the labels of its
holidays and opening rule (its kind's are the registry's, ``booking.kinds``; its wallet's ``families.view``'s), its
prices, its booking opening and its deadlines."""

from __future__ import annotations

from html import escape

from ...models import DeadlineKind, DeadlineRule, OpeningKind, PeriodOpeningRule, PeriodScope
from ...services.families.view import WALLET_LABELS
from ...services.setup.activities import ActivityDetail
from ...text import WEEKDAYS, clock_time, count, format_eur, plain_amount

SCOPE_LABELS = {PeriodScope.SHORT: "petites vacances", PeriodScope.SUMMER: "été", PeriodScope.ALL: "toutes"}
RULE_LABELS = {
    PeriodOpeningRule.WEEKS_BEFORE: "semaines avant le début de la période",
    PeriodOpeningRule.FIXED_DATE: "à date fixe",
    PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS: "dès la fin des vacances précédentes",
}
OPENING_LABELS = {
    OpeningKind.ROLLING: "fenêtre glissante (jours à l'avance)",
    OpeningKind.PERIOD: "date d'ouverture de chaque période",
}


def fixed_text(month_day: str | None) -> str:
    """ "05-06" (stored month-day) → "06/05" (jour/mois, as typed)."""
    if not month_day:
        return ""
    month, _, day = month_day.partition("-")
    return f"{day}/{month}"


def deadline_text(rule: DeadlineRule, *, short: bool = False) -> str:
    """A French summary: "J-2 hors ven., sam., 23:59" or "dimanche avant, 23:59" (``short``: 23:59 left out)."""
    at = "" if short and (rule.at.hour, rule.at.minute) == (23, 59) else f", {clock_time(rule.at)}"
    if rule.kind is DeadlineKind.LAST_WEEKDAY and rule.weekday is not None:
        return f"{WEEKDAYS[rule.weekday]} avant{at}"
    skipped = ", ".join(WEEKDAYS[i][:3] + "." for i in sorted(rule.skipped_weekdays))
    return f"J-{rule.days or 0}" + (f" hors {skipped}" if skipped else "") + at


def opening_text(a: ActivityDetail) -> str:
    if a.opening_kind is OpeningKind.ROLLING:
        return f"{count(a.horizon_days or 0, 'jour')} à l'avance"
    scope = SCOPE_LABELS[a.period_scope]
    if a.period_opening_rule is PeriodOpeningRule.WEEKS_BEFORE:
        return f"{scope} : {a.period_opening_weeks} sem. avant"
    if a.period_opening_rule is PeriodOpeningRule.FIXED_DATE:
        return f"{scope} : le {fixed_text(a.period_opening_fixed)}"
    return f"{scope} : après les vacances précédentes"


def price_text(a: ActivityDetail) -> str:
    if not a.brackets:
        return format_eur(a.price_cents)
    prices = [p for _lo, _hi, p in a.brackets]
    return f"{plain_amount(min(prices))} à {format_eur(max(prices))} (QF)"


def brackets_tooltip(a: ActivityDetail) -> str:
    if not a.brackets:
        return "Même prix pour toutes les familles."
    return "\n".join(f"QF {lo} à {'…' if hi is None else hi} : {format_eur(p)}" for lo, hi, p in a.brackets)


def details_text(a: ActivityDetail) -> str:
    """The selected activity in words, under the table."""
    prices = (
        " · ".join(f"QF {lo} à {'…' if hi is None else hi} : {format_eur(p)}" for lo, hi, p in a.brackets)
        if a.brackets
        else f"{format_eur(a.price_cents)} pour toutes les familles"
    )
    if a.opening_kind is OpeningKind.ROLLING:
        opening = f"réservable jusqu'à {count(a.horizon_days or 0, 'jour')} à l'avance"
    else:
        weeks = count(a.period_opening_weeks or 0, "semaine")
        when = {
            PeriodOpeningRule.WEEKS_BEFORE: f"{weeks} avant chaque période",
            PeriodOpeningRule.FIXED_DATE: f"le {fixed_text(a.period_opening_fixed)}",
            PeriodOpeningRule.AFTER_PREVIOUS_HOLIDAYS: "dès la fin des vacances précédentes",
        }[a.period_opening_rule]
        opening = f"vacances : {SCOPE_LABELS[a.period_scope]} ; réservations ouvertes {when}"
    state = "archivée" if not a.active else "proposée au guichet"
    booked = "déjà réservée" if a.booked else "jamais réservée"
    return (
        f"<b>{escape(a.name)}</b> ({escape(a.structure)}, {state}, {booked}) — tarif : {prices} ; "
        f"porte-monnaie {WALLET_LABELS[a.wallet]} ; {opening} ; réservation jusqu'à {deadline_text(a.booking)}, "
        f"annulation jusqu'à {deadline_text(a.cancel)}."
    )
