"""Step 1 of the family import: the file (CSV or Excel), its path typed or chosen, and the columns a file may have
(also shown by the Familles panel)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.bounds import Text
from ...services.setup.family_import import FIELDS
from ..documents.file_dialogs import ask_open_path
from ..widgets import bound
from .import_words import ERROR_STYLE

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


class FileStep(QWidget):
    """The file's path; « Parcourir… » picks one and emits ``picked`` (the dialog reads it at once)."""

    picked = Signal()

    def __init__(self) -> None:
        super().__init__()
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
        browse = QPushButton("&Parcourir…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fichier"))
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(
            QLabel("Colonnes reconnues d'office (les accents, majuscules et espaces ne comptent pas) :")
        )
        layout.addWidget(fields_table())
        layout.addStretch(1)

    def browse(self) -> None:
        path = ask_open_path(
            self,
            "Fichier des familles",
            "Fichiers CSV ou Excel (*.csv *.txt *.xlsx);;Tous les fichiers (*)",
            self.path.text(),
        )
        if path:
            self.path.setText(str(path))
            self.picked.emit()
