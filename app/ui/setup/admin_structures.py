"""Administration → Structures: the organising sites (name, address, contact, school zone, logo) and their online
payment; the panel saves what its two dialogs collect."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...services.money.online import PaymentSettingsView, payment_settings, save_payment_settings
from ...services.money.online_backends import DEMO, BackendKind, backend_catalogue
from ...services.setup.structures import (
    StructureDetail,
    create_structure,
    structure_details,
    structure_logo,
    update_structure,
)
from ...text import zone_label
from ..context import CounterContext
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .payment_settings_dialog import PaymentSettingsDialog
from .structure_dialog import StructureDialog


def _address(s: StructureDetail) -> str:
    town = f"{s.postal_code} {s.city}".strip()
    return ", ".join(x for x in (s.address, town) if x)


class StructuresPanel(QWidget):
    """The list of structures with "Nouvelle structure…" and "Modifier…" (administrators)."""

    changed = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: StructureDialog | PaymentSettingsDialog | None = None
        self.rows = RowsModel(
            [
                Column("Structure", lambda s: s.name),
                Column("Code", lambda s: s.code),
                Column("Adresse", _address),
                Column("Téléphone", lambda s: s.phone),
                Column("E-mail", lambda s: s.email),
                Column("Zone", lambda s: zone_label(s.zone)),
                Column("Logo", lambda s: "personnalisé" if s.has_logo else "celui de l'application"),
                Column("Paiement en ligne", self._payment_text),
            ]
        )
        self.payments: dict[int, PaymentSettingsView | None] = {}
        self.catalogue: list[BackendKind] = []
        self.view = table_view(self.rows, stretch=2)
        self.view.doubleClicked.connect(lambda _index: self.open_edit())
        new = QPushButton("Nouvelle structure…")
        new.clicked.connect(self.open_new)
        self.edit = QPushButton("Modifier…")
        self.edit.clicked.connect(self.open_edit)
        self.payment = QPushButton("Paiement en ligne…")
        self.payment.setToolTip(
            "Le site de paiement de la régie (PayFiP…) par lequel les familles paient en ligne"
        )
        self.payment.clicked.connect(self.open_payment)
        buttons = QHBoxLayout()
        buttons.addWidget(new)
        buttons.addWidget(self.edit)
        buttons.addWidget(self.payment)
        buttons.addStretch(1)
        hint = QLabel(
            "Chaque structure a ses activités, ses agents, sa caisse et ses numéros de reçus ; "
            "son nom, son adresse et son logo sont imprimés sur ses documents."
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.load()

    def _payment_text(self, structure: StructureDetail) -> str:
        settings = self.payments.get(structure.id)
        if settings is None:
            return "au guichet seulement"
        label = next(
            (k.label.partition(" – ")[0] for k in self.catalogue if k.kind == settings.backend),
            settings.backend,
        )
        mode = " (test)" if settings.test_mode and settings.backend != DEMO else ""
        return f"{label}{mode}" + ("" if settings.enabled else " — fermé")

    def load(self) -> None:
        current = self.selected()
        db = self.ctx.db
        rows = self.ctx.ops.run(lambda: structure_details(db), default=[])
        self.catalogue = self.catalogue or self.ctx.ops.run(backend_catalogue, default=[])
        self.payments = {s.id: self._settings_of(s.id) for s in rows}
        self.rows.set_rows(rows)
        if current is not None:
            self.select(current.id)

    def selected(self) -> StructureDetail | None:
        index = self.view.currentIndex()
        return self.rows.rows[index.row()] if index.isValid() and index.row() < len(self.rows.rows) else None

    def select(self, structure_id: int) -> None:
        row = next((i for i, s in enumerate(self.rows.rows) if s.id == structure_id), None)
        if row is not None:
            self.view.selectRow(row)

    def open_new(self) -> StructureDialog:
        self.dialog = dialog = StructureDialog(self)
        db, actor = self.ctx.db, self.ctx.actor
        dialog.submitted.connect(
            lambda: self.ctx.ops.form(
                dialog, lambda: create_structure(db, actor, dialog.value()), self._saved
            )
        )
        dialog.open()
        return dialog

    def open_edit(self) -> StructureDialog | None:
        structure = self.selected()
        if structure is None:
            self.ctx.ops.inform("Structures", "Sélectionnez une structure dans la liste.")
            return None
        logo = self.ctx.ops.run(lambda: structure_logo(self.ctx.db, structure.id))
        self.dialog = dialog = StructureDialog(self, structure, logo)
        db, actor = self.ctx.db, self.ctx.actor

        def update() -> int:
            update_structure(db, actor, structure.id, dialog.value())
            return structure.id

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, update, self._saved))
        dialog.open()
        return dialog

    def _settings_of(self, structure_id: int) -> PaymentSettingsView | None:
        return self.ctx.ops.run(lambda: payment_settings(self.ctx.db, structure_id))

    def open_payment(self) -> PaymentSettingsDialog | None:
        structure = self.selected()
        if structure is None:
            self.ctx.ops.inform("Structures", "Sélectionnez une structure dans la liste.")
            return None
        self.dialog = dialog = PaymentSettingsDialog(
            self, structure, self.catalogue, self.payments.get(structure.id)
        )
        db, actor = self.ctx.db, self.ctx.actor

        def save() -> int:
            save_payment_settings(db, actor, structure.id, dialog.value())
            return structure.id

        dialog.submitted.connect(lambda: self.ctx.ops.form(dialog, save, self._saved))
        dialog.open()
        return dialog

    def _saved(self, structure_id: int) -> None:
        self.load()
        self.select(structure_id)
        self.changed.emit()
