"""Administration → Familles → « Conservation des données »: the town's retention period, and the families without
activity for that long, proposed one by one for anonymisation (the confirmation of ``anonymise_dialog`` each time)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ...services.families import forgetting
from ...text import format_eur, short_date
from ..context import CounterContext
from ..families.anonymise_dialog import AnonymiseDialog, ask_anonymise
from ..operations import succeeded
from ..table_model import Column, RowsModel
from ..widgets import number_range, table_view


class RetentionPanel(QGroupBox):
    def __init__(self, ctx: CounterContext, parent: QWidget | None = None) -> None:
        super().__init__("Conservation des données", parent)
        self.ctx = ctx
        self.dialog: AnonymiseDialog | None = None
        self.years = QSpinBox()
        self.years.setRange(*number_range(forgetting.RetentionYears))
        self.years.setSuffix(" ans")
        self.save = QPushButton("Enregistrer la durée")
        self.heading = QLabel()
        self.rows = RowsModel(
            [
                Column("Famille", lambda d: d.name),
                Column("Dernière activité", lambda d: short_date(d.last_activity)),
                Column("Enfants", lambda d: str(d.children), right=True),
                Column("Solde", lambda d: format_eur(d.balance_cents), right=True),
            ]
        )
        self.view = table_view(self.rows, stretch=0)
        self.anonymise = QPushButton("Anonymiser la famille sélectionnée…")
        note = QLabel(
            "Une famille sans réservation, règlement ni modification depuis cette durée est proposée ici ; "
            "rien n'est anonymisé sans votre confirmation, famille par famille."
        )
        note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Conserver les données d'une famille sans activité pendant"))
        top.addWidget(self.years)
        top.addWidget(self.save)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.heading)
        layout.addWidget(self.view)
        bottom = QHBoxLayout()
        bottom.addWidget(self.anonymise)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        self.save.clicked.connect(self.save_years)
        self.anonymise.clicked.connect(self.anonymise_selected)
        self.load()

    def load(self) -> None:
        db = self.ctx.db
        years = self.ctx.ops.run(
            lambda: forgetting.retention_years(db), default=forgetting.DEFAULT_RETENTION_YEARS
        )
        self.years.setValue(years)
        rows = self.ctx.ops.run(lambda: forgetting.dormant_families(db), default=[])
        self.rows.set_rows(rows)
        self.heading.setText(
            f"Familles sans activité depuis plus de {years} ans : {len(rows)}"
            if rows
            else f"Aucune famille sans activité depuis plus de {years} ans."
        )
        self.anonymise.setEnabled(bool(rows))

    def save_years(self) -> None:
        db, actor, years = self.ctx.db, self.ctx.actor, self.years.value()
        if self.ctx.ops.run(succeeded(lambda: forgetting.save_retention_years(db, actor, years)), write=True):
            self.ctx.ops.notice(f"Durée de conservation enregistrée : {years} ans.")
        self.load()

    def anonymise_selected(self) -> AnonymiseDialog | None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.ctx.ops.inform("Anonymiser", "Sélectionnez une famille dans la liste.")
            return None
        family_id = self.rows.rows[index.row()].id
        self.dialog = ask_anonymise(self, self.ctx, family_id, lambda _result, _name: self.load())
        return self.dialog
