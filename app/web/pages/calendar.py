"""« Réserver »: the month's calendar of a child and an activity, where each click adds a request to the basket (or
takes one back), « Copier » to another child or activity, « Abandonner »; and the calendar's colours."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...calendar_words import GREEN, ORANGE, STATE_LEGEND, STATE_STYLE
from ...services.booking.basket import Action
from ...services.booking.copying import copy_days
from ...services.booking.month_view import bookable_month, month_views
from ...services.errors import DomainError
from ...services.families import portal
from ...services.families.view import family_summary
from ...services.uow import Database
from ...text import count, month_year, short_date
from ..dependencies import CheckedForm, LoggedInFamily
from ..errors import NotYours
from ..forms import int_param
from ..month_grid import SCHOOL_DAYS, day_cell, day_id, month_weeks, parse_month, why_notes
from ..rendering import go, page, say
from ..session import MAX_BASKET, actor, basket_changed, basket_of, keep
from ..state import Db

router = APIRouter()


@router.get("/etats.css")
def state_colours() -> Response:
    """The calendar's colours, from the one table the counter draws with too (``app.calendar_words``)."""
    rules = [
        f".st-{state.value}{{background:{bg};color:{fg}}}" for state, (bg, fg, _l) in STATE_STYLE.items()
    ]
    rules += [
        f".st-add{{background:{ORANGE};color:#fff}}",
        f".st-remove{{background:{GREEN};color:#fff}}",
    ]
    rules += [f".sw-{i}{{background:{colour}}}" for i, (colour, _t) in enumerate(STATE_LEGEND)]
    return Response("\n".join(rules), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def children_of(db: Database, family_id: int) -> dict[int, str]:
    return {c.id: c.first_name for c in family_summary(db, family_id).children}


@router.get("/reserver", response_class=HTMLResponse)
def book(
    request: Request,
    family_id: LoggedInFamily,
    db: Db,
    enfant: str = "",
    activite: str = "",
    mois: str = "",
    structure: str = "",
) -> Response:
    children = children_of(db, family_id)
    activities = {a.id: a for a in portal.portal_activities(db)}
    if not children or not activities:
        return page(request, "reserver.html", {"title": "Réserver", "empty": True})
    structures = {a.structure_id: a.structure_name for a in activities.values()}
    child = int_param(enfant) if enfant else next(iter(children))
    activity = int_param(activite) if activite else None
    chosen = int_param(structure) if structure else None
    if (
        child not in children
        or (activite and activity not in activities)
        or (structure and chosen not in structures)
    ):
        raise NotYours()
    if chosen is None:  # the structure of the activity asked for, else the first one
        chosen = activities[activity].structure_id if activity is not None else next(iter(structures))
    if activity is None or activities[activity].structure_id != chosen:  # another structure chosen
        activity = next(a.id for a in activities.values() if a.structure_id == chosen)
    year, month = parse_month(mois) or bookable_month(db, activity)
    view = month_views(db, family_id, [child], activity, year, month)[0]
    basket = basket_of(request, family_id)
    pending = basket.pending(child, activity)
    cells = {c.day: c for c in view.cells}
    grid = [
        [day_cell(cells.get(d), d, pending.get(d), month) for d in week] for week in month_weeks(year, month)
    ]
    first = date(year, month, 1)
    before = (first - timedelta(days=1)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    others: dict[str, dict[int, str]] = {}  # « Copier » to another activity: by structure
    for a in activities.values():
        if a.id != activity:
            others.setdefault(a.structure_name, {})[a.id] = a.name
    return page(
        request,
        "reserver.html",
        {
            "title": "Réserver",
            "children": children,
            "structures": structures,
            "structure": chosen,
            "activities": activities,
            "child": child,
            "activity": activity,
            "month_label": month_year(first),
            "mois": f"{year:04d}-{month:02d}",
            "before": f"{before:%Y-%m}",
            "after": f"{after:%Y-%m}",
            "grid": grid,
            "weekdays": SCHOOL_DAYS,
            "legend": STATE_LEGEND,
            "count": len(basket.lines),
            "why": why_notes([c for week in grid for c in week]),
            "siblings": {k: v for k, v in children.items() if k != child},
            "other_activities": others,
            "copyable": any(a is Action.ADD for a in pending.values()),
            "waitlist": activities[activity].waitlist_enabled,
        },
    )


@router.post("/reserver/jour")
def toggle(request: Request, family_id: LoggedInFamily, form: CheckedForm, db: Db) -> Response:
    child, activity = int_param(form.get("enfant")), int_param(form.get("activite"))
    if child is None or activity is None or not portal.may_ask(db, family_id, child, activity):
        raise NotYours()
    try:
        day = date.fromisoformat(form.get("jour", ""))
        action = Action(form.get("action", ""))
    except ValueError:
        raise NotYours() from None
    basket = basket_of(request, family_id)
    if len(basket.lines) >= MAX_BASKET and not any(ln.key == (child, activity, day) for ln in basket.lines):
        say(request, f"Au plus {MAX_BASKET} demandes à la fois : validez celles-ci d'abord.", "error")
        return go(f"/reserver?enfant={child}&activite={activity}&mois={day:%Y-%m}")  # the message, on top
    basket.toggle(child, activity, day, action)
    keep(request, basket)
    basket_changed(request)
    # without JavaScript the page comes back on the day clicked: the next Tab goes on from there
    return go(f"/reserver?enfant={child}&activite={activity}&mois={day:%Y-%m}#{day_id(day)}")


@router.post("/reserver/annuler")
def abandon(request: Request, _family_id: LoggedInFamily, _form: CheckedForm) -> Response:
    request.session["basket"] = []
    basket_changed(request)
    say(request, "Les demandes en cours sont abandonnées : rien n'a été enregistré.")
    return go("/reserver")


@router.post("/copier")
def copy(request: Request, family_id: LoggedInFamily, form: CheckedForm, db: Db) -> Response:
    """« Copier » the days to book of a child and an activity: to another child of the family
    (``vers=enfant-<id>``), or to another activity of the same child (``vers=activite-<id>``); each copied day is
    checked again."""
    children = children_of(db, family_id)
    activities = {a.id: a for a in portal.portal_activities(db)}
    source, activity = int_param(form.get("enfant")), int_param(form.get("activite"))
    kind, _, value = form.get("vers", "").rpartition("-")
    target = int_param(value)
    to_child = target if kind in ("", "enfant") else None  # a bare number: a child (the former form)
    to_activity = target if kind == "activite" else None
    if (
        source not in children
        or activity not in activities
        or (to_child is None and to_activity is None)
        or (to_child is not None and to_child not in children)
        or (to_activity is not None and to_activity not in activities)
    ):
        raise NotYours()
    back = f"/reserver?enfant={source}&activite={activity}"
    basket = basket_of(request, family_id)
    try:
        report = copy_days(
            db,
            actor(request, family_id),
            basket,
            from_child_id=source,
            from_activity_id=activity,
            to_child_id=to_child,
            to_activity_id=to_activity,
        )
    except DomainError as exc:
        say(request, str(exc), "error")
        return go(back)
    if len(basket.lines) > MAX_BASKET:
        say(request, f"Au plus {MAX_BASKET} demandes à la fois : validez celles-ci avant de copier.", "error")
        return go(back)
    keep(request, basket)
    basket_changed(request)
    child = to_child if to_child is not None else source
    where = to_activity if to_activity is not None else activity
    who = children[child] if to_activity is None else f"{children[source]} – {activities[where].name}"
    text = f"{count(len(report.added), 'jour copié', 'jours copiés')} pour {who}."
    if report.skipped:
        text += (
            " Non copiés : "
            + "; ".join(f"{short_date(ln.day, year=False)} ({why})" for ln, why in report.skipped)
            + "."
        )
    say(request, text, "ok" if report.added else "error")
    month = report.added[0].day if report.added else None
    return go(f"/reserver?enfant={child}&activite={where}" + (f"&mois={month:%Y-%m}" if month else ""))
