"""Step 3 of the family import, the preview (nothing written yet): the families to create, the rejected lines, the
duplicates and the families already known, and whether to import without the rejected lines; then the result
page once imported."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ...services.families.view import WALLET_LABELS
from ...services.setup.family_import import FamilyPlan, ImportPreview, ImportResult
from ...text import format_eur, short_date
from ..table_model import Column, RowsModel
from ..widgets import table_view
from .import_words import ERROR_STYLE, counted, grouped


def _balances(plan: FamilyPlan) -> str:
    parts = [f"{WALLET_LABELS[kind]} {format_eur(cents)}" for kind, cents in sorted(plan.balances.items())]
    return " ; ".join(parts) or "—"


def _lines(plan: FamilyPlan) -> str:
    shown = ", ".join(str(n) for n in plan.lines[:8])
    return shown + ("…" if len(plan.lines) > 8 else "")


def _children(plan: FamilyPlan, new_only: bool = False) -> str:
    kids = [c for c in plan.children if not new_only or c.existing_id is None]
    return ", ".join(f"{c.first_name} ({short_date(c.birth_date)})" for c in kids) or "aucun"


class PreviewStep(QWidget):
    """What the import would do (``show_preview``); ``skip_invalid`` lets it go without the rejected lines."""

    def __init__(self) -> None:
        super().__init__()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.new_rows = RowsModel(
            [
                Column("Famille", lambda f: f.name),
                Column("Lignes", _lines),
                Column("Enfants", _children),
                Column("Soldes repris", _balances),
            ]
        )
        self.known_rows = RowsModel(
            [
                Column("Famille", lambda f: f.name),
                Column("Lignes", _lines),
                Column("Enfants à ajouter", lambda f: _children(f, new_only=True)),
            ]
        )
        self.duplicate_rows = RowsModel(
            [Column("Ligne", lambda d: str(d.line), right=True), Column("Motif", lambda d: d.message)]
        )
        self.rejected_rows = RowsModel(
            [
                Column("Ligne", lambda e: str(e.line), right=True),
                Column("Colonne", lambda e: e.column or "—"),
                Column("Motif", lambda e: e.message),
            ]
        )
        self.new_title = QLabel()
        self.new_title.setStyleSheet("font-weight: 600;")
        self.new_view = table_view(self.new_rows, stretch=2)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.new_title)
        top_layout.addWidget(self.new_view)
        self.preview_tabs = QTabWidget()
        self.rejected_view = table_view(self.rejected_rows, stretch=2)
        self.preview_tabs.addTab(self.rejected_view, "")
        self.preview_tabs.addTab(table_view(self.duplicate_rows, stretch=1), "")
        self.preview_tabs.addTab(table_view(self.known_rows, stretch=2), "")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.preview_tabs)
        split.setChildrenCollapsible(False)
        split.setSizes([300, 220])
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.skip_invalid = QCheckBox("Importer sans les lignes rejetées")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(self.preview_note)
        layout.addWidget(self.skip_invalid)
        layout.addWidget(self.error)

    def show_preview(self, preview: ImportPreview) -> None:
        lines = [line.removesuffix(" :") for line in preview.summary() if not line.startswith("  ")]
        self.summary.setText("\n".join(lines))
        self.new_rows.set_rows(preview.new_families)
        self.known_rows.set_rows(preview.existing_families)
        self.duplicate_rows.set_rows(preview.duplicates)
        self.rejected_rows.set_rows(preview.rejected)
        self.new_title.setText(f"Familles à créer ({grouped(len(preview.new_families))})")
        counts = (len(preview.rejected_lines), len(preview.duplicates), len(preview.existing_families))
        titles = ("Lignes rejetées", "Lignes en double ignorées", "Familles déjà connues")
        for i, (title, n) in enumerate(zip(titles, counts, strict=True)):
            self.preview_tabs.setTabText(i, f"{title} ({grouped(n)})")
        self.preview_tabs.setCurrentIndex(next((i for i, n in enumerate(counts) if n), 0))
        self.skip_invalid.setChecked(False)
        self.skip_invalid.setVisible(bool(preview.rejected))
        self.skip_invalid.setText(
            f"Importer sans les lignes rejetées "
            f"({counted(len(preview.rejected_lines), 'ligne non importée', 'lignes non importées')} ; "
            "corrigez-les puis importez à nouveau le fichier : rien ne sera créé deux fois)"
        )
        if not preview.writes_something:
            note = "Rien à importer : toutes les familles et tous les enfants du fichier sont déjà connus."
        elif preview.rejected:
            note = (
                "Des lignes sont rejetées : corrigez le fichier et recommencez, ou cochez la case ci-dessous "
                "pour importer les autres lignes."
            )
        else:
            note = "Vérifiez l'aperçu puis cliquez sur « Importer » : l'import se fait en une seule fois."
        self.preview_note.setText(note)
        self.error.clear()


class ResultStep(QWidget):
    """What the import did (``show_result``) and the lines left out (``rejected_rows``: the preview's)."""

    def __init__(self, rejected_rows: RowsModel) -> None:
        super().__init__()
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.result_text.setStyleSheet("font-size: 11pt;")
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        after = QLabel(
            "Les familles importées se trouvent dans la recherche du guichet ; leurs soldes repris sont des "
            "écritures « Solde repris » de leurs porte-monnaie. Importer le même fichier une seconde fois ne "
            "crée rien en double."
        )
        after.setWordWrap(True)
        self.left_out = QLabel(
            "Lignes non importées, à corriger dans le fichier avant de l'importer à nouveau :"
        )
        self.left_out_view = table_view(rejected_rows, stretch=2)
        self.left_out_space = QWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.result_text)
        layout.addWidget(after)
        layout.addSpacing(8)
        layout.addWidget(self.left_out)
        layout.addWidget(self.left_out_view, 1)

    def show_result(self, result: ImportResult) -> None:
        self.result_text.setText("\n".join(result.lines()))
        for widget in (self.left_out, self.left_out_view):
            widget.setVisible(bool(result.lines_rejected))
        self.left_out_space.setVisible(not result.lines_rejected)
