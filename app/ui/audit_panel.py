"""The audit journal: every write, by agent, family and dates (read only)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..clock import PARIS, local_today
from ..services.bounds import MAX_ID, Text
from ..services.setup import views as admin_views
from .context import CounterContext
from .table_model import Column, RowsModel
from .widgets import NameCombo, date_edit, date_of, digits, table_view


class AuditPanel(QWidget):
    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.agent = NameCombo(24)
        self.agent.addItem("tous les agents", None)
        for agent_id, name in self.ctx.ops.run(lambda: admin_views.agents(self.ctx.db), default=[]):
            self.agent.addItem(name, agent_id)
        self.family = digits(QLineEdit(), Text(max_len=len(str(MAX_ID))))  # a family's number
        self.family.setPlaceholderText("n° de famille (facultatif)")
        today = local_today(self.ctx.db.clock)
        self.since, self.until = date_edit(today.replace(day=1)), date_edit(today)
        self.rows = RowsModel([
            Column("Date", lambda r: f"{r.at.astimezone(PARIS):%d/%m/%Y %H:%M}"), Column("Agent", lambda r: r.agent),
            Column("Action", lambda r: r.action), Column("Objet", lambda r: r.entity), Column("Famille", lambda r: r.family),
            Column("Motif", lambda r: r.reason), Column("Détail", lambda r: r.details)])  # fmt: skip
        search = QPushButton("Afficher")
        filters = QHBoxLayout()
        for w in (QLabel("Agent"), self.agent, QLabel("Famille"), self.family, QLabel("du"),
                  self.since, QLabel("au"), self.until, search):  # fmt: skip
            filters.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(table_view(self.rows))
        search.clicked.connect(self.load)
        self.load()

    def load(self) -> None:
        family = self.family.text().strip()
        rows = self.ctx.ops.run(lambda: admin_views.audit_view(
            self.ctx.db, family_id=int(family) if family.isascii() and family.isdigit() else None, agent_id=self.agent.currentData(),
            start=date_of(self.since), end=date_of(self.until)), default=[])  # fmt: skip
        self.rows.set_rows(rows)
