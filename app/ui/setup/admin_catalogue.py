"""Administration → Aides and Messages: the catalogue of the aids a family may receive (CAF, MSA, an employer's),
and the messages of the current structure shown on the counter's home screen for a time. After a write,
``changed`` asks the window to read every tab again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...models import AidKind
from ...services.setup import catalogue as admin
from ...services.setup import views as admin_views
from ...text import short_date
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import bound, date_edit, date_of, table_view

AID_KINDS = {AidKind.CAF.value: "CAF", AidKind.MSA.value: "MSA", AidKind.EMPLOYER.value: "Employeur (CE)"}


class AidsPanel(QWidget):
    """The aid types of the catalogue; a new one added by its kind and name."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows = RowsModel(
            [Column("Type", lambda r: AID_KINDS.get(r[1], r[1])), Column("Aide", lambda r: r[2])]
        )
        self.kind = QComboBox()
        for kind, label in AID_KINDS.items():
            self.kind.addItem(label, kind)
        self.name = bound(QLineEdit(), admin.create_aid_type, "name")
        self.name.setPlaceholderText("nom de l'aide, ex. CAF – Aide au temps libre")
        add = QPushButton("Ajouter au catalogue")
        row = QHBoxLayout()
        for w in (self.kind, self.name, add):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(table_view(self.rows))
        layout.addLayout(row)
        add.clicked.connect(self.add)
        self.load()

    def load(self) -> None:
        self.rows.set_rows(self.ctx.ops.run(lambda: admin_views.aid_catalogue(self.ctx.db), default=[]))

    def add(self) -> None:
        self.ctx.ops.run(
            lambda: admin.create_aid_type(
                self.ctx.db, self.ctx.actor, AidKind(self.kind.currentData()), self.name.text()
            ),
            lambda _id: self.changed.emit(),
            write=True,
        )


class MessagesPanel(QWidget):
    """The current structure's messages; a new one published with its title, text and dates."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows = RowsModel(
            [
                Column("Titre", lambda m: m[1]),
                Column("Du", lambda m: short_date(m[2])),
                Column("Au", lambda m: short_date(m[3]) if m[3] else "—"),
            ]
        )
        self.title = bound(QLineEdit(), admin.save_message, "title")
        self.body = bound(QPlainTextEdit(), admin.save_message, "body")
        self.body.setMaximumHeight(90)
        today = local_today(self.ctx.db.clock)
        self.start, self.end = date_edit(today), date_edit(today.replace(year=today.year + 1))
        publish = QPushButton("Publier le message")
        dates = QHBoxLayout()
        for w in (self.start, QLabel("au"), self.end):
            dates.addWidget(w)
        dates.addStretch(1)
        dates.addWidget(publish)
        form = QFormLayout()
        form.addRow("Titre", self.title)
        form.addRow("Texte", self.body)
        form.addRow("Affiché du", dates)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Messages de la structure en cours, affichés sur l'écran d'accueil :"))
        layout.addWidget(table_view(self.rows), 1)
        layout.addLayout(form)
        publish.clicked.connect(self.publish)
        self.load()

    def load(self) -> None:
        self.rows.set_rows(
            self.ctx.ops.run(
                lambda: admin_views.messages(self.ctx.db, self.ctx.structure_id or 0), default=[]
            )
        )

    def publish(self) -> None:
        def publish_message() -> int:
            structure_id = self.ctx.structure_id
            assert structure_id is not None, "the administration is opened at a structure's counter"
            title, body = self.title.text(), self.body.toPlainText()
            start, end = date_of(self.start), date_of(self.end)
            return admin.save_message(self.ctx.db, self.ctx.actor, structure_id, title, body, start, end)

        self.ctx.ops.run(publish_message, lambda _id: self.changed.emit(), write=True)
