"""The Qt application of the counter: its locale, Qt's own French words, style and icon, the crash handler, and the
offscreen platform.

Light on purpose: the login window is shown before anything heavy is imported (``startup``), and the first start,
the self-test and the screenshots prepare the same application (``application``, ``screenshots``)."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from ... import APP_NAME, __version__
from ...config import resources_dir

if TYPE_CHECKING:
    from PySide6.QtCore import QMessageLogContext, QtMsgType

log = logging.getLogger(__name__)

QT_CATALOG = "qtbase_fr"
"""Qt's own words in French: the standard buttons (« Annuler », « Oui »…), the file and print dialogs, the context
menus of the text fields. The packaged program keeps this file (``build.spec``, ``QT_TRANSLATIONS_KEPT``)."""
_translators: list[QTranslator] = []
"""The installed translator: Qt keeps no reference of its own, a collected one would take its words away."""
TRANSLATED = "guichetQtTranslation"
"""The application's property once its translator is installed (a test may make a new application)."""


def install_qt_translation(app: QApplication) -> bool:
    """Load Qt's French catalog from Qt's translations folder (``QLibraryInfo``: beside the libraries, in the
    PySide6 package as in the PyInstaller bundle) into ``app``, once. False (logged) when it cannot be read: Qt's
    buttons then stay in English, nothing else changes."""
    if app.property(TRANSLATED):
        return True
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator()
    if not translator.load(QT_CATALOG, folder) or not app.installTranslator(translator):
        log.warning("Qt's French translations not loaded (%s in %s)", QT_CATALOG, folder)
        return False
    _translators[:] = [translator]  # an earlier application's, if any, is let go
    app.setProperty(TRANSLATED, True)
    return True


def prepare_application() -> QApplication:
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    # high-DPI screens: exact scale factors (125 %, 150 %…). Said through Qt's environment variable: PySide6 builds
    # its ``Qt`` namespace on first use, 15 ms before the login window could be shown.
    os.environ.setdefault("QT_SCALE_FACTOR_ROUNDING_POLICY", "PassThrough")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication), "a widgets application"
    install_qt_translation(app)
    style = resources_dir() / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    return app


def install_crash_handler() -> None:
    """Every unexpected error is logged to the rotating file and shown (non-blocking) in French."""
    from PySide6.QtWidgets import QMessageBox

    from ...logging_setup import install_excepthook, setup_logging

    path = setup_logging()
    for handler in logging.getLogger().handlers:  # the console shows warnings only; the file gets INFO too
        if type(handler) is logging.StreamHandler and handler.level == logging.NOTSET:
            handler.setLevel(logging.WARNING)

    def show(text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Guichet Enfance – erreur", text)
        box.open()  # non-blocking: the counter keeps working

    install_excepthook(path, show)


def headless() -> bool:
    """Nobody sees the windows (``QT_QPA_PLATFORM=offscreen``): a failure ends the start, as on the command line."""
    return QGuiApplication.platformName() in ("offscreen", "minimal")


OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"
"""What Qt's offscreen platform says of every window shown: not a word for whoever reads the standard error."""


def quiet_offscreen(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    from PySide6.QtCore import qFormatLogMessage

    if message != OFFSCREEN_NOISE:
        sys.stderr.write(qFormatLogMessage(mode, context, message) + "\n")
