"""The GUI: the launch command opens the main window on demo data; the family list filters as one types."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from app.ui.shell.main_window import MainWindow
from tests.test_cli import run_app


def test_first_run_creates_the_default_database_with_demo_data_and_opens_the_window(tmp_path):
    """`python -m app` with no argument: default local database, created with the demo the first time."""
    env = {
        "GUICHET_HOME": str(tmp_path),
        "GUICHET_DB_URL": "",
    }  # data, logs and settings there, on any system
    shot = tmp_path / "main.png"
    result = run_app("gui", "--selftest", "--screenshot", str(shot), env=env)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "40 familles" in result.stdout
    assert list((tmp_path / "data").glob("*.sqlite3"))
    assert shot.stat().st_size > 10_000
    second = run_app("gui", "--selftest", env=env)  # second start: same data, no second demo
    assert second.returncode == 0 and "40 familles" in second.stdout


def test_launch_on_the_demo_database(demo_template):
    result = run_app("gui", "--selftest", "--db", demo_template)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_family_list_filters_accent_and_case_insensitively(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    total = window.families.model.rowCount()
    assert total == 40
    qtbot.keyClicks(window.families.search, "lefevre")
    qtbot.waitUntil(lambda: window.families.model.rowCount() < total, timeout=3000)
    names = [r.name for r in window.families.model.rows]
    assert "DUPONT-LEFÈVRE" in names and "LEFÈVRE" in names
    assert all("LEF" in n for n in names)
    activated = []
    window.families.family_activated.connect(activated.append)
    qtbot.keyClick(window.families.search, Qt.Key.Key_Return)
    assert activated == [window.families.model.rows[0].id]


def test_family_list_shows_debit_balances_in_red(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    model = window.families.model
    debit_rows = [i for i, r in enumerate(model.rows) if r.balance_cents < 0]
    assert debit_rows
    brush = model.data(model.index(debit_rows[0], 5), Qt.ItemDataRole.ForegroundRole)
    assert brush is not None and brush.color().name() == "#b00020"
    assert model.data(model.index(debit_rows[0], 5)).startswith("−")
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_screenshots_command_renders_the_main_screens(tmp_path):
    result = run_app("screenshots", str(tmp_path / "shots"), "--today", "2026-11-26")
    assert result.returncode == 0, result.stderr
    names = sorted((p.name for p in (tmp_path / "shots").glob("*.png")), key=lambda n: int(n.split("-")[0]))
    assert names == [
        "1-recherche-famille.png",
        "2-page-famille.png",
        "3-calendrier-orange-vert.png",
        "4-recapitulatif.png",
        "5-resultats.png",
        "6-reservations.png",
        "7-famille.png",
        "8-soldes-et-paiements.png",
        "9-encaisser.png",
        "10-cloture.png",
    ]
    assert all((tmp_path / "shots" / n).stat().st_size > 15_000 for n in names)


def test_a_family_of_seven_children_keeps_the_window_within_1366_pixels(qtbot, demo_rw):
    """Issue 29: one check box per child on one line made the window 1,410 px wide with an imported family of seven;
    the boxes go four to a line."""
    from tests.helpers import new_family

    names = (
        "Frédéric",
        "Marie-Clémentine",
        "Jean-Baptiste",
        "Anne-Sophie",
        "Pierre-Alexandre",
        "Maximilien",
        "Gwendoline",
    )
    family_id, _ = new_family(demo_rw, "1034", children=names)
    window = MainWindow(demo_rw)
    qtbot.addWidget(window)
    window.show()
    window.open_family(family_id)
    qtbot.wait(20)
    assert len(window.page.booking.child_boxes) == 7
    assert window.minimumSizeHint().width() <= 1366, window.minimumSizeHint()
    window.resize(1366, 768)
    qtbot.wait(20)
    assert window.width() == 1366
