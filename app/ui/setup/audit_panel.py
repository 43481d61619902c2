"""The audit journal: every write, by agent, family and dates (read only), a page at a time, each row's before and
after whole under the table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.bounds import SearchText
from ...services.setup import views as admin_views
from ...text import moment
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import NameCombo, bound, date_edit, date_of, table_view


class AuditPanel(QWidget):
    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.offset = 0
        self.page: admin_views.AuditPage | None = None
        self.agent = NameCombo(24)
        self.agent.addItem("tous les agents", None)
        for agent_id, name in self.ctx.ops.run(lambda: admin_views.agents(self.ctx.db), default=[]):
            self.agent.addItem(name, agent_id)
        self.family = bound(QLineEdit(), SearchText)
        self.family.setPlaceholderText("nom, enfant, téléphone… (facultatif)")
        self.family.setClearButtonEnabled(True)
        today = local_today(self.ctx.db.clock)
        self.since, self.until = date_edit(today.replace(day=1)), date_edit(today)
        self.rows = RowsModel(
            [
                Column("Date", lambda r: moment(r.at, compact=True)),
                Column("Agent", lambda r: r.agent),
                Column("Action", lambda r: r.action),
                Column("Objet", lambda r: r.entity),
                Column("Famille", lambda r: r.family),
                Column("Motif", lambda r: r.reason),
                Column("Après", lambda r: r.details),
            ]
        )
        search = QPushButton("Afficher")
        self.previous, self.next = QPushButton("◀ Précédents"), QPushButton("Suivants ▶")
        self.position = QLabel()
        filters = QHBoxLayout()
        for w in (
            QLabel("Agent"),
            self.agent,
            QLabel("Famille"),
            self.family,
            QLabel("du"),
            self.since,
            QLabel("au"),
            self.until,
            search,
        ):
            filters.addWidget(w)
        paging = QHBoxLayout()
        paging.addWidget(self.position, 1)
        paging.addWidget(self.previous)
        paging.addWidget(self.next)
        self.view = table_view(self.rows)
        self.before, self.after = QPlainTextEdit(), QPlainTextEdit()
        details = QWidget()
        grid = QGridLayout(details)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, (title, edit) in enumerate((("Avant", self.before), ("Après", self.after))):
            edit.setReadOnly(True)
            edit.setPlaceholderText("(rien)")
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
            grid.addWidget(edit, 1, column)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(paging)
        layout.addWidget(split, 1)
        search.clicked.connect(self.load)
        self.family.returnPressed.connect(self.load)
        self.previous.clicked.connect(lambda: self.show_page(self.offset - admin_views.JOURNAL_PAGE))
        self.next.clicked.connect(lambda: self.show_page(self.offset + admin_views.JOURNAL_PAGE))
        selection = self.view.selectionModel()
        assert selection is not None
        selection.currentRowChanged.connect(lambda current, _previous: self.show_row(current.row()))
        self.load()

    def load(self) -> None:
        """The first page for the filters as they are now."""
        self.show_page(0)

    def show_page(self, offset: int) -> None:
        family, agent = self.family.text(), self.agent.currentData()
        since, until = date_of(self.since), date_of(self.until)
        page = self.ctx.ops.run(
            lambda: admin_views.audit_view(
                self.ctx.db, family=family, agent_id=agent, start=since, end=until, offset=max(0, offset)
            )
        )
        if page is None:
            return
        self.page, self.offset = page, page.offset
        self.rows.set_rows(page.rows)
        last = page.offset + len(page.rows)
        self.position.setText(
            f"Lignes {page.offset + 1} à {last} sur {page.total}"
            if page.rows
            else "Aucune ligne pour ces filtres."
        )
        self.previous.setEnabled(page.offset > 0)
        self.next.setEnabled(last < page.total)
        self.show_row(0 if page.rows else -1)
        if page.rows:
            self.view.selectRow(0)

    def show_row(self, row: int) -> None:
        rows = self.rows.rows
        chosen = rows[row] if 0 <= row < len(rows) else None
        self.before.setPlainText(chosen.before if chosen else "")
        self.after.setPlainText(chosen.after if chosen else "")
