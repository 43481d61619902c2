"""The family list: a search box that filters as the agent types, and a table of plain rows."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...services.families.search import SEARCH_LIMIT, FamilyRow, find_families
from ...text import count, format_eur
from ..table_model import Column, RowsModel
from ..widgets import bound, keyed, table_view

DEBIT = QColor("#b00020")
LOADING = "Chargement des familles…"
NOT_LOADED = "Liste des familles non chargée.\nTapez une recherche pour réessayer."


def family_columns() -> list[Column]:
    return [
        Column(
            "Famille",
            lambda r: f"{r.name} {r.main_adult}".strip() + (f" · n° {r.reference}" if r.reference else ""),
            tooltip=lambda r: "\n".join(x for x in (r.adults, r.phone, r.email) if x),
        ),
        Column("Responsables", lambda r: r.adults),
        Column("Enfants", lambda r: r.children),
        Column("Téléphone", lambda r: r.phone),
        Column("E-mail", lambda r: r.email),
        Column(
            "Solde",
            lambda r: format_eur(r.balance_cents),
            right=True,
            colour=lambda r: DEBIT if r.balance_cents < 0 else None,
            tooltip=lambda r: "Compte débiteur" if r.balance_cents < 0 else "",
        ),
    ]


class FamilyList(QWidget):
    """Search box + table. Emits ``search_changed`` (debounced), ``family_activated`` and ``new_family_requested``.

    Keyboard: type in the box, Up/Down move in the list, Enter opens the selected family.
    """

    search_changed = Signal(str)
    family_activated = Signal(int)
    new_family_requested = Signal()

    def __init__(self, compact: bool = False) -> None:
        super().__init__()
        self.search = bound(QLineEdit(), find_families, "query")
        self.search.setPlaceholderText("Nom, enfant, téléphone, e-mail…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Rechercher une famille")
        self.model = RowsModel(family_columns())
        self.table = table_view(self.model, stretch=2)  # long names cut with « … », whole in their tooltip
        if compact:
            for column in (1, 3, 4):
                self.table.setColumnHidden(column, True)
        self.count = QLabel()
        self.count.setWordWrap(True)  # « 60 premières familles : précisez… » keeps the window in the screen
        self.notice = QLabel()
        """In the table's place while the list is read (« Chargement des familles… ») or could not be."""
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color:#607d8b; font-size:11pt;")
        self.body = QStackedWidget()
        self.body.addWidget(self.table)
        self.body.addWidget(self.notice)
        self.new_family = keyed(QPushButton("+ &Nouvelle famille"), "Créer une famille")
        label = QLabel("Rec&hercher")
        label.setToolTip("Rechercher une famille (Alt+H, Ctrl+F ou F3) ; ↑/↓ puis Entrée pour l'ouvrir")
        label.setBuddy(self.search)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(label)
        layout.addWidget(self.search)
        layout.addWidget(self.body, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.new_family)
        layout.addLayout(bottom)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text()))
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._activate_current)
        self.search.installEventFilter(self)
        self.table.clicked.connect(lambda index: self.family_activated.emit(self.model.rows[index.row()].id))
        self.table.installEventFilter(self)  # Entrée on the list opens the family highlighted
        self.new_family.clicked.connect(self.new_family_requested)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search
            and isinstance(event, QFocusEvent)
            and event.type() == QEvent.Type.FocusIn
            and event.reason() == Qt.FocusReason.MouseFocusReason
        ):  # a click selects the last search: typing replaces it (once Qt has placed the cursor)
            QTimer.singleShot(0, self.search.selectAll)
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._activate_current()
            return True
        if watched is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rows:
                row = self.table.currentIndex().row()
                row = max(0, min(len(self.model.rows) - 1, row + (1 if key == Qt.Key.Key_Down else -1)))
                self.table.selectRow(row)
                return True
        return super().eventFilter(watched, event)

    def set_loading(self) -> None:
        """The list is being read (on a worker thread): « Chargement des familles… » in its place meanwhile; the
        search box stays usable."""
        self._say(LOADING)

    def set_not_loaded(self) -> None:
        """The reading failed (the reason is said in a message): said in the list's place until the next search."""
        self._say(NOT_LOADED)

    def _say(self, text: str) -> None:
        self.model.set_rows([])
        self.count.clear()
        self.notice.setText(text)
        self.body.setCurrentWidget(self.notice)

    @property
    def said(self) -> str:
        """What is said in the list's place (empty while the list shows)."""
        return self.notice.text() if self.body.currentWidget() is self.notice else ""

    def set_rows(self, rows: list[FamilyRow]) -> None:
        self.body.setCurrentWidget(self.table)
        self.model.set_rows(rows)
        n = len(rows)
        if n >= SEARCH_LIMIT:
            self.count.setText(f"{n} premières familles : précisez la recherche")
        else:
            self.count.setText("Aucune famille trouvée" if n == 0 else count(n, "famille"))
        if rows:
            self.table.selectRow(0)

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()].id if index.isValid() else None

    def select(self, family_id: int) -> None:
        """Highlight that family (the one open), when the list shows it."""
        ids = [r.id for r in self.model.rows]
        if family_id in ids:
            self.table.selectRow(ids.index(family_id))

    def _activate_current(self) -> None:
        """Entrée: the family highlighted, once the list shows what was typed (a search still waiting for its
        pause is run first)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self.search_changed.emit(self.search.text())
        family_id = self.selected_id()
        if family_id is not None:
            self.family_activated.emit(family_id)
