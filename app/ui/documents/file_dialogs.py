"""The file dialogs: they open in the folder the agent last used, else in « Documents » — never in the program's
working folder (on Windows, the installation folder, which the agent cannot write to or would not find again)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from ...settings import Settings

LAST_FOLDER = "files/folder"


def documents_folder() -> Path:
    """The user's « Documents » (the home folder when the system has none)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder else Path.home()


def start_folder(settings: Settings | None = None) -> Path:
    """The folder a file was last saved to or opened from, when it still exists; else « Documents »."""
    remembered = (settings or Settings()).get(LAST_FOLDER)
    if remembered and Path(remembered).is_dir():
        return Path(remembered)
    return documents_folder()


def _remember(path: str, settings: Settings | None) -> Path:
    chosen = Path(path)
    (settings or Settings()).set(LAST_FOLDER, str(chosen.parent))
    return chosen


def ask_save_path(
    parent: QWidget | None, title: str, filename: str, file_filter: str, settings: Settings | None = None
) -> Path | None:
    """« Enregistrer sous » proposing ``filename`` in ``start_folder``; None when the agent cancels."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder(settings) / filename), file_filter)
    return _remember(path, settings) if path else None


def ask_open_path(
    parent: QWidget | None, title: str, file_filter: str, current: str = "", settings: Settings | None = None
) -> Path | None:
    """« Ouvrir » in the folder of ``current`` (a path already typed) or ``start_folder``; None when cancelled."""
    folder = (
        Path(current).parent if current.strip() and Path(current).parent.is_dir() else start_folder(settings)
    )
    path, _ = QFileDialog.getOpenFileName(parent, title, str(folder), file_filter)
    return _remember(path, settings) if path else None
