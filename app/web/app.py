"""The family portal: server-rendered French pages (FastAPI + Jinja2) over the same ``app.services`` and the same
database as the counters (DESIGN §5), so that the rules are one code path and both channels share the places.

Every page works without JavaScript. A family sees and changes only its own data: the session is a row of the
database (``portal.portal_session``, checked on every page: a logout, a new password or a lockout ends it for every
copy of the cookie), and every child or activity id a request names is checked against what that family may use
(else 404). The cookie is signed, HttpOnly, SameSite=Lax (Secure behind TLS); no logged-in page may be stored
(``Cache-Control: no-store``); every form carries the session's CSRF token; failed logins and « mot de passe
oublié » are limited per address in the database (``security.Limits``); a request body over ``MAX_BODY`` is refused
unread; every error answers a French page with the security headers. Each write goes through a service, audited with
the family as author, and on PostgreSQL sends the same NOTIFY as a counter's (``services.uow``)."""

from __future__ import annotations

import calendar as pycalendar
import functools
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..calendar_words import GREEN, ORANGE, STATE_LEGEND, STATE_STYLE, availability, child_label
from ..clock import PARIS, local_today
from ..services.actors import Actor
from ..services.auth import LoginRefused
from ..services.booking.basket import Action, Basket, BasketLine, Likely, OutcomeStatus
from ..services.booking.copying import copy_days
from ..services.booking.month_view import DayState, bookable_month, month_views
from ..services.booking.validation import confirm, recap
from ..services.bounds import BadArgument
from ..services.documents.sheet import reservation_sheet_pdf
from ..services.errors import DomainError
from ..services.families import portal
from ..services.families.view import family_summary, reservation_rows
from ..services.money.amounts import format_eur
from ..services.money.online_backends import PaymentGateway
from ..services.uow import Database, new_operation_key
from ..text import count
from .forms import Fields
from .payments import PortalKit, add_payment_routes
from .security import CSRF_FIELD, MAX_BODY, SECURITY_HEADERS, Limits, address_key, csrf_ok, csrf_token

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MAX_BASKET = 60
"""Requests kept in the session's cookie at once (a cookie holds 4 kB)."""
SESSION_HOURS = 4
"""The cookie's own life; the session itself ends on the server (``portal.SESSION_LENGTH``, the same 4 hours)."""
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
NAV = [
    ("/", "Accueil"),
    ("/soldes", "Soldes et paiements"),
    ("/reserver", "Réserver"),
    ("/reservations", "Mes réservations"),
    ("/compte", "Mon compte"),
]


class GoTo(Exception):
    """Not a page for this session (not logged in, a password to change first): answered by a redirection."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class FormRefused(Exception):
    """A form without the session's CSRF token: answered 403, nothing done."""


class NotYours(Exception):
    """An id the session's family may not use: answered 404, as if it did not exist."""


def day_text(day: date, pattern: str = "EEEE d MMMM y") -> str:
    return format_date(day, pattern, locale="fr_FR")


def moment_text(at: datetime, pattern: str = "dd/MM/y HH:mm") -> str:
    """An instant as the family reads it: Paris time (« 26/11/2026 10:05 »)."""
    return format_datetime(at, pattern, tzinfo=PARIS, locale="fr_FR")


def create_app(
    db: Database,
    *,
    secret_key: str,
    public_url: str,
    secure_cookies: bool = False,
    limits: Limits | None = None,
    payments: PaymentGateway | None = None,
) -> FastAPI:
    """The portal on ``db``; ``secret_key`` signs the session cookies (the same for every worker), ``public_url``
    is the portal's address written in the reset links and given to the payment sites — never the request's Host
    header, which anyone sets. ``payments``: the payment sites (by default every backend, the demonstration's
    included; a real town's portal refuses the demonstration, ``app.web.asgi``)."""
    if not public_url.startswith(("http://", "https://")):
        raise ValueError("public_url: the portal's address, beginning with http:// or https://")
    web = FastAPI(title="Portail famille", docs_url=None, redoc_url=None, openapi_url=None)
    web.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="portail_famille",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=secure_cookies,
    )
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["eur"] = format_eur
    templates.env.filters["jour"] = day_text
    templates.env.filters["heure"] = moment_text
    limits = limits or Limits()
    login_limit, login_window = Limits.window(limits.login_per_address)
    reset_limit, reset_window = Limits.window(limits.reset_per_address)

    @web.middleware("http")
    async def headers(request: Request, call_next: Callable[..., Any]) -> Response:
        response = await call_next(request)
        secure(response, stored=request.url.path.startswith("/static/"))
        return response

    def secure(response: Response, *, stored: bool = False) -> Response:
        """The headers every answer carries; nothing but the static files (``stored``) and the colours may be
        stored."""
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", "max-age=3600" if stored else "no-store")
        return response

    @web.get("/etats.css")
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

    # --- errors: a French page for each, with the headers -----------------------------------------------------------
    def problem(request: Request, status: int, title: str, message: str) -> Response:
        return secure(page(request, "erreur.html", {"title": title, "message": message}, status=status))

    @web.exception_handler(NotYours)
    async def not_yours(request: Request, _exc: NotYours) -> Response:
        return problem(request, 404, "Page introuvable", "Cette page n'existe pas ou ne vous concerne pas.")

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return problem(
                request, 404, "Page introuvable", "Cette page n'existe pas ou ne vous concerne pas."
            )
        if exc.status_code == 405:
            return problem(
                request, 405, "Page introuvable", "Cette adresse ne s'ouvre pas ainsi : revenez à l'accueil."
            )
        return problem(request, exc.status_code, "Demande refusée", "Cette demande ne peut pas être traitée.")

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, _exc: RequestValidationError) -> Response:
        return problem(request, 422, "Demande refusée", "Cette demande est incomplète ou mal formée.")

    @web.exception_handler(DomainError)
    async def refused_by_rule(request: Request, exc: DomainError) -> Response:
        return problem(request, 400, "Demande refusée", str(exc))

    @web.exception_handler(Exception)
    async def failure(request: Request, exc: Exception) -> Response:
        log.error("portal: %s %s failed", request.method, request.url.path, exc_info=exc)
        return problem(
            request,
            500,
            "Une erreur est survenue",
            (
                "Une erreur est survenue de notre côté : rien n'a été enregistré par cette demande. Réessayez dans "
                "un moment ; si elle revient, appelez le service enfance-jeunesse."
            ),
        )

    web.add_middleware(
        BodyLimit,
        refuse=lambda scope: problem(
            Request(scope),
            413,
            "Demande trop volumineuse",
            ("Cette demande est trop volumineuse pour le portail : revenez à la page et recommencez."),
        ),
    )

    # --- helpers -----------------------------------------------------------------------------------------------
    def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
        session: dict[str, Any] = request.scope.get(
            "session", {}
        )  # none on a failure's page (outside the session)
        flash = session.pop("flash", None)
        base = {
            "request": request,
            "csrf": csrf_token(session),
            "family": getattr(request.state, "family", None),
            "nav": NAV,
            "path": request.url.path,
            "flash": flash,
            "csrf_field": CSRF_FIELD,
            "updated": moment_text(db.clock.now(), "dd/MM/y 'à' HH:mm"),
        }
        return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)

    def go(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def say(request: Request, message: str, kind: str = "info") -> None:
        request.session["flash"] = {"text": message, "kind": kind}

    def current(request: Request) -> int | None:
        """The session's family while its session holds on the server (``portal.portal_session``: not ended by a
        logout, a new password, a lockout or the counter, within its hours, the account open); else None and the
        cookie is emptied. ``must_change`` is read from the database."""
        token = request.session.get("sid")
        if not isinstance(token, str):
            return None
        found = portal.portal_session(db, token)
        if found is None:
            request.session.clear()
            return None
        request.session["must_change"] = found.must_change_password
        request.state.family = found.name
        return found.family_id

    def guard(request: Request) -> int:
        """The session's family; else ``GoTo`` where it must go first (the login, the forced password change)."""
        fid = current(request)
        if fid is None:
            raise GoTo("/connexion")
        if request.session.get("must_change"):
            raise GoTo("/mot-de-passe")
        return fid

    def posted(request: Request, fields: dict[str, str]) -> dict[str, str]:
        """The form's fields (``forms.Fields``) when its CSRF token is the session's; else ``FormRefused`` (403)."""
        if not csrf_ok(request.session, fields.get(CSRF_FIELD)):
            raise FormRefused()
        return fields

    @web.exception_handler(GoTo)
    async def go_to(_request: Request, exc: GoTo) -> Response:
        return go(exc.url)

    @web.exception_handler(FormRefused)
    async def refused(request: Request, _exc: FormRefused) -> Response:
        return page(
            request,
            "erreur.html",
            {
                "title": "Formulaire expiré",
                "message": (
                    "Ce formulaire a expiré ou ne vient pas du portail : rechargez la page et recommencez."
                ),
            },
            status=403,
        )

    def actor(request: Request, fid: int) -> Actor:
        return Actor.family(fid, str(request.session.get("name", "")))

    def basket_of(request: Request, fid: int) -> Basket:
        lines = []
        for item in request.session.get("basket", []):
            try:
                child, activity, day, action = item
                lines.append(BasketLine(int(child), int(activity), date.fromisoformat(day), Action(action)))
            except (TypeError, ValueError):
                continue
        return Basket(fid, lines)

    def keep(request: Request, basket: Basket) -> None:
        request.session["basket"] = [
            [ln.child_id, ln.activity_id, ln.day.isoformat(), ln.action.value]
            for ln in basket.lines[:MAX_BASKET]
        ]

    def children_of(fid: int) -> dict[int, str]:
        return {c.id: c.first_name for c in family_summary(db, fid).children}

    def int_param(value: object) -> int | None:
        try:
            return int(str(value))
        except (TypeError, ValueError):
            return None

    def client(request: Request) -> str:
        return address_key(request.client.host if request.client else "?")

    def sign_in(request: Request, session: portal.FamilySession) -> None:
        request.session.clear()  # a new session: nothing of the anonymous one is kept (fixation)
        request.session.update(
            {"sid": session.token, "name": session.name, "must_change": session.must_change_password}
        )

    def basket_changed(request: Request) -> None:
        request.session["op"] = new_operation_key()  # « Confirmer » sent twice confirms once

    # --- connexion -----------------------------------------------------------------------------------------------
    @web.get("/connexion", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return page(request, "connexion.html", {"title": "Connexion", "login": ""})

    @web.post("/connexion")
    def login_post(request: Request, fields: Fields) -> Response:
        form = posted(request, fields)
        login = form.get("identifiant", "").strip()[:64]
        if not portal.attempts_left(db, "login", client(request), login_limit, login_window):
            return page(
                request,
                "connexion.html",
                {
                    "title": "Connexion",
                    "login": login,
                    "error": ("Trop de tentatives depuis cette connexion : réessayez dans quelques minutes."),
                },
                status=429,
            )
        try:
            session = portal.family_login(db, form.get("identifiant", ""), form.get("mot_de_passe", ""))
        except (
            LoginRefused,
            portal.FamilyAccountLocked,
            BadArgument,
        ) as exc:  # BadArgument: a NUL, 5,000 characters
            # failures only: a family logging in does not use up its address's attempts
            portal.allow_attempt(db, "login", client(request), login_limit, login_window)
            said = exc if isinstance(exc, portal.FamilyAccountLocked) else LoginRefused()
            return page(
                request,
                "connexion.html",
                {"title": "Connexion", "login": login, "error": str(said)},
                status=401,
            )
        sign_in(request, session)
        return go("/mot-de-passe" if session.must_change_password else "/")

    @web.post("/deconnexion")
    def logout(request: Request, fields: Fields) -> Response:
        posted(request, fields)
        token = request.session.get("sid")
        if isinstance(token, str):
            portal.end_session(db, token)  # on the server: a copy of the cookie opens nothing any more
        request.session.clear()
        say(request, "Vous êtes déconnecté.")
        return go("/connexion")

    # --- mots de passe -------------------------------------------------------------------------------------------
    @web.get("/mot-de-passe", response_class=HTMLResponse)
    def password_page(request: Request) -> Response:
        if current(request) is None:
            return go("/connexion")
        return page(
            request,
            "mot_de_passe.html",
            {"title": "Choisir un mot de passe", "forced": bool(request.session.get("must_change"))},
        )

    @web.post("/mot-de-passe")
    def password_post(request: Request, fields: Fields) -> Response:
        fid = current(request)
        if fid is None:
            return go("/connexion")
        form = posted(request, fields)
        new, again = form.get("nouveau", ""), form.get("confirmation", "")
        forced = bool(request.session.get("must_change"))
        if new != again:
            return page(
                request,
                "mot_de_passe.html",
                {
                    "title": "Choisir un mot de passe",
                    "forced": forced,
                    "error": "Les deux mots de passe ne sont pas identiques.",
                },
                status=400,
            )
        try:
            session = portal.change_family_password(db, fid, form.get("actuel", ""), new)
        except DomainError as exc:
            return page(
                request,
                "mot_de_passe.html",
                {"title": "Choisir un mot de passe", "forced": forced, "error": str(exc)},
                status=400,
            )
        sign_in(request, session)  # this session goes on with the new password; the others end
        say(request, "Votre mot de passe est enregistré.", "ok")
        return go("/")

    @web.get("/mot-de-passe-oublie", response_class=HTMLResponse)
    def forgot_page(request: Request) -> Response:
        return page(request, "oublie.html", {"title": "Mot de passe oublié"})

    @web.post("/mot-de-passe-oublie")
    def forgot_post(request: Request, fields: Fields) -> Response:
        form = posted(request, fields)
        if not portal.allow_attempt(db, "reset", client(request), reset_limit, reset_window):
            return page(
                request,
                "oublie.html",
                {
                    "title": "Mot de passe oublié",
                    "error": ("Trop de demandes depuis cette connexion : réessayez plus tard."),
                },
                status=429,
            )
        base = public_url.rstrip("/")
        answer = page(request, "oublie.html", {"title": "Mot de passe oublié", "sent": True})
        # the lookup and the e-mail are written once the answer has left: its time tells nothing of the accounts
        answer.background = BackgroundTask(
            portal.request_reset,
            db,
            form.get("identifiant", "")[:200],
            f"{base}/nouveau-mot-de-passe?jeton=",
            limits.reset_per_day,
        )
        return answer

    def link_token(value: object) -> str:
        """A reset link's token as the service may read it; "" for anything no link of ours carries."""
        return value if isinstance(value, str) and portal.is_token(value) else ""

    @web.get("/nouveau-mot-de-passe", response_class=HTMLResponse)
    def reset_page(request: Request, jeton: str = "") -> Response:
        token = link_token(jeton)
        valid = bool(token) and portal.reset_link_valid(db, token)
        return page(
            request,
            "nouveau.html",
            {"title": "Nouveau mot de passe", "token": token, "valid": valid},
            status=200 if valid else 410,
        )

    @web.post("/nouveau-mot-de-passe")
    def reset_post(request: Request, fields: Fields) -> Response:
        form = posted(request, fields)
        token = link_token(form.get("jeton"))
        if not token:
            return page(
                request,
                "nouveau.html",
                {"title": "Nouveau mot de passe", "token": "", "valid": False},
                status=410,
            )
        if form.get("nouveau", "") != form.get("confirmation", ""):
            return page(
                request,
                "nouveau.html",
                {
                    "title": "Nouveau mot de passe",
                    "token": token,
                    "valid": True,
                    "error": "Les deux mots de passe ne sont pas identiques.",
                },
                status=400,
            )
        try:
            session = portal.reset_password(db, token, form.get("nouveau", ""))
        except DomainError as exc:
            return page(
                request,
                "nouveau.html",
                {
                    "title": "Nouveau mot de passe",
                    "token": token,
                    "valid": portal.reset_link_valid(db, token),
                    "error": str(exc),
                },
                status=400,
            )
        sign_in(request, session)
        say(request, "Votre nouveau mot de passe est enregistré : vous êtes connecté.", "ok")
        return go("/")

    # --- accueil, soldes -------------------------------------------------------------------------------------------
    @web.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        fid = guard(request)
        today = local_today(db.clock)
        return page(
            request,
            "accueil.html",
            {
                "title": "Accueil",
                "messages": portal.current_messages(db, today),
                "today": today,
                "summary": family_summary(db, fid),
            },
        )

    @web.get("/licence", response_class=HTMLResponse)
    def licence(request: Request) -> Response:
        """The licence, and the program's source offered to whoever uses it over the network (GPL 3 § 13 and the
        AGPL headers of eopayment's files)."""
        return page(request, "licence.html", {"title": "Licence et code source"})

    @web.get("/licence/sources.tar.gz")
    def sources() -> Response:
        return Response(
            source_archive(),
            media_type="application/gzip",
            headers={"Content-Disposition": 'attachment; filename="guichet-enfance-sources.tar.gz"'},
        )

    add_payment_routes(
        web,
        PortalKit(db, page, guard, posted, go, say, actor, basket_of, current),
        payments or PaymentGateway(public_url),
    )

    # --- réserver ---------------------------------------------------------------------------------------------------
    @web.get("/reserver", response_class=HTMLResponse)
    def book(
        request: Request, enfant: str = "", activite: str = "", mois: str = "", structure: str = ""
    ) -> Response:
        fid = guard(request)
        children = children_of(fid)
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
        year, month = _month(mois) or bookable_month(db, activity)
        view = month_views(db, fid, [child], activity, year, month)[0]
        basket = basket_of(request, fid)
        pending = basket.pending(child, activity)
        weeks = _weeks(year, month)
        cells = {c.day: c for c in view.cells}
        grid = [[_cell(cells.get(d), d, pending.get(d), month) for d in week] for week in weeks]
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
                "month_label": format_date(first, "MMMM y", locale="fr_FR"),
                "mois": f"{year:04d}-{month:02d}",
                "before": f"{before:%Y-%m}",
                "after": f"{after:%Y-%m}",
                "grid": grid,
                "weekdays": WEEKDAYS,
                "legend": STATE_LEGEND,
                "count": len(basket.lines),
                "why": _why([c for week in grid for c in week]),
                "siblings": {k: v for k, v in children.items() if k != child},
                "other_activities": others,
                "copyable": any(a is Action.ADD for a in pending.values()),
                "waitlist": activities[activity].waitlist_enabled,
            },
        )

    @web.post("/reserver/jour")
    def toggle(request: Request, fields: Fields) -> Response:
        fid = guard(request)
        form = posted(request, fields)
        child, activity = int_param(form.get("enfant")), int_param(form.get("activite"))
        if child is None or activity is None or not portal.may_ask(db, fid, child, activity):
            raise NotYours()
        try:
            day = date.fromisoformat(form.get("jour", ""))
            action = Action(form.get("action", ""))
        except ValueError:
            raise NotYours() from None
        basket = basket_of(request, fid)
        if len(basket.lines) >= MAX_BASKET and not any(
            ln.key == (child, activity, day) for ln in basket.lines
        ):
            say(request, f"Au plus {MAX_BASKET} demandes à la fois : validez celles-ci d'abord.", "error")
            return go(f"/reserver?enfant={child}&activite={activity}&mois={day:%Y-%m}")  # the message, on top
        basket.toggle(child, activity, day, action)
        keep(request, basket)
        basket_changed(request)
        # without JavaScript the page comes back on the day clicked: the next Tab goes on from there
        return go(f"/reserver?enfant={child}&activite={activity}&mois={day:%Y-%m}#{_day_id(day)}")

    @web.post("/reserver/annuler")
    def abandon(request: Request, fields: Fields) -> Response:
        guard(request)
        posted(request, fields)
        request.session["basket"] = []
        basket_changed(request)
        say(request, "Les demandes en cours sont abandonnées : rien n'a été enregistré.")
        return go("/reserver")

    @web.post("/copier")
    def copy(request: Request, fields: Fields) -> Response:
        """« Copier » the days to book of a child and an activity: to another child of the family
        (``vers=enfant-<id>``), or to another activity of the same child (``vers=activite-<id>``); each copied day
        is checked again (DESIGN §2.5)."""
        fid = guard(request)
        form = posted(request, fields)
        children = children_of(fid)
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
        basket = basket_of(request, fid)
        try:
            report = copy_days(
                db,
                actor(request, fid),
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
            say(
                request,
                f"Au plus {MAX_BASKET} demandes à la fois : validez celles-ci avant de copier.",
                "error",
            )
            return go(back)
        keep(request, basket)
        basket_changed(request)
        child = to_child if to_child is not None else source
        where = to_activity if to_activity is not None else activity
        who = children[child] if to_activity is None else f"{children[source]} – {activities[where].name}"
        text = f"{count(len(report.added), 'jour copié', 'jours copiés')} pour {who}."
        if report.skipped:
            text += (
                " Non copiés : " + "; ".join(f"{ln.day:%d/%m} ({why})" for ln, why in report.skipped) + "."
            )
        say(request, text, "ok" if report.added else "error")
        month = report.added[0].day if report.added else None
        return go(f"/reserver?enfant={child}&activite={where}" + (f"&mois={month:%Y-%m}" if month else ""))

    @web.get("/recapitulatif", response_class=HTMLResponse)
    def summary(request: Request) -> Response:
        fid = guard(request)
        basket = basket_of(request, fid)
        if not basket.lines:
            say(request, "Aucune demande en cours : cliquez sur les jours à réserver ou à supprimer.")
            return go("/reserver")
        try:
            result = recap(db, actor(request, fid), basket)
        except DomainError as exc:
            say(request, str(exc), "error")
            return go("/reserver")
        return page(
            request, "recapitulatif.html", {"title": "Récapitulatif", "recap": result, "Likely": Likely}
        )

    @web.post("/confirmer")
    def confirm_post(request: Request, fields: Fields) -> Response:
        fid = guard(request)
        posted(request, fields)
        basket = basket_of(request, fid)
        key = request.session.get("op") or new_operation_key()
        try:
            confirm(db, actor(request, fid), basket, key=key)
        except DomainError as exc:
            say(request, str(exc), "error")
            return go("/recapitulatif" if basket.lines else "/reserver")
        request.session["basket"] = []
        basket_changed(request)
        request.session["done"] = key  # the outcome is read from the database (no list in the cookie)
        return go("/resultat")

    @web.get("/resultat", response_class=HTMLResponse)
    def outcome(request: Request) -> Response:
        fid = guard(request)
        key = request.session.get("done")
        result = portal.confirmed_outcome(db, fid, key) if isinstance(key, str) else None
        if result is None:
            return go("/reservations")
        rows = [
            {
                "child": o.child_name,
                "activity": o.activity_name,
                "day": o.line.day,
                "label": o.label,
                "status": o.status.value,
            }
            for o in result.outcomes
        ]
        kept = {OutcomeStatus.ACCEPTED, OutcomeStatus.WAITLISTED, OutcomeStatus.CANCELLED}
        return page(
            request,
            "resultat.html",
            {
                "title": "Résultat de vos demandes",
                "rows": rows,
                "totals": result.totals(),
                "recorded": any(o.status in kept for o in result.outcomes),
                "waitlisted": any(o.status is OutcomeStatus.WAITLISTED for o in result.outcomes),
            },
        )

    # --- mes réservations, mon compte ---------------------------------------------------------------------------
    @web.get("/reservations", response_class=HTMLResponse)
    def reservations(request: Request) -> Response:
        fid = guard(request)
        today = local_today(db.clock)
        rows = reservation_rows(db, fid, since=today - timedelta(days=31))
        return page(request, "reservations.html", {"title": "Mes réservations", "rows": rows})

    @web.get("/reservations/fiche.pdf")
    def sheet(request: Request) -> Response:
        fid = guard(request)
        pdf = reservation_sheet_pdf(db, fid, None, None, printed_by="portail famille")
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": 'attachment; filename="fiche-reservations.pdf"',
                "Cache-Control": "no-store",
            },
        )

    @web.get("/compte", response_class=HTMLResponse)
    def account(request: Request) -> Response:
        fid = guard(request)
        summary = family_summary(db, fid)
        return page(
            request,
            "compte.html",
            {"title": "Mon compte", "summary": summary, "email": summary.email, "phone": summary.phone},
        )

    @web.post("/compte")
    def account_post(request: Request, fields: Fields) -> Response:
        fid = guard(request)
        form = posted(request, fields)
        email, phone = form.get("email", ""), form.get("telephone", "")
        try:
            portal.update_contact(db, actor(request, fid), email, phone)
        except DomainError as exc:
            return page(
                request,
                "compte.html",
                {
                    "title": "Mon compte",
                    "summary": family_summary(db, fid),
                    "email": email,
                    "phone": phone,
                    "error": str(exc),
                },
                status=400,
            )
        say(request, "Vos coordonnées sont enregistrées.", "ok")
        return go("/compte")

    return web


class BodyLimit:
    """A request body over ``MAX_BODY`` is answered 413 before the application reads it (announced by its
    Content-Length, or counted as it arrives); a smaller one is handed on as it came."""

    def __init__(self, app: ASGIApp, refuse: Callable[[Scope], Response]) -> None:
        self.app, self.refuse = app, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        announced = dict(scope.get("headers") or []).get(b"content-length", b"0")
        too_large = not announced.isdigit() or int(announced) > MAX_BODY
        chunks: list[Message] = []
        size = 0
        while not too_large:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            too_large = size > MAX_BODY
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if too_large:
            await self.refuse(scope)(scope, receive, send)
            return
        replay = iter(chunks)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


@functools.cache
def source_archive() -> bytes:
    """This program's own source (the ``app`` package, its licence and its project file) as a .tar.gz."""
    import io
    import tarfile

    package = HERE.parent
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.add(path, arcname=f"guichet-enfance/app/{path.relative_to(package)}")
        for extra in ("COPYING", "pyproject.toml", "README.md"):
            candidate = package.parent / extra
            if candidate.is_file():
                archive.add(candidate, arcname=f"guichet-enfance/{extra}")
    return buffer.getvalue()


def _month(text: str) -> tuple[int, int] | None:
    try:
        year, month = (int(x) for x in text.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def _weeks(year: int, month: int) -> list[list[date]]:
    """The month's weeks, Monday to Friday (no activity runs on a weekend)."""
    return [
        [d for d in week[:5]]
        for week in pycalendar.Calendar().monthdatescalendar(year, month)
        if any(d.month == month for d in week[:5])
    ]


def _day_id(day: date) -> str:
    """The id of a day's cell in the calendar (« j-2026-12-09 »): where a click without JavaScript comes back."""
    return f"j-{day.isoformat()}"


def _cell(cell: Any, day: date, action: Action | None, month: int) -> dict[str, Any]:
    """What the template shows of a day: its words, colours, and the request a click would make; ``locked``: a
    booked day past its cancellation deadline (a style of its own, and said in words: « plus annulable »);
    ``explained``: a day that cannot be clicked whose reason the note under the calendar gives (not the days the
    activity does not run: « fermé » says it)."""
    if cell is None or day.month != month:
        return {"day": day, "id": _day_id(day), "outside": day.month != month, "label": "", "places": ""}
    click: Action | None = None
    if action is not None:
        click = action  # clicked again: the request is taken back
    elif cell.can_book:
        click = Action.ADD
    elif cell.can_remove:
        click = Action.REMOVE
    label, places = child_label(cell, action), availability(cell)
    if places.startswith(label):  # "fermé" / "fermé", "complet" / "complet · 3 en attente": said once
        places = places[len(label) :].lstrip(" ·")
    verb = "Retirer la demande" if action is not None else "Réserver" if click is Action.ADD else "Supprimer"
    when = day_text(day, "EEEE d MMMM")
    locked = click is None and cell.state is DayState.BOOKED
    css = f"st-{action.value}" if action is not None else f"st-{cell.state.value}"
    generic = cell.state is DayState.CLOSED and cell.reason.startswith("pas d'accueil")
    explained = click is None and bool(cell.reason) and cell.state is not DayState.PAST and not generic
    return {
        "day": day,
        "id": _day_id(day),
        "outside": False,
        "label": label,
        "places": places,
        "css": css + (" locked" if locked else ""),
        "reason": cell.reason,
        "click": click.value if click else None,
        "locked": locked,
        "explained": explained,
        "hint": f"{verb} le {when}" if click else when,
    }


def _why(cells: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The note under the calendar: the days that cannot be clicked with the reason each gives, the days that give
    the same one together (« du lundi 8 au vendredi 19 février »), in the order of the month."""
    groups: dict[tuple[bool, str], list[date]] = {}
    for c in cells:
        if c.get("explained"):
            groups.setdefault((c["locked"], c["reason"]), []).append(c["day"])
    return [
        {"days": _days_text(days), "what": "réservé, plus annulable" if locked else "", "reason": reason}
        for (locked, reason), days in groups.items()
    ]


def _days_text(days: list[date]) -> str:
    """Days of one month in words, runs of weekdays that follow each other as one span."""
    runs: list[list[date]] = []
    for d in days:
        gap = (d - runs[-1][-1]).days if runs else 0
        if gap == 1 or (gap == 3 and d.weekday() == 0):  # the next day, or Friday then Monday
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = [
        day_text(r[0], "EEEE d MMMM")
        if len(r) == 1
        else f"du {day_text(r[0], 'EEEE d')} au {day_text(r[-1], 'EEEE d MMMM')}"
        for r in runs
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
