"""pytest-qt: the "Familles" panel on demo data — importing a file in three steps (file, columns, preview) off the
GUI thread, with rejected and duplicate lines, columns chosen by hand, unreadable files; exporting."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from sqlalchemy import func, select

from app.models import Family, LedgerEntry, LedgerKind, Wallet, WalletKind
from app.services.sealing import opened
from app.services.setup.family_import import FIELDS, LineError, guess_mapping
from app.ui.setup.import_dialog import FamiliesPanel
from tests.test_admin_gui import _window

HEADERS = [
    "Nom de famille",
    "Nom responsable",
    "Prénom responsable",
    "E-mail",
    "Téléphone",
    "Code postal",
    "Ville",
    "QF",
    "Nom enfant",
    "Prénom enfant",
    "Date de naissance",
    "Niveau",
    "Solde ALAE",
    "Solde ALSH",
]
GUIMBAUD = [
    "Guimbaud",
    "Guimbaud",
    "Claire",
    "claire.guimbaud@example.org",
    "05 63 12 34 56",
    "82700",
    "Montech",
    "850",
]
BERTRANDOU = ["Bertrandou", "Bertrandou", "Paul", "paul.bertrandou@example.org", "", "82700", "Montech", ""]


def _csv(path, rows, headers=HEADERS) -> str:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return str(path)


def _town_file(path) -> str:
    """Two families (one with two children) with balances; line 5 rejected; line 6 repeats line 2."""
    return _csv(
        path,
        [
            GUIMBAUD + ["Guimbaud", "Léa", "14/03/2018", "CE1", "12,50", "-3,00"],
            GUIMBAUD + ["Guimbaud", "Hugo", "2016-05-02", "CM1", "12,50", "-3,00"],
            BERTRANDOU + ["Bertrandou", "Chloé", "01/09/2019", "GS", "", "20,00"],
            ["Erreur", "", "", "", "", "82700", "Montech", "", "Erreur", "Jules", "31/02/2019", "", "", ""],
            GUIMBAUD + ["Guimbaud", "Léa", "14/03/2018", "CE1", "12,50", "-3,00"],
        ],
    )


def _panel(qtbot, db):
    window = _window(qtbot, db)
    window.ops.asynchronous = True  # reading, checking, importing and exporting run on a worker thread
    panel = FamiliesPanel(window.ctx)
    qtbot.addWidget(panel)
    panel.show()
    return window, panel


def _idle(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.task, timeout=20_000)


def _families(db) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).select_from(Family))


def _to_preview(qtbot, panel, path):
    dialog = panel.open_import()
    dialog.path.setText(path)
    dialog.next_button.click()
    _idle(qtbot, dialog)
    assert dialog.stack.currentIndex() == 1, dialog.file_error.text()
    dialog.next_button.click()
    _idle(qtbot, dialog)
    assert dialog.stack.currentIndex() == 2, dialog.mapping_error.text()
    return dialog


def _opening_entries(db, name: str) -> dict[WalletKind, tuple[int, str]]:
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Wallet.kind, LedgerEntry.amount_cents, LedgerEntry.label)
            .join(Wallet)
            .join(Family)
            .where(Family.name == name, LedgerEntry.kind == LedgerKind.OPENING)
        ).all()
        return {kind: (cents, opened(uow.session, label)) for kind, cents, label in rows}  # labels are sealed


def test_preview_shows_rejected_and_duplicate_lines_then_import_without_them_then_nothing_twice(
    qtbot, demo_rw, tmp_path
):
    window, panel = _panel(qtbot, demo_rw)
    before = _families(demo_rw)
    dialog = panel.open_import()
    assert dialog.step.text() == "Étape 1 sur 3 : le fichier" and not dialog.import_button.isVisible()
    dialog.path.setText(_town_file(tmp_path / "familles.csv"))
    dialog.next_button.click()
    _idle(qtbot, dialog)

    # step 2: the French headers are recognised, the cantine balance is absent from the file
    assert dialog.stack.currentIndex() == 1
    mapping = dialog.mapping()
    assert mapping["famille"] == 0 and mapping["enfant_naissance"] == 10 and mapping["solde_alsh"] == 13
    assert [k for k, v in mapping.items() if v is None] == ["nom_famille", "adresse", "solde_cantine"]
    assert dialog.combos["famille"].currentText() == "Nom de famille"
    assert "5 lignes de données" in dialog.file_info.text() and dialog.sample.rowCount() == 5
    dialog.next_button.click()
    _idle(qtbot, dialog)

    # step 3: the preview; nothing written yet
    assert dialog.stack.currentIndex() == 2
    assert dialog.rejected_rows.rows == [LineError(5, "Date de naissance", "date impossible « 31/02/2019 »")]
    assert [(d.line, d.message) for d in dialog.duplicate_rows.rows] == [
        (6, "même enfant que la ligne 2 (Léa Guimbaud)")
    ]
    assert [f.name for f in dialog.new_rows.rows] == ["GUIMBAUD", "BERTRANDOU"]
    assert dialog.new_rows.data(dialog.new_rows.index(0, 3)) == "ALAE 12,50\xa0€ ; ALSH −3,00\xa0€"
    tabs = [dialog.preview_tabs.tabText(i) for i in range(dialog.preview_tabs.count())]
    assert tabs == ["Lignes rejetées (1)", "Lignes en double ignorées (1)", "Familles déjà connues (0)"]
    assert dialog.preview_tabs.currentIndex() == 0 and dialog.new_title.text() == "Familles à créer (2)"
    assert "- 2 familles à créer, 3 enfants à créer" in dialog.summary.text()
    assert not dialog.import_button.isEnabled() and dialog.skip_invalid.isVisible()
    assert _families(demo_rw) == before

    dialog.skip_invalid.setChecked(True)
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(window.ops.changed, timeout=20_000):
        dialog.import_button.click()
        assert dialog.task == "import" and not dialog.close_button.isEnabled()
    _idle(qtbot, dialog)
    assert dialog.stack.currentIndex() == 3
    result = dialog.result_text.text()
    assert "Import terminé : 2 familles et 3 enfants créés, 0 famille déjà connue." in result
    assert "1 ligne rejetée non importée." in result and dialog.left_out_view.isVisible()
    assert panel.status.text() == result
    assert _families(demo_rw) == before + 2
    label = f"Solde repris (import du {date(2026, 11, 26):%d/%m/%Y})"
    assert _opening_entries(demo_rw, "GUIMBAUD") == {
        WalletKind.ALAE: (1250, label),
        WalletKind.ALSH: (-300, label),
    }
    assert _opening_entries(demo_rw, "BERTRANDOU") == {WalletKind.ALSH: (2000, label)}
    dialog.close_button.click()

    # the same file again: everything is known, nothing to import
    again = _to_preview(qtbot, panel, str(tmp_path / "familles.csv"))
    assert again.new_rows.rows == [] and [f.name for f in again.known_rows.rows] == ["GUIMBAUD", "BERTRANDOU"]
    again.skip_invalid.setChecked(True)
    assert not again.import_button.isEnabled()
    assert again.preview_note.text().startswith("Rien à importer")
    assert _families(demo_rw) == before + 2
    assert window.messages == []


def test_a_workbook_with_other_headers_is_mapped_by_hand(qtbot, demo_rw, tmp_path):
    window, panel = _panel(qtbot, demo_rw)
    book = Workbook()
    sheet = book.active
    sheet.title = "Inscrits"
    sheet.append(
        ["Ménage", "Courriel du foyer", "Élève : nom", "Élève : prénom", "Né(e) le", "Crédit mercredi"]
    )
    sheet.append(["Lacombe", "lacombe@example.org", "Lacombe", "Emma", date(2018, 6, 1), 15])
    sheet.append(["Lacombe", "lacombe@example.org", "Lacombe", "Tom", date(2020, 1, 20), 15])
    sheet.append(["Rouquette", "", "Rouquette", "Zoé", "2017-11-30", None])
    path = tmp_path / "inscrits.xlsx"
    book.save(path)

    dialog = panel.open_import()
    dialog.path.setText(str(path))
    dialog.next_button.click()
    _idle(qtbot, dialog)
    assert dialog.stack.currentIndex() == 1
    assert "Excel, feuille « Inscrits »" in dialog.file_info.text()
    assert all(v is None for v in dialog.mapping().values())
    dialog.next_button.click()  # the required columns are not chosen yet
    assert dialog.stack.currentIndex() == 1 and dialog.task == ""
    assert dialog.mapping_error.text() == (
        "Choisissez la colonne du fichier pour : « Famille (nom ou n° de dossier) », « Nom de l'enfant », "
        "« Prénom de l'enfant », « Date de naissance » (obligatoire)."
    )
    assert dialog.field_labels["famille"].styleSheet() != dialog.field_labels["email"].styleSheet()

    for key, header in (
        ("famille", "Ménage"),
        ("email", "Courriel du foyer"),
        ("enfant_nom", "Élève : nom"),
        ("enfant_prenom", "Élève : nom"),
        ("enfant_naissance", "Né(e) le"),
        ("solde_alae", "Crédit mercredi"),
    ):
        dialog.set_column(key, header)
    assert dialog.combos["famille"].toolTip() == "ex. « Lacombe »"
    dialog.next_button.click()
    assert dialog.mapping_error.text() == (
        "La colonne « Élève : nom » est choisie pour « Nom de l'enfant » et « Prénom de l'enfant » : "
        "une colonne ne sert qu'à une information."
    )
    dialog.combos["enfant_prenom"].setCurrentIndex(dialog.combos["enfant_prenom"].findText("Élève : prénom"))
    dialog.next_button.click()
    _idle(qtbot, dialog)
    assert dialog.stack.currentIndex() == 2
    assert dialog.rejected_rows.rows == [] and dialog.skip_invalid.isHidden()
    assert dialog.new_title.text() == "Familles à créer (2)"
    assert dialog.import_button.isEnabled()
    dialog.import_button.click()
    _idle(qtbot, dialog)
    assert "Import terminé : 2 familles et 3 enfants créés" in dialog.result_text.text()
    assert not dialog.left_out_view.isVisible()
    assert _opening_entries(demo_rw, "LACOMBE")[WalletKind.ALAE][0] == 1500
    with demo_rw.reading() as uow:
        family = uow.session.scalar(select(Family).where(Family.name == "LACOMBE"))
        assert family.email == "lacombe@example.org"
        assert sorted(c.first_name for c in family.children) == ["Emma", "Tom"]
    assert window.messages == []


def test_unreadable_files_give_a_french_message_and_nothing_is_written(qtbot, demo_rw, tmp_path):
    _window_, panel = _panel(qtbot, demo_rw)
    before = _families(demo_rw)
    fake = tmp_path / "familles.xlsx"
    fake.write_bytes(b"famille;enfant_nom\nDupont;Dupont\n")
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    piped = tmp_path / "tubes.csv"
    piped.write_text("famille|enfant_nom|enfant_prenom\nDupont|Dupont|Léa\n", encoding="utf-8")
    dialog = panel.open_import()
    for path, message in (
        (fake, "Le fichier « familles.xlsx » n'est pas un classeur Excel (.xlsx) lisible."),
        (empty, "Le fichier « vide.csv » est vide."),
        (
            piped,
            "Ligne 1 (en-têtes) : séparateur de colonnes non reconnu ; les colonnes doivent être séparées "
            "par « ; » ou « , » (enregistrez le fichier au format CSV).",
        ),
        (
            tmp_path / "absent.csv",
            "Impossible de lire le fichier « absent.csv » : fichier ou dossier introuvable.",
        ),
    ):
        dialog.read_file(str(path))
        _idle(qtbot, dialog)
        assert dialog.stack.currentIndex() == 0
        assert dialog.file_error.text() == message
    dialog.path.clear()
    dialog.next_button.click()
    assert dialog.file_error.text() == "Choisissez d'abord un fichier."
    assert _families(demo_rw) == before and dialog.table is None


def test_export_writes_every_family_in_the_import_format(qtbot, demo_rw, tmp_path):
    _window_, panel = _panel(qtbot, demo_rw)
    target = tmp_path / "familles.csv"
    panel.export(str(target))
    qtbot.waitUntil(lambda: "exportée" in panel.status.text(), timeout=20_000)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == [f.key for f in FIELDS]
    assert all(v is not None for v in guess_mapping(rows[0]).values())  # the import reads it back as is
    lines = f"{len(rows) - 1:,}".replace(",", "\u202f")
    assert (
        len(rows) - 1 > 1
        and panel.status.text() == f"{lines} lignes exportées (une par enfant) dans « {target} »."
    )
    assert panel.export_button.isEnabled()

    panel.export(str(tmp_path / "absent" / "familles.csv"))
    qtbot.waitUntil(lambda: "Impossible" in panel.status.text(), timeout=20_000)
    assert panel.status.text().endswith(
        ": le dossier n'existe pas. Rien n'a été modifié : choisissez un autre dossier ou un autre nom."
    )
    assert not (tmp_path / "absent").exists()
