"""Starting the Qt application (one QApplication per process)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLocale, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import APP_NAME, __version__
from ..config import resources_dir
from ..services.uow import Database


def prepare_application() -> QApplication:
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    return app


def run(db: Database, *, selftest: bool = False, screenshot: str | None = None) -> int:
    from .main_window import MainWindow

    app = prepare_application()
    window = MainWindow(db)
    window.show()
    if selftest:

        def finish() -> None:
            if screenshot:
                window.grab().save(screenshot)
            n = window.families.model.rowCount()
            print(f"OK : fenêtre principale affichée, {n} familles.")
            app.quit()

        QTimer.singleShot(0, finish)  # as soon as the event loop runs: the window is shown
    return app.exec()
