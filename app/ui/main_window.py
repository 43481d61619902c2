"""The main window: for now the family list (the counter screens come with the next issues)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from .. import APP_NAME, __version__
from ..db import describe
from ..services.families import find_families
from ..services.uow import Database
from .family_list import FamilyList
from .operations import Operations


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.ops = Operations(self)
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.families = FamilyList()
        self.setCentralWidget(self.families)
        self.where = QLabel(describe(db.engine.url))
        self.statusBar().addPermanentWidget(self.where)
        self.families.search_changed.connect(self.refresh)
        self.ops.changed.connect(self.refresh)
        self.resize(1280, 720)
        self.refresh()

    def refresh(self, query: str | None = None) -> None:
        text = self.families.search.text() if query is None else query
        rows = self.ops.read(lambda: find_families(self.db, text), [])
        self.families.set_rows(rows)
