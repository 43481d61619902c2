"""Administration → "Familles": importing the families a town already has (CSV or Excel) in three steps — the
file, its columns, the preview (``import_file_step``, ``import_columns_step``, ``import_preview_step``) — then the
import itself; and exporting every family in the same format. Nothing is written before "Importer". The dialog
collects the file and its columns; the panel that opens it reads, checks and imports them, and exports, off the GUI
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
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...files import write_document
from ...services.setup import family_import
from ...services.setup.family_import import ImportPreview, ImportResult, SourceTable
from ..context import CounterContext
from ..documents.file_dialogs import ask_save_path
from ..operations import Failure
from .import_columns_step import ColumnsStep
from .import_file_step import FileStep, fields_table
from .import_preview_step import PreviewStep, ResultStep
from .import_words import ERROR_STYLE, counted, grouped, read_failure

log = logging.getLogger(__name__)
STEPS = (
    "Étape 1 sur 3 : le fichier",
    "Étape 2 sur 3 : les colonnes",
    "Étape 3 sur 3 : l'aperçu (rien n'est encore enregistré)",
    "Import terminé",
)


class ImportDialog(QDialog):
    """The file → its columns → the preview → "Importer". It asks whoever opened it for the work —
    ``read_asked(path)``, ``preview_asked(table, mapping)``, ``import_asked(table, mapping, skip_invalid)`` — and
    shows the answers; ``imported`` gives the import's result."""

    read_asked = Signal(str)
    preview_asked = Signal(object, object)
    import_asked = Signal(object, object, bool)
    imported = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Importer des familles")
        self.preview: ImportPreview | None = None
        self.import_result: ImportResult | None = None
        """Not ``result``: that name is ``QDialog.result()``."""
        self.task = ""
        """ "read", "preview" or "import" while a worker runs, else ""."""
        self._status_text = ""

        self.step = QLabel()
        self.step.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.file_step, self.columns = FileStep(), ColumnsStep()
        self.preview_step = PreviewStep()
        self.result_step = ResultStep(self.preview_step.rejected_rows)
        self.stack = QStackedWidget()
        for page in (self.file_step, self.columns, self.preview_step, self.result_step):
            self.stack.addWidget(page)
        self.file_step.picked.connect(lambda: self.read_file())
        self.file_step.path.returnPressed.connect(self.go_next)
        self.preview_step.skip_invalid.toggled.connect(lambda _on: self._update_buttons())

        # the steps' fields, under the names the dialog's users read
        f, c, p, r = self.file_step, self.columns, self.preview_step, self.result_step
        self.path, self.file_error, self.file_info = f.path, f.error, c.file_info
        self.combos, self.field_labels, self.sample = c.combos, c.field_labels, c.sample
        self.mapping, self.set_column, self.mapping_error = c.mapping, c.set_column, c.error
        self.summary, self.new_title, self.preview_tabs = p.summary, p.new_title, p.preview_tabs
        self.new_rows, self.known_rows, self.duplicate_rows = p.new_rows, p.known_rows, p.duplicate_rows
        self.rejected_rows, self.preview_note = p.rejected_rows, p.preview_note
        self.skip_invalid, self.result_text = p.skip_invalid, r.result_text
        self.left_out_view = r.left_out_view

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

    @property
    def table(self) -> SourceTable | None:
        """The file read at step 1, None before."""
        return self.columns.table

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
            self.check_columns()

    def reject(self) -> None:
        if self.task == "import":  # one transaction under way: the dialog stays until it ends
            self.status.setText("Import en cours : patientez jusqu'à la fin.")
            return
        super().reject()

    # --- the work, run by the panel that opened the dialog ----------------------------------------------
    def begin(self, task: str, text: str) -> None:
        """``task`` runs on a worker thread: the progress shows, the buttons wait."""
        self.task = task
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.show()
        self.status.setText(text)
        self._status_text = text
        self._update_buttons()

    def ending(self, then: Callable[[Any], None]) -> Callable[[Any], None]:
        """What runs here once the task ended: the progress hidden, then ``then(result or failure)``."""
        task = self.task

        def ended(value: Any) -> None:
            try:
                self.task = ""
                self.progress.hide()
                self.status.setText("")
                then(value)
                self._update_buttons()
            except RuntimeError:  # the dialog was destroyed with its window meanwhile: nothing to show
                log.info("import dialog closed before its %s ended", task)

        return ended

    def show_progress(self, task: str, done: int, total: int) -> None:
        if self.task != task:  # a late report of a step already ended
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.status.setText(f"{self._status_text} {grouped(done)} / {grouped(total)}")
        elif done:
            self.status.setText(f"{self._status_text} ligne {grouped(done)}")

    # --- step 1: the file -------------------------------------------------------------------------------
    def read_file(self, path: str | None = None) -> None:
        """Have the file read off the GUI thread; then the columns' step (or the French message, nothing
        written)."""
        if path is not None:
            self.path.setText(path)
        text = self.path.text().strip()
        self.file_error.clear()
        if not text:
            self.file_error.setText("Choisissez d'abord un fichier.")
            return
        self.read_asked.emit(text)

    def file_read(self, table: SourceTable) -> None:
        self.columns.show_table(table)
        self.preview = None
        self._go(1)

    def file_not_read(self, failure: Failure, name: str) -> None:
        self.file_error.setText(read_failure(failure, name))

    # --- step 2: the columns ----------------------------------------------------------------------------
    def check_columns(self) -> None:
        """The columns checked at once, then the lines off the GUI thread; nothing is written."""
        mapping = self.columns.checked_mapping()
        if mapping is not None:
            self.preview_asked.emit(self.table, mapping)

    def preview_ready(self, preview: ImportPreview) -> None:
        self.preview, self.import_result = preview, None
        self.preview_step.show_preview(preview)
        self._go(2)

    def preview_failed(self, failure: Failure, filename: str) -> None:
        self.mapping_error.setText(read_failure(failure, filename))

    # --- step 3: the import -----------------------------------------------------------------------------
    def start_import(self) -> None:
        if self.table is None or self.preview is None or not self.import_button.isEnabled():
            return
        self.preview_step.error.clear()
        self.import_asked.emit(self.table, self.mapping(), self.skip_invalid.isChecked())

    def import_done(self, result: ImportResult) -> None:
        self.import_result = result
        self.result_step.show_result(result)
        self._go(3)
        self.imported.emit(result)

    def import_failed(self, failure: Failure, filename: str) -> None:
        self.preview_step.error.setText(read_failure(failure, filename))


class FamiliesPanel(QWidget):
    """ "Importer des familles…" (the dialog above, whose reading, checking and importing run here) and "Exporter
    toutes les familles…" (CSV, import format)."""

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
        dialog = ImportDialog(self)
        dialog.read_asked.connect(lambda path: self._read(dialog, path))
        dialog.preview_asked.connect(lambda table, mapping: self._preview(dialog, table, mapping))
        dialog.import_asked.connect(lambda table, mapping, skip: self._import(dialog, table, mapping, skip))
        dialog.imported.connect(lambda result: self._say("\n".join(result.lines())))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def _busy(self, dialog: ImportDialog, task: str, text: str) -> Callable[[int, int], None]:
        """The dialog shows ``task`` under way; what a worker calls to report its progress there."""
        dialog.begin(task, text)
        return self.ctx.ops.reporter(lambda n, total: dialog.show_progress(task, n, total))

    def _read(self, dialog: ImportDialog, path: str) -> None:
        """Step 1: the file read off the GUI thread (nothing written)."""
        name = Path(path).name
        progress = self._busy(dialog, "read", f"Lecture de « {name} »…")
        self.ctx.ops.run(
            lambda: family_import.read_source(name, Path(path).read_bytes(), progress),
            dialog.ending(dialog.file_read),
            background=True,
            on_error=dialog.ending(lambda failure: dialog.file_not_read(failure, name)),
        )

    def _preview(self, dialog: ImportDialog, table: SourceTable, mapping: family_import.Mapping) -> None:
        """Step 2 → 3: every line checked against the database off the GUI thread (nothing written)."""
        progress = self._busy(dialog, "preview", "Vérification des lignes…")
        db = self.ctx.db
        self.ctx.ops.run(
            lambda: family_import.preview_import(db, table, mapping, progress),
            dialog.ending(dialog.preview_ready),
            background=True,
            on_error=dialog.ending(lambda failure: dialog.preview_failed(failure, table.filename)),
        )

    def _import(
        self, dialog: ImportDialog, table: SourceTable, mapping: family_import.Mapping, skip_invalid: bool
    ) -> None:
        """ "Importer": the families written off the GUI thread, in one transaction."""
        progress = self._busy(dialog, "import", "Import en cours (une seule transaction)…")
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.ops.run(
            lambda: family_import.import_families(
                db, actor, table, mapping, skip_invalid=skip_invalid, progress=progress
            ),
            dialog.ending(dialog.import_done),
            write=True,
            background=True,
            on_error=dialog.ending(lambda failure: dialog.import_failed(failure, table.filename)),
        )

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
                f"{counted(lines, 'ligne exportée', 'lignes exportées')} (une par enfant) dans « {target} »."
            )

        def failed(failure: Failure) -> None:
            self.export_button.setEnabled(True)
            self._say(failure.message, error=True)  # FileNotWritable says why, in French

        self.export_button.setEnabled(False)
        self._say(f"Export en cours vers « {target} »…")
        self.ctx.ops.run(work, done, background=True, on_error=failed)
