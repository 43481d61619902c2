"""The Qt binding the project runs on: checks of PySide6 itself that the application depends on."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox


def test_none_from_qt_is_not_over_released(qtbot, tmp_path):
    """PySide6 6.12.0 released None once more than it took it each time a QVariant came back as None (an item
    without data, a missing setting): after enough calls the interpreter aborted at exit with "none_dealloc".
    pyproject excludes that version; this fails if such a binding is installed again."""
    combo = QComboBox()
    qtbot.addWidget(combo)
    combo.addItem("sans donnée")
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    before = sys.getrefcount(None)
    for _ in range(200):
        assert combo.currentData() is None
        assert combo.itemData(0) is None
        assert settings.value("absent") is None
    assert sys.getrefcount(None) - before > -50
