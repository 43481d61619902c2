"""``python -m app screenshots OUTDIR``: the main screens rendered offscreen on demo data, as PNG files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ...services.booking.month_view import DayState, month_views
from ...services.counter import activities_for, default_session
from ...services.families.search import find_families
from ...services.families.view import family_summary
from ...services.uow import Database
from .main_window import MainWindow
from .qt_app import prepare_application


def _settle(ms: int = 120) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QCoreApplication.processEvents()


def _save(widget: QWidget, path: Path, saved: list[Path]) -> None:
    _settle()
    widget.grab().save(str(path))
    saved.append(path)


def pick_example(
    db: Database, year: int, month: int
) -> tuple[int, int, list[int], int, date, date, date | None] | None:
    """A family of several children (else one) at a holiday centre, with a cancellable booked day, a free day
    and, when the month has one, a full day whose waitlist takes requests: (structure, family, children,
    activity, booked day of the first child, free day, full day)."""
    session = default_session(db)
    found = []
    for structure in reversed(session.structures):  # the holiday centre first: its calendar says more
        for activity in sorted(activities_for(db, [structure.id]), key=lambda a: not a.waitlist_enabled):
            for row in find_families(db):
                if row.balance_cents < 2600:
                    continue
                children = [c.id for c in family_summary(db, row.id).children]
                if not children:
                    continue
                views = month_views(db, row.id, children, activity.id, year, month)
                first = views[0]
                booked = [c.day for c in first.cells if c.state is DayState.BOOKED and c.can_remove]
                free = [
                    c.day
                    for c in first.cells
                    if c.state is DayState.FREE and c.places_left and c.places_left > 4
                ]
                full = [c.day for c in first.cells if c.state is DayState.FULL and c.can_book]
                if booked and free:
                    found.append(
                        (
                            (len(children) > 1, bool(full)),
                            (
                                structure.id,
                                row.id,
                                children,
                                activity.id,
                                booked[0],
                                free[0],
                                full[0] if full else None,
                            ),
                        )
                    )
                    if len(children) > 1 and full:
                        return found[-1][1]
    return max(found, key=lambda f: f[0])[1] if found else None


def take_screenshots(
    db: Database, outdir: Path, year: int, month: int, size: tuple[int, int] = (1366, 768)
) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    prepare_application()
    saved: list[Path] = []
    window = MainWindow(db)
    window.ops.show_messages = False
    window.ops.asynchronous = False
    window.resize(*size)
    window.show()
    example = pick_example(db, year, month)
    if example is None:
        window.close()
        raise LookupError(f"no demo family fits the screenshots in {month:02d}/{year}")
    structure_id, family_id, children, activity_id, booked, free, full = example
    name = next(r.name for r in find_families(db) if r.id == family_id)

    window.families.search.setText(name[:4].lower())
    window.refresh_families(name[:4].lower())
    _save(window, outdir / "1-recherche-famille.png", saved)

    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findData(structure_id))
    window.open_family(family_id)
    booking = window.page.booking
    booking.set_checked(children)  # every child of the family in one calendar
    booking.activity.setCurrentIndex(booking.activity.findData(activity_id))
    booking.show_month(year, month)
    _save(window, outdir / "2-page-famille.png", saved)

    booking.set_checked(children[:1])
    booking.toggle(booked)  # the first child's booked day, to remove (green)
    booking.set_checked(children)
    assert booking.views, "the month is shown"
    week = free - timedelta(days=free.weekday())
    booking.mark_range(week, week + timedelta(days=4))  # a week's open days for every child (orange)
    if full is not None and not any((child, full) in booking.grid.pending for child in children):
        booking.toggle(full)  # a full day: the waitlist takes it
    _save(window, outdir / "3-calendrier-orange-vert.png", saved)

    window.open_recap()
    dialog = window.recap_dialog
    assert dialog is not None, "the basket is not empty"
    _save(dialog, outdir / "4-recapitulatif.png", saved)
    if dialog.recap.missing_cents:  # the family pays what is missing, from the recap
        dialog.pay.click()
        payment_dialog = window.page.balances.dialog
        assert payment_dialog is not None, "Encaisser opens the payment dialog"
        payment_dialog._try_save()
        _settle()
    dialog.confirm.click()
    _save(dialog, outdir / "5-resultats.png", saved)
    dialog.accept()
    window.page.tabs.setCurrentIndex(1)
    _save(window, outdir / "6-reservations.png", saved)
    window.page.tabs.setCurrentIndex(3)
    _save(window, outdir / "7-famille.png", saved)
    window.page.tabs.setCurrentWidget(window.page.balances)
    _save(window, outdir / "8-soldes-et-paiements.png", saved)
    payment = window.page.balances.open_payment("20,00", missing_cents=2000)
    assert payment is not None, "a family is shown at a structure"
    _save(payment, outdir / "9-encaisser.png", saved)
    payment.reject()
    closing = window.open_closing()
    _save(closing, outdir / "10-cloture.png", saved)
    closing.reject()
    window.close()
    QApplication.processEvents()
    return saved
