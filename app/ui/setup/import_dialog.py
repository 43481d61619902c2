"""Administration → "Familles": importing the families a town already has (CSV or Excel) in three steps — the
file, its columns, the preview — then the import itself; and exporting every family in the same format
(DESIGN.md §2.7). Nothing is written before "Importer"; reading, checking, importing and exporting run off the GUI
thread through ``Operations`` (progress reported by ``Operations.reporter``), the window staying responsive."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...files import write_document
from ...services.bounds import Text
from ...services.errors import DomainError
from ...services.money.amounts import format_eur
from ...services.setup import family_import
from ...services.setup.family_import import FIELDS, FamilyPlan, ImportPreview, ImportResult, SourceTable
from ...text import plural
from ..context import CounterContext
from ..documents.file_dialogs import ask_open_path, ask_save_path
from ..operations import Failure
from ..table_model import Column, RowsModel
from ..widgets import bound, table_view

log = logging.getLogger(__name__)
NONE = "(aucune)"
SAMPLE_ROWS = 5
ERROR_STYLE = "color:#b00020;"
GROUPS = (
    ("Famille", [f for f in FIELDS if f.family and not f.key.startswith("solde_")]),
    ("Enfant", [f for f in FIELDS if not f.family]),
    ("Soldes repris", [f for f in FIELDS if f.key.startswith("solde_")]),
)
STEPS = (
    "Étape 1 sur 3 : le fichier",
    "Étape 2 sur 3 : les colonnes",
    "Étape 3 sur 3 : l'aperçu (rien n'est encore enregistré)",
    "Import terminé",
)


EXAMPLES = {
    "famille": "MARTIN",
    "responsable_nom": "Martin",
    "responsable_prenom": "Claire",
    "email": "claire.martin@example.org",
    "telephone": "05 63 12 34 56",
    "adresse": "3 rue des Écoles",
    "code_postal": "82700",
    "ville": "Montech",
    "quotient_familial": "850",
    "enfant_nom": "Martin",
    "enfant_prenom": "Léa",
    "enfant_naissance": "14/03/2018 ou 2018-03-14",
    "enfant_niveau": "CE1",
    "solde_alae": "12,50",
    "solde_alsh": "-3,00",
    "solde_cantine": "0,00",
}


def fields_table() -> QTableWidget:
    """The columns a file may have: the advised header, what it holds, an example, whether it is required."""
    headers = ["En-tête conseillé", "Information", "Obligatoire", "Exemple", "Donnée de"]
    table = QTableWidget(len(FIELDS), len(headers))
    table.setHorizontalHeaderLabels(headers)
    for row, f in enumerate(FIELDS):
        owner = "la famille (répétée sur chaque ligne)" if f.family else "l'enfant"
        texts = (f.key, f.label, "oui" if f.required else "", EXAMPLES.get(f.key, ""), owner)
        for column, text in enumerate(texts):
            table.setItem(row, column, QTableWidgetItem(text))
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setAlternatingRowColors(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
    return table


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` (thousands apart) and its noun in the singular or the plural: « 1 ligne », « 12 000 lignes »."""
    return f"{_count(n)} {plural(n, singular, plural_form)}"


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in French (the system's own text is often English)."""
    if isinstance(exc, FileNotFoundError):
        return "fichier ou dossier introuvable"
    if isinstance(exc, PermissionError):
        return "accès refusé (droits insuffisants ou fichier ouvert dans un autre logiciel)"
    if isinstance(exc, IsADirectoryError):
        return "c'est un dossier, pas un fichier"
    if isinstance(exc, NotADirectoryError):
        return "le chemin ne désigne pas un dossier"
    return f"erreur du système ({exc.strerror or exc})"


def _balances(plan: FamilyPlan) -> str:
    parts = [f"{kind.value.upper()} {format_eur(cents)}" for kind, cents in sorted(plan.balances.items())]
    return " ; ".join(parts) or "—"


def _lines(plan: FamilyPlan) -> str:
    shown = ", ".join(str(n) for n in plan.lines[:8])
    return shown + ("…" if len(plan.lines) > 8 else "")


def _children(plan: FamilyPlan, new_only: bool = False) -> str:
    kids = [c for c in plan.children if not new_only or c.existing_id is None]
    return ", ".join(f"{c.first_name} ({c.birth_date:%d/%m/%Y})" for c in kids) or "aucun"


class ImportDialog(QDialog):
    """The file → its columns → the preview → "Importer"; the result emitted by ``imported``."""

    imported = Signal(object)

    def __init__(self, parent: QWidget | None, ctx: CounterContext) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Importer des familles")
        self.table: SourceTable | None = None
        self.preview: ImportPreview | None = None
        self.import_result: ImportResult | None = None
        """Not ``result``: that name is ``QDialog.result()``."""
        self.task = ""
        """ "read", "preview" or "import" while a worker runs, else ""."""
        self._status_text = ""

        self.step = QLabel()
        self.step.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self._file_page())
        self.stack.addWidget(self._mapping_page())
        self.stack.addWidget(self._preview_page())
        self.stack.addWidget(self._result_page())

        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(260)
        self.progress.hide()
        self.status = QLabel()
        self.back_button = QPushButton("< &Précédent")
        self.next_button = QPushButton("&Suivant >")
        self.import_button = QPushButton("&Importer")
        self.import_button.setObjectName("primary")
        self.close_button = QPushButton("Annuler")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress)
        bottom.addWidget(self.status, 1)
        for b in (self.back_button, self.next_button, self.import_button, self.close_button):
            bottom.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        self.resize(1100, 680)
        self._go(0)

    # --- pages ------------------------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Choisissez le fichier des familles : CSV (colonnes séparées par « ; » ou « , », UTF-8 ou "
            "Windows-1252) ou classeur Excel (.xlsx, première feuille). Une ligne par enfant : les colonnes de la "
            "famille (responsable, contact, quotient familial, soldes) sont répétées sur la ligne de chacun de "
            "ses enfants. Les en-têtes peuvent être différents : vous choisirez les colonnes à l'étape suivante. "
            "Rien n'est enregistré avant « Importer »."
        )
        intro.setWordWrap(True)
        self.path = bound(QLineEdit(), Text(label="fichier"))
        self.path.setPlaceholderText("Chemin du fichier (.csv ou .xlsx)")
        self.path.returnPressed.connect(self.go_next)
        browse = QPushButton("&Parcourir…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fichier"))
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.file_error = QLabel()
        self.file_error.setWordWrap(True)
        self.file_error.setStyleSheet(ERROR_STYLE)
        self.file_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.file_error)
        layout.addWidget(
            QLabel("Colonnes reconnues d'office (les accents, majuscules et espaces ne comptent pas) :")
        )
        layout.addWidget(fields_table())
        layout.addStretch(1)
        return page

    def _mapping_page(self) -> QWidget:
        page = QWidget()
        self.file_info = QLabel()
        self.file_info.setWordWrap(True)
        self.combos: dict[str, QComboBox] = {}
        self.field_labels: dict[str, QLabel] = {}
        groups = QHBoxLayout()
        for title, fields in GROUPS:
            box = QGroupBox(title)
            grid = QGridLayout(box)
            for row, f in enumerate(fields):
                combo = QComboBox()
                combo.setMinimumContentsLength(10)
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                combo.currentIndexChanged.connect(lambda _i, key=f.key: self._show_example(key))
                label = QLabel(f"{f.label} *" if f.required else f.label)
                grid.addWidget(label, row, 0)
                grid.addWidget(combo, row, 1)
                self.combos[f.key], self.field_labels[f.key] = combo, label
            grid.setColumnStretch(1, 1)
            grid.setRowStretch(len(fields), 1)
            groups.addWidget(box, 3 if title == "Famille" else 2)
        self.sample = QTableWidget()
        self.sample.verticalHeader().setDefaultSectionSize(22)
        self.sample.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sample.setAlternatingRowColors(True)
        self.sample.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_error = QLabel()
        self.mapping_error.setWordWrap(True)
        self.mapping_error.setStyleSheet(ERROR_STYLE)
        layout = QVBoxLayout(page)
        layout.addWidget(self.file_info)
        layout.addLayout(groups, 3)
        layout.addWidget(self.mapping_error)
        layout.addWidget(
            QLabel(f"Premières lignes du fichier (numéro de ligne à gauche, {SAMPLE_ROWS} au plus) :")
        )
        layout.addWidget(self.sample, 2)
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
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
        self.skip_invalid.toggled.connect(lambda _on: self._update_buttons())
        self.import_error = QLabel()
        self.import_error.setWordWrap(True)
        self.import_error.setStyleSheet(ERROR_STYLE)
        self.import_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(self.preview_note)
        layout.addWidget(self.skip_invalid)
        layout.addWidget(self.import_error)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
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
        self.left_out_view = table_view(self.rejected_rows, stretch=2)
        self.left_out_space = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.result_text)
        layout.addWidget(after)
        layout.addSpacing(8)
        layout.addWidget(self.left_out)
        layout.addWidget(self.left_out_view, 1)
        layout.addWidget(self.left_out_space, 1)
        return page

    # --- navigation -------------------------------------------------------------------------------------
    def _go(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.step.setText(STEPS[index])
        self._update_buttons()

    def _update_buttons(self) -> None:
        index, busy = self.stack.currentIndex(), bool(self.task)
        self.back_button.setVisible(index in (1, 2))
        self.back_button.setEnabled(not busy)
        self.next_button.setVisible(index in (0, 1))
        self.next_button.setEnabled(not busy)
        self.import_button.setVisible(index == 2)
        p = self.preview
        self.import_button.setEnabled(
            not busy
            and p is not None
            and p.writes_something
            and (not p.rejected or self.skip_invalid.isChecked())
        )
        self.close_button.setText("&Fermer" if index == 3 else "Annuler")
        self.close_button.setEnabled(self.task != "import")

    def go_back(self) -> None:
        if not self.task and self.stack.currentIndex() in (1, 2):
            self._go(self.stack.currentIndex() - 1)

    def go_next(self) -> None:
        if self.task:
            return
        if self.stack.currentIndex() == 0:
            self.read_file()
        elif self.stack.currentIndex() == 1:
            self.show_preview()

    def reject(self) -> None:
        if self.task == "import":  # one transaction under way: the dialog stays until it ends
            self.status.setText("Import en cours : patientez jusqu'à la fin.")
            return
        super().reject()

    # --- background work --------------------------------------------------------------------------------
    def _start(
        self,
        task: str,
        text: str,
        call: Callable[[Callable[[int, int], None]], Any],
        done: Callable[[Any], None],
        failed: Callable[[Failure], None],
        *,
        write: bool = False,
    ) -> None:
        """Run ``call(progress)`` on a worker thread through the operations; ``done(result)`` or
        ``failed(failure)`` then runs here."""
        self.task = task
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.show()
        self.status.setText(text)
        self._status_text = text
        self._update_buttons()
        progress = self.ctx.ops.reporter(lambda n, total: self._show_progress(task, n, total))

        def ended(then: Callable[[Any], None], value: Any) -> None:
            try:
                self.task = ""
                self.progress.hide()
                self.status.setText("")
                then(value)
                self._update_buttons()
            except RuntimeError:  # the dialog was destroyed with its window meanwhile: nothing to show
                log.info("import dialog closed before its %s ended", task)

        self.ctx.ops.run(
            lambda: call(progress),
            lambda result: ended(done, result),
            write=write,
            background=True,
            on_error=lambda failure: ended(failed, failure),
        )

    def _show_progress(self, task: str, done: int, total: int) -> None:
        if self.task != task:  # a late report of a step already ended
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.status.setText(f"{self._status_text} {_count(done)} / {_count(total)}")
        elif done:
            self.status.setText(f"{self._status_text} ligne {_count(done)}")

    @staticmethod
    def _message(failure: Failure, filename: str = "") -> str:
        if isinstance(failure.error, OSError):
            return f"Impossible de lire le fichier « {filename} » : {os_reason(failure.error)}."
        return failure.message

    # --- step 1: the file -------------------------------------------------------------------------------
    def browse(self) -> None:
        path = ask_open_path(
            self,
            "Fichier des familles",
            "Fichiers CSV ou Excel (*.csv *.txt *.xlsx);;Tous les fichiers (*)",
            self.path.text(),
        )
        if path:
            self.path.setText(str(path))
            self.read_file()

    def read_file(self, path: str | None = None) -> None:
        """Read the file off the GUI thread; then the columns' step (or the French message, nothing written)."""
        if path is not None:
            self.path.setText(path)
        text = self.path.text().strip()
        self.file_error.clear()
        if not text:
            self.file_error.setText("Choisissez d'abord un fichier.")
            return
        name = Path(text).name

        def work(progress: Callable[[int, int], None]) -> SourceTable:
            return family_import.read_source(name, Path(text).read_bytes(), progress)

        def done(table: SourceTable) -> None:
            self._show_table(table)
            self._go(1)

        def failed(failure: Failure) -> None:
            self.file_error.setText(self._message(failure, name))

        self._start("read", f"Lecture de « {name} »…", work, done, failed)

    # --- step 2: the columns ----------------------------------------------------------------------------
    def _show_table(self, table: SourceTable) -> None:
        self.table, self.preview = table, None
        guessed = family_import.guess_mapping(table.headers)
        for f in FIELDS:
            combo = self.combos[f.key]
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NONE, None)
            for i, header in enumerate(table.headers):
                combo.addItem(header or f"(colonne {i + 1} sans titre)", i)
            combo.setCurrentIndex(combo.findData(guessed.get(f.key)) if guessed.get(f.key) is not None else 0)
            combo.blockSignals(False)
            self._show_example(f.key)
        found = sum(1 for v in guessed.values() if v is not None)
        self.file_info.setText(
            f"Fichier « {table.filename} » ({table.kind}, {table.detail}) : "
            f"{_counted(len(table.rows), 'ligne de données', 'lignes de données')}, "
            f"{_counted(len(table.headers), 'colonne')}, {_counted(found, 'reconnue')}. Choisissez pour "
            "chaque information la colonne du fichier qui la contient (* : obligatoire) ; « (aucune) » si le "
            "fichier ne l'a pas."
        )
        self.mapping_error.clear()
        sample = table.rows[:SAMPLE_ROWS]
        self.sample.clear()
        self.sample.setColumnCount(len(table.headers))
        self.sample.setRowCount(len(sample))
        self.sample.setHorizontalHeaderLabels(
            [h or f"(colonne {i + 1})" for i, h in enumerate(table.headers)]
        )
        self.sample.setVerticalHeaderLabels([str(r.line) for r in sample])
        for r, row in enumerate(sample):
            for c, cell in enumerate(row.cells[: len(table.headers)]):
                self.sample.setItem(r, c, QTableWidgetItem(cell[:60]))

    def _show_example(self, key: str) -> None:
        """The combo's tooltip: the first value of the chosen column."""
        index = self.combos[key].currentData()
        text = ""
        if index is not None and self.table is not None:
            rows = self.table.rows[:50]
            value = next((r.cells[index] for r in rows if index < len(r.cells) and r.cells[index]), "")
            text = f"ex. « {value[:60]} »" if value else "colonne vide dans les premières lignes"
        self.combos[key].setToolTip(text)

    def _mapping_problem(self, mapping: family_import.Mapping) -> str:
        """The columns still to choose, or chosen twice, named as on screen (their labels shown in red)."""
        missing = family_import.missing_fields(mapping)
        by_column: dict[int, list[str]] = {}
        for key, index in mapping.items():
            if index is not None:
                by_column.setdefault(index, []).append(key)
        twice = {index: keys for index, keys in by_column.items() if len(keys) > 1}
        wrong = {f.key for f in missing} | {key for keys in twice.values() for key in keys}
        for key, label in self.field_labels.items():
            label.setStyleSheet(ERROR_STYLE if key in wrong else "")
        problems = []
        if missing:
            names = ", ".join(f"« {f.label} »" for f in missing)
            problems.append(f"Choisissez la colonne du fichier pour : {names} (obligatoire).")
        headers = self.table.headers if self.table is not None else []
        for index, keys in twice.items():
            names = " et ".join(f"« {family_import.BY_KEY[k].label} »" for k in keys)
            problems.append(
                f"La colonne « {headers[index]} » est choisie pour {names} : "
                "une colonne ne sert qu'à une information."
            )
        return "\n".join(problems)

    def mapping(self) -> family_import.Mapping:
        return {key: combo.currentData() for key, combo in self.combos.items()}

    def set_column(self, key: str, header: str) -> None:
        """Choose the file's column for a field by its header (what the administrator does with the combo)."""
        combo = self.combos[key]
        combo.setCurrentIndex(combo.findText(header) if header else 0)

    # --- step 3: the preview ----------------------------------------------------------------------------
    def show_preview(self) -> None:
        """Check the mapping at once, then the lines off the GUI thread; nothing is written."""
        table = self.table
        if table is None:
            return
        mapping = self.mapping()
        problem = self._mapping_problem(mapping)
        if problem:
            self.mapping_error.setText(problem)
            return
        try:
            family_import.check_mapping(table, mapping)
        except DomainError as exc:
            self.mapping_error.setText(str(exc))
            return
        self.mapping_error.clear()
        db = self.ctx.db

        def work(progress: Callable[[int, int], None]) -> ImportPreview:
            return family_import.preview_import(db, table, mapping, progress)

        def done(preview: ImportPreview) -> None:
            self._show_preview(preview)
            self._go(2)

        def failed(failure: Failure) -> None:
            self.mapping_error.setText(self._message(failure, table.filename))

        self._start("preview", "Vérification des lignes…", work, done, failed)

    def _show_preview(self, preview: ImportPreview) -> None:
        self.preview, self.import_result = preview, None
        lines = [line.removesuffix(" :") for line in preview.summary() if not line.startswith("  ")]
        self.summary.setText("\n".join(lines))
        self.new_rows.set_rows(preview.new_families)
        self.known_rows.set_rows(preview.existing_families)
        self.duplicate_rows.set_rows(preview.duplicates)
        self.rejected_rows.set_rows(preview.rejected)
        self.new_title.setText(f"Familles à créer ({_count(len(preview.new_families))})")
        counts = (len(preview.rejected_lines), len(preview.duplicates), len(preview.existing_families))
        titles = ("Lignes rejetées", "Lignes en double ignorées", "Familles déjà connues")
        for i, (title, n) in enumerate(zip(titles, counts, strict=True)):
            self.preview_tabs.setTabText(i, f"{title} ({_count(n)})")
        self.preview_tabs.setCurrentIndex(next((i for i, n in enumerate(counts) if n), 0))
        self.skip_invalid.setChecked(False)
        self.skip_invalid.setVisible(bool(preview.rejected))
        self.skip_invalid.setText(
            f"Importer sans les lignes rejetées "
            f"({_counted(len(preview.rejected_lines), 'ligne non importée', 'lignes non importées')} ; "
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
        self.import_error.clear()

    # --- the import -------------------------------------------------------------------------------------
    def start_import(self) -> None:
        table, preview = self.table, self.preview
        if table is None or preview is None or not self.import_button.isEnabled():
            return
        mapping, skip = self.mapping(), self.skip_invalid.isChecked()
        db, actor = self.ctx.db, self.ctx.actor
        self.import_error.clear()

        def work(progress: Callable[[int, int], None]) -> ImportResult:
            return family_import.import_families(
                db, actor, table, mapping, skip_invalid=skip, progress=progress
            )

        def done(result: ImportResult) -> None:
            self.import_result = result
            self.result_text.setText("\n".join(result.lines()))
            for widget in (self.left_out, self.left_out_view):
                widget.setVisible(bool(result.lines_rejected))
            self.left_out_space.setVisible(not result.lines_rejected)
            self._go(3)
            self.imported.emit(result)

        def failed(failure: Failure) -> None:
            self.import_error.setText(self._message(failure, table.filename))

        self._start("import", "Import en cours (une seule transaction)…", work, done, failed, write=True)


class FamiliesPanel(QWidget):
    """ "Importer des familles…" (the dialog above) and "Exporter toutes les familles…" (CSV, import format)."""

    def __init__(self, ctx: CounterContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.import_dialog: ImportDialog | None = None
        intro = QLabel(
            "Reprise des familles déjà connues de la commune depuis un fichier CSV ou Excel (.xlsx) : une ligne "
            "par enfant, les colonnes de la famille répétées sur chaque ligne. Un aperçu montre ce qui sera créé "
            "et les lignes rejetées avant tout enregistrement ; une famille ou un enfant déjà connu n'est jamais "
            "créé deux fois ; les soldes deviennent des écritures « Solde repris ». L'export écrit toutes les "
            "familles dans ce même format (CSV, séparateur « ; »), avec leurs soldes actuels."
        )
        intro.setWordWrap(True)
        self.import_button = QPushButton("&Importer des familles…")
        self.import_button.setObjectName("primary")
        self.export_button = QPushButton("&Exporter toutes les familles…")
        self.import_button.clicked.connect(self.open_import)
        self.export_button.clicked.connect(lambda: self.export())
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Colonnes du fichier :"))
        layout.addWidget(fields_table())
        from .admin_portal_address import PortalAddressPanel
        from .admin_retention import RetentionPanel

        self.portal_address = PortalAddressPanel(ctx)
        layout.addWidget(self.portal_address)
        self.retention = RetentionPanel(ctx)
        layout.addWidget(self.retention, 1)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "color:#1b5e20;")

    def open_import(self) -> ImportDialog:
        dialog = ImportDialog(self, self.ctx)
        dialog.imported.connect(lambda result: self._say("\n".join(result.lines())))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def export(self, path: str | None = None) -> None:
        """Write every family to a CSV file off the GUI thread; the number of lines (or the error) is shown."""
        if not path:
            today = local_today(self.ctx.db.clock)
            chosen = ask_save_path(
                self, "Exporter toutes les familles", f"familles-{today:%Y-%m-%d}.csv", "Fichiers CSV (*.csv)"
            )
            if chosen is None:
                return
            path = str(chosen)
        target, db, actor = Path(path), self.ctx.db, self.ctx.actor

        def work() -> int:
            content = family_import.export_families(db, actor)
            write_document(target, content, private=True)  # every family's personal data: its user's only
            return sum(1 for _ in csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")) - 1

        def done(lines: int) -> None:
            self.export_button.setEnabled(True)
            self._say(
                f"{_counted(lines, 'ligne exportée', 'lignes exportées')} (une par enfant) dans « {target} »."
            )

        def failed(failure: Failure) -> None:
            self.export_button.setEnabled(True)
            self._say(failure.message, error=True)  # FileNotWritable says why, in French

        self.export_button.setEnabled(False)
        self._say(f"Export en cours vers « {target} »…")
        self.ctx.ops.run(work, done, background=True, on_error=failed)
