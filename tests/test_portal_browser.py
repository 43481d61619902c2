"""The family portal in a real browser: Debian's Chromium, headless, driven by Selenium. A demonstration
family logs in, books three holiday days of which one is full (→ waitlist), confirms, reads the outcomes and
downloads its sheet; screenshots at 390×844 (a phone) and 1366×768; axe-core checks every page (WCAG 2.1 AA:
no serious or critical violation). `.ci/run` installs chromium, chromium-driver and axe-core."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import date
from datetime import time as dtime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import paris
from app.models import Family, LedgerEntry, Reservation, ReservationStatus, Role, Wallet
from app.services.booking import days
from app.services.uow import new_operation_key
from bench.portal import portal_server
from tests.helpers import activity_id, actor, day_row
from tests.test_cli import ROOT

NOW = paris(date(2026, 11, 26), dtime(10, 0))
pytestmark = pytest.mark.posix_only(reason="Debian's Chromium and its driver in /usr/bin")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AXE = Path(os.environ.get("GUICHET_AXE_JS", ROOT / "build/axe/node_modules/axe-core/axe.min.js"))
SHOTS = Path(os.environ.get("GUICHET_PORTAL_SHOTS", ROOT / "build/portal-screens"))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _browser_or_skip() -> None:
    missing = [str(p) for p in (Path(CHROMIUM), Path(CHROMEDRIVER), AXE) if not p.exists()]
    if missing:
        if (
            os.environ.get("GUICHET_REQUIRE_BROWSER") == "1"
        ):  # .ci/run installs them: missing is a failure there
            pytest.fail(f"browser test needs {missing}")
        pytest.skip(
            f"no browser here ({', '.join(missing)}): .ci/run installs chromium, chromium-driver, axe-core"
        )


def _driver(downloads: Path, width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=fr-FR",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "plugins.always_open_pdf_externally": True,
        },
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(width, height)
    return driver


def _go(driver, element) -> None:
    """Click something that loads another page, and wait until that page is the one loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_driver) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:  # stale, or Chromium's "node does not belong to the document"
            return True
        return False

    element.click()
    WebDriverWait(driver, 15).until(gone)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _shows(driver, words: str, timeout: float = 15) -> str:
    """Wait for the page (after a click that loads another) to show ``words``; its main text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: words in d.find_element(By.TAG_NAME, "main").text)
    return driver.find_element(By.TAG_NAME, "main").text


def _to_month(driver, label: str) -> None:
    """« Suivant › » until the calendar shows ``label`` (each click loads the page again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d) -> str:
        try:
            return d.find_element(By.ID, "mois").text
        except StaleElementReferenceException:
            return ""

    for _ in range(12):
        current = shown(driver)
        if label in current:
            return
        _go(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "Suivant"))
        WebDriverWait(driver, 15).until(lambda d, before=current: shown(d) not in ("", before))
    raise AssertionError(f"{label} never shown (last: {shown(driver)!r}, {driver.current_url})")


def _log_in(driver, portal_url: str, login: str) -> None:
    """The login page filled in with the demonstration's password, until the home page shows."""
    from selenium.webdriver.common.by import By

    driver.get(f"{portal_url}/connexion")
    driver.find_element(By.ID, "identifiant").send_keys(login)
    driver.find_element(By.ID, "mot_de_passe").send_keys("demo")
    _go(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))
    _shows(driver, "Informations des structures")


def _axe(driver) -> list[dict]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(WCAG)}}}}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))).catch(e => done([{id: 'error', impact:"
        " 'critical', help: String(e), nodes: []}]));"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def portal_url(backend, demo_rw):
    if backend != "sqlite":
        pytest.skip("the browser test runs once, on the SQLite suite")
    _browser_or_skip()
    with portal_server(demo_rw.engine.url.render_as_string(hide_password=False), NOW) as base:
        yield base


def _demo_family(db) -> tuple[str, str]:
    """The demonstration family with a portal identifier and the most money on its account, and its first child."""
    with db.reading() as uow:
        s = uow.session
        balance = (
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .join(Wallet)
            .where(Wallet.family_id == Family.id)
            .scalar_subquery()
        )
        family = s.scalars(
            select(Family).where(Family.portal_login.is_not(None)).order_by(balance.desc())
        ).first()
        return family.portal_login, family.children[0].first_name


def test_a_demo_family_books_three_days_one_full_in_chromium(portal_url, demo_rw, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    db = demo_rw
    full = day_row(db, "CLSH-PV", date(2026, 12, 23))
    with db.reading() as uow:
        taken = uow.session.scalar(
            select(func.count()).where(
                Reservation.activity_day_id == full.id, Reservation.status == ReservationStatus.ACCEPTED
            )
        )
    days.set_capacity(
        db, actor(db, Role.SUPERVISOR), full.id, taken, "essai : journée complète", key=new_operation_key()
    )
    login, child = _demo_family(db)
    pv = activity_id(db, "CLSH-PV")
    SHOTS.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    problems: dict[str, list[dict]] = {}
    driver = _driver(downloads, 1366, 768)
    try:
        driver.get(f"{portal_url}/connexion")
        problems["connexion"] = _axe(driver)
        driver.find_element(By.ID, "identifiant").send_keys(login)
        driver.find_element(By.ID, "mot_de_passe").send_keys("demo")
        _go(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))
        _shows(driver, "Informations des structures")
        problems["accueil"] = _axe(driver)
        _go(driver, driver.find_element(By.LINK_TEXT, "Soldes et paiements"))
        _shows(driver, "Payer par carte")
        problems["soldes"] = _axe(driver)
        _go(driver, driver.find_element(By.LINK_TEXT, "Réserver"))
        Select(driver.find_element(By.ID, "enfant")).select_by_visible_text(child)
        Select(driver.find_element(By.ID, "structure")).select_by_visible_text("ALSH Montech")
        Select(driver.find_element(By.ID, "activite")).select_by_value(str(pv))
        _go(driver, driver.find_element(By.XPATH, "//button[text()='Afficher']"))
        WebDriverWait(driver, 15).until(lambda d: f"activite={pv}" in d.current_url)
        _to_month(driver, "Décembre 2026")
        for label in (
            "Réserver le lundi 21 décembre",
            "Réserver le lundi 28 décembre",
            "Réserver le mercredi 23 décembre",
        ):
            button = WebDriverWait(driver, 15).until(
                lambda d, label=label: d.find_element(By.XPATH, f"//button[contains(., '{label}')]")
            )
            _go(driver, button)  # the page comes back with the day orange
        page = driver.page_source
        assert page.count("à réserver") >= 3 and "(attente)" in page  # the full day: a waitlist request
        problems["reserver"] = _axe(driver)
        driver.save_screenshot(str(SHOTS / "portail-calendrier-1366.png"))
        _go(driver, driver.find_element(By.LINK_TEXT, "Valider"))
        _shows(driver, "Liste d'attente rang 1")
        problems["recapitulatif"] = _axe(driver)
        driver.save_screenshot(str(SHOTS / "portail-recapitulatif-1366.png"))
        _go(driver, driver.find_element(By.XPATH, "//button[text()='Confirmer']"))
        result = _shows(driver, "Lisez bien le résultat")
        assert result.count("Acceptée") == 2 and "En liste d'attente rang 1" in result
        problems["resultat"] = _axe(driver)
        driver.set_window_size(390, 844)
        driver.save_screenshot(str(SHOTS / "portail-resultat-390.png"))
        driver.set_window_size(1366, 768)
        _go(driver, driver.find_element(By.LINK_TEXT, "Mes réservations"))
        _shows(driver, "Non transmise")
        problems["reservations"] = _axe(driver)
        driver.find_element(By.PARTIAL_LINK_TEXT, "Imprimer").click()  # a download: the page stays
        for _ in range(100):
            pdfs = [p for p in downloads.glob("*.pdf") if p.stat().st_size > 0]
            if pdfs:
                break
            time.sleep(0.1)
        assert pdfs, "the sheet was not downloaded"
        assert "Fiche de réservations" in PdfReader(str(pdfs[0])).pages[0].extract_text()
        _go(driver, driver.find_element(By.LINK_TEXT, "Mon compte"))
        _shows(driver, "Vos coordonnées")
        problems["compte"] = _axe(driver)
        _go(driver, driver.find_element(By.XPATH, "//button[text()='Se déconnecter']"))
        driver.get(f"{portal_url}/mot-de-passe-oublie")
        problems["oublie"] = _axe(driver)
    finally:
        driver.quit()
    phone = _driver(downloads, 390, 844)
    try:
        _log_in(phone, portal_url, login)
        phone.get(f"{portal_url}/reserver?activite={pv}&mois=2026-12")
        _shows(phone, "Décembre 2026")
        width = phone.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
        problems["reserver-390"] = _axe(phone)
        phone.execute_script("document.getElementById('calendrier').scrollIntoView()")
        phone.save_screenshot(str(SHOTS / "portail-calendrier-390.png"))
    finally:
        phone.quit()
    found = {page: issues for page, issues in problems.items() if issues}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(Reservation.status)
            .join(Reservation.child)
            .where(Reservation.agent_id.is_(None), Reservation.activity_day_id.is_not(None))
        ).all()
    assert sorted(r.value for r in rows).count("waitlisted") >= 1
    if os.environ.get("GUICHET_PORTAL_SHOTS_TO_DOCS") == "1":  # README's pictures: make them on purpose
        for name in ("portail-calendrier-390.png", "portail-recapitulatif-1366.png"):
            shutil.copy(SHOTS / name, ROOT / "docs" / name)


def test_a_demo_family_pays_50_euros_by_card_on_payfip_then_books_in_chromium(backend, demo_rw, tmp_path):
    """Issue 26: « Soldes et paiements » → « Payer par carte » → the PayFiP double's page filled in → back on the
    portal with the payment in the balance and the history → a day booked with that money."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from app.models import OnlinePayment, OnlinePaymentStatus
    from app.services.money.online import PaymentSettingsInput, save_payment_settings
    from tests.helpers import balance, structure_of
    from tests.payfip_double import PayFiPDouble

    if backend != "sqlite":
        pytest.skip("the browser test runs once, on the SQLite suite")
    _browser_or_skip()
    db = demo_rw
    db.clock.set(NOW)
    alsh = structure_of(db, "CLSH-PV")
    save_payment_settings(
        db,
        actor(db, Role.ADMIN),
        alsh,
        PaymentSettingsInput("payfip_ws", {"numcli": "123456", "saisie": "T"}, True),
    )
    with db.reading() as uow:
        s = uow.session
        money = (
            select(func.coalesce(func.sum(Wallet.balance_cents), 0))
            .where(Wallet.family_id == Family.id)
            .scalar_subquery()
        )
        family = s.scalars(
            select(Family).where(Family.portal_login.is_not(None), Family.email.is_not(None)).order_by(money)
        ).first()
        login, family_id, child = family.portal_login, family.id, family.children[0].first_name
    before = balance(db, family_id)
    pv = activity_id(db, "CLSH-PV")
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[dict]] = {}
    with (
        PayFiPDouble() as double,
        portal_server(
            db.engine.url.render_as_string(hide_password=False), NOW, payfip_double=double.url
        ) as portal_url,
    ):
        driver = _driver(tmp_path, 1366, 768)
        try:
            _log_in(driver, portal_url, login)
            _go(driver, driver.find_element(By.LINK_TEXT, "Soldes et paiements"))
            _shows(driver, "Payer par carte")
            problems["soldes"] = _axe(driver)
            form = driver.find_element(By.XPATH, "//form[.//legend[contains(., 'Porte-monnaie ALSH')]]")
            amount = form.find_element(By.NAME, "montant")
            amount.clear()
            amount.send_keys("50,00")
            _go(driver, form.find_element(By.XPATH, ".//button[text()='Payer par carte']"))
            WebDriverWait(driver, 15).until(lambda d: d.current_url.startswith(double.url))
            assert driver.find_element(By.ID, "montant").text == "50,00 €"
            driver.find_element(By.ID, "carte").send_keys("4970 1000 0000 0000")
            driver.find_element(By.ID, "expiration").send_keys("12/29")
            driver.find_element(By.ID, "cryptogramme").send_keys("123")
            _go(driver, driver.find_element(By.ID, "valider"))
            paid = _shows(driver, "Paiement accepté")
            assert "50,00 € crédités sur votre porte-monnaie ALSH (ALSH Montech)" in paid
            problems["paiement"] = _axe(driver)
            driver.save_screenshot(str(SHOTS / "portail-paiement-1366.png"))
            _go(driver, driver.find_element(By.LINK_TEXT, "Soldes et paiements"))
            history = _shows(driver, "Vos paiements en ligne")
            assert "Payé · reçu 2026-" in history and "Paiement en ligne 2026-" in history
            driver.set_window_size(390, 844)
            driver.save_screenshot(str(SHOTS / "portail-soldes-390.png"))
            driver.set_window_size(1366, 768)
            _go(driver, driver.find_element(By.LINK_TEXT, "Réserver"))
            Select(driver.find_element(By.ID, "enfant")).select_by_visible_text(child)
            Select(driver.find_element(By.ID, "structure")).select_by_visible_text("ALSH Montech")
            Select(driver.find_element(By.ID, "activite")).select_by_value(str(pv))
            _go(driver, driver.find_element(By.XPATH, "//button[text()='Afficher']"))
            WebDriverWait(driver, 15).until(lambda d: f"activite={pv}" in d.current_url)
            _to_month(driver, "Décembre 2026")
            free = "//button[contains(., 'Réserver le') and not(contains(., 'complet'))]"
            _go(driver, driver.find_element(By.XPATH, free))  # the month's first day with a place
            _go(driver, driver.find_element(By.LINK_TEXT, "Valider"))
            _shows(driver, "Récapitulatif")
            _go(driver, driver.find_element(By.XPATH, "//button[text()='Confirmer']"))
            assert "Acceptée" in _shows(driver, "Lisez bien le résultat")
        finally:
            driver.quit()
        notified = [n.status for n in double.notifications]
    assert notified == [200]  # PayFiP's notification reached the portal (server to server)
    with db.reading() as uow:
        state = uow.session.scalar(select(OnlinePayment.status))
        booked = uow.session.scalar(
            select(Reservation.price_cents)
            .where(  # the day booked online, with its aids
                Reservation.agent_id.is_(None), Reservation.status == ReservationStatus.ACCEPTED
            )
            .order_by(Reservation.id.desc())
            .limit(1)
        )
    assert state is OnlinePaymentStatus.PAID and balance(db, family_id) == before + 5_000 - booked
    found = {page: issues for page, issues in problems.items() if issues}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


# --- the portal as families find it -------------------------------------------------------------------------

DESKTOP, PHONE = (1280, 800), (375, 812)


def _ax(driver) -> list[dict]:
    """The page's accessibility tree as Chromium gives it to screen readers (CDP), without the ignored nodes."""
    nodes = driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    return [n for n in nodes if not n.get("ignored")]


def _role(node: dict) -> str:
    return str(node.get("role", {}).get("value", ""))


def _name(node: dict) -> str:
    return str(node.get("name", {}).get("value", ""))


CUT_JS = """
const cut = [];
const shown = el => el.getClientRects().length > 0 && !el.closest('.sr-only');
for (const el of document.querySelectorAll(
    'header p, header span, header button, nav a, main h1, main h2, main h3, main caption, main label, main td, '
    + 'main th, main p, main li, main .button, main button, main .day span')) {
  if (!shown(el) || getComputedStyle(el).display === 'inline') continue;
  if (el.scrollWidth > el.clientWidth + 1) cut.push(el.tagName + ': ' + el.textContent.trim().slice(0, 50));
}
const ctx = document.createElement('canvas').getContext('2d');
for (const s of document.querySelectorAll('main select')) {
  if (!shown(s)) continue;
  const cs = getComputedStyle(s);
  ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
  const t = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
  const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;  // its arrow
  if (ctx.measureText(t).width > room) cut.push('SELECT: ' + t);
}
return cut;
"""


def _cut(driver) -> list[str]:
    """Words a person cannot read whole on the page: a box narrower than its text, a select narrower than the
    option shown."""
    return list(driver.execute_script(CUT_JS))


def _key_family(db) -> tuple[str, int]:
    """A demonstration family with a portal identifier, enough on its ALAE wallet for three Wednesdays, whose first
    child (the one the Réserver page opens on) has no Wednesday booked in December 2026; its login, that child."""
    from app.models import Activity, ActivityDay, WalletKind
    from app.services.families.view import family_summary

    with db.reading() as uow:
        s = uow.session
        candidates = s.execute(
            select(Family.id, Family.portal_login)
            .join(Wallet)
            .where(
                Family.portal_login.is_not(None),
                Wallet.kind == WalletKind.ALAE,
                Wallet.balance_cents >= 3_000,
            )
            .order_by(Family.id)
        ).all()
    for family_id, login in candidates:
        child = family_summary(db, family_id).children[0].id
        with db.reading() as uow:
            booked = uow.session.scalar(
                select(func.count())
                .select_from(Reservation)
                .join(ActivityDay)
                .join(Activity)
                .where(
                    Reservation.child_id == child,
                    Activity.code == "ALAE-MER",
                    ActivityDay.day.between(date(2026, 12, 1), date(2026, 12, 31)),
                )
            )
        if not booked:
            return login, child
    raise AssertionError("no demonstration family fits")


def accepted(db, child: int) -> int:
    with db.reading() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(Reservation)
            .where(Reservation.child_id == child, Reservation.status == ReservationStatus.ACCEPTED)
        )


KEY_NAMES = {
    "\ue004": "Tab",
    "\ue007": "Enter",
    "\ue00d": "Space",
    "\ue015": "Down",
    "\ue014": "Right",
    "\ue00f": "PageDown",
}


def test_a_family_books_three_days_and_confirms_with_the_keyboard_alone_in_25_keys(
    portal_url, demo_rw, tmp_path
):
    """Issue 30: the calendar is one tab stop, the arrows move between its days, Enter books without reloading
    the page (the focus stays on the day) and the next Tab reaches « Valider »; every key press is counted, from
    the home page to the outcomes."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    login, child = _key_family(demo_rw)
    before = accepted(demo_rw, child)
    driver = _driver(tmp_path, *DESKTOP)
    pressed: list[str] = []

    def press(key: str) -> None:
        ActionChains(driver).send_keys(key).perform()  # to the element that has the focus, as a person types
        pressed.append(key)

    def active() -> dict:
        return driver.execute_script(
            "const a = document.activeElement; return {tag: a.tagName, text: (a.innerText || '').trim(),"
            " href: a.getAttribute('href') || '', jour: a.closest('[data-jour]') ?"
            " a.closest('[data-jour]').dataset.jour : ''};"
        )

    def tab_to(wanted, limit: int = 30) -> None:
        for _ in range(limit):
            if wanted(active()):
                return
            press(Keys.TAB)
        raise AssertionError(f"never reached with Tab (last: {active()})")

    def shown_month() -> str:  # read in one go: the calendar may be replaced meanwhile
        return str(driver.execute_script("return document.getElementById('mois').textContent"))

    def loaded(path: str) -> None:
        WebDriverWait(driver, 15).until(lambda d: d.current_url.split("#")[0].split("?")[0].endswith(path))
        WebDriverWait(driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    try:
        _log_in(driver, portal_url, login)
        driver.get(f"{portal_url}/")  # the home page as it opens: nothing has the focus
        tab_to(lambda a: a["text"] == "Réserver" and a["tag"] == "A")
        press(Keys.ENTER)
        loaded("/reserver")
        driver.execute_script("window.sameDocument = true")  # gone if a page is loaded
        tab_to(lambda a: a["text"] == "Aller au calendrier")
        press(Keys.ENTER)
        tab_to(lambda a: bool(a["jour"]), limit=3)
        booked = 0
        while booked < 3:  # the next day to book of the month, else PageDown: the next month
            free = driver.execute_script(
                "return [...document.querySelectorAll('#grille button.day')].filter(b =>"
                " b.textContent.includes('Réserver le')).map(b => b.closest('td').dataset.jour);"
            )
            here = active()["jour"]
            later = [d for d in free if d >= here]
            if not later:
                month = shown_month()
                press(Keys.PAGE_DOWN)
                WebDriverWait(driver, 15).until(lambda d, month=month: shown_month() != month)
                WebDriverWait(driver, 15).until(lambda d: bool(active()["jour"]))
                continue
            target = later[0]
            for _ in range(25):
                here = active()["jour"]
                if here == target:
                    break
                same_day = date.fromisoformat(here).weekday() == date.fromisoformat(target).weekday()
                press(Keys.ARROW_DOWN if same_day else Keys.ARROW_RIGHT)
            assert active()["jour"] == target
            booked += 1
            press(Keys.SPACE if booked == 2 else Keys.ENTER)
            WebDriverWait(driver, 15).until(
                lambda d, n=booked: d.find_element(By.ID, "nb-demandes").text.startswith(f"{n} demande")
            )
            WebDriverWait(driver, 15).until(lambda d, target=target: active()["jour"] == target)
            assert "à réserver" in active()["text"]
        assert driver.execute_script("return window.sameDocument === true")  # no page was loaded for the days
        press(Keys.TAB)
        assert active()["text"] == "Valider"
        press(Keys.ENTER)
        loaded("/recapitulatif")
        if active()["text"] != "Confirmer":
            tab_to(lambda a: a["text"] == "Aller au contenu")
            press(Keys.ENTER)
            tab_to(lambda a: a["text"] == "Confirmer")
        press(Keys.ENTER)
        loaded("/resultat")
        assert _shows(driver, "Lisez bien le résultat").count("Acceptée") == 3
    finally:
        driver.quit()
    print(f"{len(pressed)} keys:", " ".join(KEY_NAMES.get(k, k) for k in pressed))
    assert len(pressed) <= 25, f"{len(pressed)} keys: {pressed}"
    assert accepted(demo_rw, child) == before + 3


def test_on_a_phone_the_calendar_keeps_its_places_and_the_tables_their_column_headings(
    portal_url, demo_rw, tmp_path
):
    """Issue 30, at 375×812: what a screen reader is given (Chromium's accessibility tree): the places left and
    the waitlists of the calendar, the column headings of the tables shown as cards."""
    from selenium.webdriver.common.by import By

    login, _child = _demo_family(demo_rw)
    pv = activity_id(demo_rw, "CLSH-PV")
    driver = _driver(tmp_path, *PHONE)
    try:
        _log_in(driver, portal_url, login)
        driver.get(f"{portal_url}/reserver?activite={pv}&mois=2026-12")
        _shows(driver, "Décembre 2026")
        calendar = " | ".join(_name(n) for n in _ax(driver))
        assert len(re.findall(r"\b\d+ places?\b", calendar)) >= 5, calendar
        assert re.search(r"\b\d+ en attente\b", calendar), calendar
        seen = driver.execute_script(
            "return [...document.querySelectorAll('.day .p')].filter(p => p.textContent.trim())"
            ".every(p => p.getBoundingClientRect().height > 0)"
        )
        assert seen  # shown to everyone, not only to screen readers
        for label in ("Réserver le lundi 21 décembre", "Réserver le mardi 22 décembre"):
            _go(driver, driver.find_element(By.XPATH, f"//button[contains(., '{label}')]"))
        for path in ("/recapitulatif", "/reservations", "/soldes"):
            driver.get(f"{portal_url}{path}")
            wanted = len(driver.find_elements(By.CSS_SELECTOR, "table.table thead th"))
            headings = [_name(n) for n in _ax(driver) if _role(n) == "columnheader"]
            assert wanted and len(headings) == wanted, (path, headings)
            labels = driver.execute_script(
                "return [...document.querySelectorAll('table.table tbody td[data-label]')].map("
                "td => getComputedStyle(td, '::before').content)"
            )
            assert labels and all(x not in ("none", "normal", '""') for x in labels), (path, labels)
    finally:
        driver.quit()


PAGES = [
    "/connexion",
    "/mot-de-passe-oublie",
    "/",
    "/soldes",
    "/reserver",
    "/recapitulatif",
    "/reservations",
    "/attestations",
    "/compte",
    "/mot-de-passe",
    "/licence",
    "/reserver?enfant=999999",
]


def test_every_page_at_1280_and_375_passes_axe_and_cuts_nothing(portal_url, demo_rw, tmp_path):
    """Issue 30: every page at 1280×800 and 375×812 (axe-core: no serious or critical WCAG 2.1 AA violation; no
    text cut; no sideways scrolling on the phone), with a screenshot of each (``GUICHET_PORTAL_SHOTS``)."""
    from selenium.webdriver.common.by import By

    login, child = _demo_family(demo_rw)
    pv = activity_id(demo_rw, "CLSH-PV")
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, object] = {}
    driver = _driver(tmp_path, *DESKTOP)

    def look(name: str) -> None:
        for width, height in (DESKTOP, PHONE):
            driver.set_window_size(width, height)
            key = f"{name} {width}"
            if found := _axe(driver):
                problems[f"axe {key}"] = found
            if cut := _cut(driver):
                problems[f"cut {key}"] = cut
            wide = driver.execute_script("return document.documentElement.scrollWidth")
            if wide > width:
                problems[f"scroll {key}"] = wide
            driver.save_screenshot(
                str(SHOTS / f"issue30-{name.strip('/').replace('/', '-') or 'accueil'}-{width}.png")
            )
            if name in ("/reserver", "/recapitulatif", "/reservations", "/soldes"):
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(height + 120, 4000))
                driver.save_screenshot(str(SHOTS / f"issue30-{name.strip('/')}-{width}-entier.png"))
        driver.set_window_size(*DESKTOP)

    try:
        for path in PAGES[:2]:
            driver.get(f"{portal_url}{path}")
            look(path)
        _log_in(driver, portal_url, login)
        for label in ("Réserver le lundi 21 décembre", "Réserver le mardi 22 décembre"):
            driver.get(f"{portal_url}/reserver?activite={pv}&mois=2026-12")
            _go(driver, driver.find_element(By.XPATH, f"//button[contains(., '{label}')]"))
        for path in PAGES[2:]:
            driver.get(f"{portal_url}{path}")
            if path == "/reserver":
                driver.get(f"{portal_url}/reserver?activite={pv}&mois=2026-12")
            look(path if "?" not in path else "/erreur")
        driver.get(f"{portal_url}/compte")  # the first child's health file, reached from « Mon compte »
        driver.get(driver.find_element(By.CSS_SELECTOR, "a[href*='/compte/enfant/']").get_attribute("href"))
        _shows(driver, "Contacts en cas d'urgence")
        look("/compte/enfant")
        driver.get(f"{portal_url}/recapitulatif")
        _go(driver, driver.find_element(By.XPATH, "//button[text()='Confirmer']"))
        _shows(driver, "Lisez bien le résultat")
        look("/resultat")
    finally:
        driver.quit()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert child
