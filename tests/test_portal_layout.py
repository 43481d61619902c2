"""The portal as families find it, over HTTP on SQLite and PostgreSQL: every table cell names its column
(the phone shows rows as cards), a booked day past its cancellation deadline says so in words with its reason, the
no-JavaScript path lands back on the day just clicked, « Copier » offers another child or another activity of the
same child, and the Réserver page picks a structure, then one of its activities, under a header that says when the
data shown was read."""

from __future__ import annotations

import re
from datetime import date, time
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.clock import paris
from app.models import PeriodOpeningRule, SchoolHoliday, Structure
from app.services.booking import calendar
from app.services.setup.defaults import new_activity, template
from app.web.app import create_app
from app.web.security import Limits
from tests.helpers import activity_id, structure_of
from tests.test_portal_http import PUBLIC, SECRET, family_with_access, login, post, text, toggle

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


@pytest.fixture
def client(db):
    with TestClient(
        create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed()),
        base_url="http://portail.test",
    ) as c:
        yield c


class Page(HTMLParser):
    """What a page shows: its ``.table`` tables (column headings, and each body cell's ``data-label`` and text),
    the elements by id (their visible text: without ``.sr-only`` parts nor attributes such as ``title``), and
    the options of each ``select`` by group."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"}

    def __init__(self, html_text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.selects: dict[str, list[tuple[str, str, str]]] = {}
        self._stack: list[tuple[str, dict]] = []
        self._table: dict | None = None
        self._cell: dict | None = None
        self._select: str | None = None
        self._group = ""
        self._option: list | None = None
        self.feed(html_text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in self.VOID:
            return
        hidden = "sr-only" in a.get("class", "").split() or a.get("aria-hidden") == "true"
        info = {"tag": tag, "attrs": a, "text": [], "hidden": hidden}
        self._stack.append((tag, info))
        if "id" in a:
            self.by_id[a["id"]] = info
        if tag == "table" and "table" in a.get("class", "").split():
            self._table = {"headers": [], "cells": [], "in": None}
            self.tables.append(self._table)
        elif self._table is not None and tag in ("thead", "tbody", "tfoot"):
            self._table["in"] = tag
        elif self._table is not None and tag in ("td", "th"):
            self._cell = {
                "tag": tag,
                "label": a.get("data-label"),
                "colspan": a.get("colspan"),
                "text": [],
                "part": self._table["in"],
            }
        elif tag == "select":
            self._select, self._group = a.get("id", ""), ""
            self.selects[self._select] = []
        elif tag == "optgroup":
            self._group = a.get("label", "")
        elif tag == "option":
            self._option = [a.get("value", ""), []]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self._stack:
            name, info = self._stack.pop()
            if name == tag:
                break
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            words = " ".join("".join(self._cell["text"]).split())
            if self._cell["part"] == "thead":
                self._table["headers"].append(words)
            else:
                self._table["cells"].append({**self._cell, "text": words})
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            self.selects[self._select].append(
                (self._group, self._option[0], "".join(self._option[1]).strip())
            )
            self._option = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"].append(data)
        if self._option is not None:
            self._option[1].append(data)
        if any(info["hidden"] for _name, info in self._stack):
            return
        for _name, info in self._stack:
            info["text"].append(data)

    def visible(self, element_id: str) -> str:
        """The words an element shows (not its screen-reader-only parts, not its tooltip)."""
        return " ".join("".join(self.by_id[element_id]["text"]).split())


def page(client, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, path
    return Page(response.text)


def stage_activity(db) -> int:
    """A second holiday activity of the ALSH structure, open over the Christmas holidays as the CLSH is."""
    alsh = structure_of(db, "CLSH-PV")

    def work(s) -> int:
        activity = new_activity(alsh, template("CLSH-PV"))
        activity.code, activity.name = "STAGE-NOEL", "Stage sportif de Noël"
        s.add(activity)
        s.flush()
        noel = s.scalars(
            select(SchoolHoliday).where(
                SchoolHoliday.name.like("%Noël%"), SchoolHoliday.start_date >= date(2026, 12, 1)
            )
        ).first()
        calendar.add_period(s, activity, noel, PeriodOpeningRule.WEEKS_BEFORE, weeks=5)
        return activity.id

    return db.write(work)


def test_every_table_cell_names_its_column_for_the_phone_s_cards(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    toggle(client, child, pv, date(2026, 12, 21))
    toggle(client, child, pv, date(2026, 12, 22))
    pages = {"/recapitulatif": page(client, "/recapitulatif")}
    post(client, "/confirmer", {}, page="/recapitulatif")
    toggle(client, child, pv, date(2026, 12, 21), "remove")
    toggle(client, child, pv, date(2026, 12, 28))
    pages["/recapitulatif (annulation)"] = page(client, "/recapitulatif")
    post(client, "/confirmer", {}, page="/recapitulatif")
    for path in ("/resultat", "/reservations", "/soldes"):
        pages[path] = page(client, path)
    seen = 0
    for path, shown in pages.items():
        assert shown.tables, path
        for table in shown.tables:
            assert table["headers"], (path, table)
            for cell in table["cells"]:
                if cell["tag"] == "th" or cell["colspan"]:  # the total's row heading, « Aucune opération. »
                    continue
                assert cell["label"] in table["headers"], (path, table["headers"], cell)
                seen += 1
    assert seen > 30


def test_a_booked_day_past_its_cancellation_deadline_says_so_and_why_in_words(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    for day in (date(2026, 12, 21), date(2026, 12, 28)):
        toggle(client, child, pv, day)
    post(client, "/confirmer", {}, page="/recapitulatif")
    db.clock.set(paris(date(2026, 12, 10), time(9, 0)))  # 21 December: cancellable until 6 December only
    login(client, identifier)  # two weeks later: a new session
    response = client.get(f"/reserver?enfant={child}&activite={pv}&mois=2026-12")
    shown = Page(response.text)
    locked, open_ = shown.by_id["j-2026-12-21"], shown.by_id["j-2026-12-28"]
    assert "plus annulable" in shown.visible("j-2026-12-21")
    assert "plus annulable" not in shown.visible("j-2026-12-28")
    assert "Supprimer le lundi 28 décembre" in text(response)
    words = " ".join(
        re.sub(r"<[^>]+>", " ", re.sub(r'<span class="sr-only">[^<]*</span>', "", text(response))).split()
    )
    assert (
        "Lundi 21 décembre · réservé, plus annulable "
        "Délai dépassé : annulation possible jusqu'au dimanche 6 décembre 2026 à 23:59" in words
    )
    assert locked["tag"] == open_["tag"] == "td"
    style = {
        d: re.search(rf'id="j-2026-12-{d}".*?class="day ([^"]+)"', response.text, re.S).group(1)
        for d in (21, 28)
    }
    assert style[21] != style[28]  # a style of its own, not the cancellable day's
    # the other days that cannot be clicked say why too: the bank holiday, and a month not open yet
    assert "Vendredi 25 décembre jour férié (Noël)" in words
    assert "pas d'accueil ce jour-là" not in words  # the days the activity does not run: « fermé » says it
    february = " ".join(
        re.sub(
            r"<[^>]+>", " ", text(client.get(f"/reserver?enfant={child}&activite={pv}&mois=2027-02"))
        ).split()
    )
    assert "réservations à partir du lundi 4 janvier 2027" in february


def test_without_javascript_a_click_comes_back_on_the_day_clicked(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    login(client, identifier)
    clicked = toggle(client, child, pv, date(2026, 12, 21))
    assert clicked.headers["location"] == f"/reserver?enfant={child}&activite={pv}&mois=2026-12#j-2026-12-21"
    response = client.get(clicked.headers["location"].split("#")[0])
    shown = Page(response.text)
    assert "j-2026-12-21" in shown.by_id
    skip = re.search(r'<a class="skip[^"]*" href="#([\w-]+)">Aller au calendrier</a>', response.text)
    assert skip and skip.group(1) in shown.by_id
    assert shown.by_id["nb-demandes"]["attrs"].get("aria-live") == "polite"
    assert shown.visible("nb-demandes") == "1 demande en cours."


def test_copy_to_another_activity_of_the_same_child_or_to_a_sibling(client, db):
    _family_id, (lea, tom), identifier = family_with_access(db, balance_cents=20_000, children=("Léa", "Tom"))
    pv, stage = activity_id(db, "CLSH-PV"), stage_activity(db)
    login(client, identifier)
    toggle(client, lea, pv, date(2026, 12, 21))
    toggle(client, lea, pv, date(2026, 12, 22))
    shown = page(client, f"/reserver?enfant={lea}&activite={pv}&mois=2026-12")
    groups = {(group, label) for group, _value, label in shown.selects["vers"]}
    assert ("Vers un autre enfant", "Tom") in groups
    assert ("Vers une autre activité de Léa – ALSH Montech", "Stage sportif de Noël") in groups
    assert ("Vers une autre activité de Léa – ALAE Montech", "ALAE Mercredi après-midi") in groups
    assert not any("CLSH Petites vacances" in label for _g, label in groups)  # not to itself
    copied = post(
        client, "/copier", {"enfant": lea, "activite": pv, "vers": f"activite-{stage}"}, page="/reserver"
    )
    assert copied.headers["location"].startswith(f"/reserver?enfant={lea}&activite={stage}&mois=2026-12")
    assert "2 jours copiés pour Léa – Stage sportif de Noël" in text(client.get(copied.headers["location"]))
    summary = text(client.get("/recapitulatif"))
    assert summary.count("Stage sportif de Noël") == 2 and summary.count("CLSH Petites vacances") == 2
    # the summer centre has no day at Christmas: every day copied is checked again, and said not copied
    ete = activity_id(db, "CLSH-ETE")
    none = post(
        client, "/copier", {"enfant": lea, "activite": pv, "vers": f"activite-{ete}"}, page="/reserver"
    )
    said = text(client.get(none.headers["location"]))
    assert "0 jour copié pour Léa – CLSH Vacances d'été" in said and "Non copiés : 21/12 (Fermé" in said
    sibling = post(
        client, "/copier", {"enfant": lea, "activite": pv, "vers": f"enfant-{tom}"}, page="/reserver"
    )
    assert "2 jours copiés pour Tom" in text(client.get(sibling.headers["location"]))
    assert (
        post(
            client, "/copier", {"enfant": lea, "activite": pv, "vers": "activite-999999"}, page="/reserver"
        ).status_code
        == 404
    )
    assert (
        post(
            client, "/copier", {"enfant": lea, "activite": pv, "vers": "enfant-999999"}, page="/reserver"
        ).status_code
        == 404
    )


def test_an_only_child_copies_to_another_activity(client, db):
    _family_id, (lea,), identifier = family_with_access(db, balance_cents=20_000)
    pv, stage = activity_id(db, "CLSH-PV"), stage_activity(db)
    login(client, identifier)
    toggle(client, lea, pv, date(2026, 12, 21))
    shown = page(client, f"/reserver?enfant={lea}&activite={pv}&mois=2026-12")
    assert (f"activite-{stage}") in {value for _g, value, _l in shown.selects["vers"]}


def test_the_family_picks_a_structure_then_one_of_its_activities_and_sees_when_the_data_was_read(client, db):
    _family_id, (child,), identifier = family_with_access(db, balance_cents=10_000)
    login(client, identifier)
    with db.reading() as uow:
        structures = {name: sid for sid, name in uow.session.execute(select(Structure.id, Structure.name))}
    first = page(client, "/reserver")
    assert [label for _g, _v, label in first.selects["structure"]] == ["ALAE Montech", "ALSH Montech"]
    assert [label for _g, _v, label in first.selects["activite"]] == ["ALAE Mercredi après-midi"]
    alsh = page(client, f"/reserver?enfant={child}&structure={structures['ALSH Montech']}")
    assert [label for _g, _v, label in alsh.selects["activite"]] == [
        "CLSH Petites vacances",
        "CLSH Vacances d'été",
    ]
    assert [v for _g, v, _l in alsh.selects["structure"]].index(str(structures["ALSH Montech"])) == 1
    caption = text(client.get(f"/reserver?enfant={child}&structure={structures['ALSH Montech']}"))
    assert re.search(r"<caption[^>]*>Calendrier de \w+, CLSH Petites vacances, ", caption)
    # an activity of another structure than the one chosen: the structure's first activity
    alae = activity_id(db, "ALAE-MER")
    moved = text(
        client.get(f"/reserver?enfant={child}&structure={structures['ALSH Montech']}&activite={alae}")
    )
    assert f'value="{activity_id(db, "CLSH-PV")}" selected' in moved
    assert client.get(f"/reserver?enfant={child}&structure=999999").status_code == 404
    db.clock.set(paris(date(2026, 12, 6), time(16, 30)))
    login(client, identifier)  # ten days later: a new session
    for path in ("/", "/reserver", "/soldes"):
        assert "Dernière mise à jour : 06/12/2026 à 16:30" in " ".join(text(client.get(path)).split()), path
