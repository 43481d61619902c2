"""Step 2 of the family import: the columns. For each information the import knows, the file's column that holds
it (guessed from the headers, chosen by hand otherwise), an example of its values, and the file's first lines;
the required ones missing or a column chosen twice are said in French before anything is checked further."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.errors import DomainError
from ...services.setup import family_import
from ...services.setup.family_import import FIELDS, SourceTable
from .import_words import ERROR_STYLE, counted

NONE = "(aucune)"
SAMPLE_ROWS = 5
GROUPS = (
    ("Famille", [f for f in FIELDS if f.family and not f.key.startswith("solde_")]),
    ("Enfant", [f for f in FIELDS if not f.family]),
    ("Soldes repris", [f for f in FIELDS if f.key.startswith("solde_")]),
)


class ColumnsStep(QWidget):
    """The columns of the file read (``show_table``); ``checked_mapping()`` gives them once they make sense."""

    def __init__(self) -> None:
        super().__init__()
        self.table: SourceTable | None = None
        """The file read at step 1, None before."""
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
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_info)
        layout.addLayout(groups, 3)
        layout.addWidget(self.error)
        layout.addWidget(
            QLabel(f"Premières lignes du fichier (numéro de ligne à gauche, {SAMPLE_ROWS} au plus) :")
        )
        layout.addWidget(self.sample, 2)

    def show_table(self, table: SourceTable) -> None:
        """The columns guessed from the headers, the file in figures and its first lines."""
        self.table = table
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
            f"{counted(len(table.rows), 'ligne de données', 'lignes de données')}, "
            f"{counted(len(table.headers), 'colonne')}, {counted(found, 'reconnue')}. Choisissez pour "
            "chaque information la colonne du fichier qui la contient (* : obligatoire) ; « (aucune) » si le "
            "fichier ne l'a pas."
        )
        self.error.clear()
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

    def checked_mapping(self) -> family_import.Mapping | None:
        """The columns chosen once every required information has one and no column serves twice, and the file's
        columns hold them; else None, the French message shown (the labels at fault in red)."""
        table = self.table
        if table is None:
            return None
        mapping = self.mapping()
        problem = self._mapping_problem(mapping)
        if problem:
            self.error.setText(problem)
            return None
        try:
            family_import.check_mapping(table, mapping)
        except DomainError as exc:
            self.error.setText(str(exc))
            return None
        self.error.clear()
        return mapping

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
