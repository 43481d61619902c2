"""The families' import with real towns' files (issue 29): it never invents or changes money, and says what is
wrong with a file in French instead of crashing or misleading."""

from __future__ import annotations

import pytest

from app.models import WalletKind
from app.services.setup.family_import import DEFAULT_HEADERS, ImportFileError, preview_import, read_source

HEADER = ";".join(DEFAULT_HEADERS)


def line(**cells: str) -> str:
    return ";".join(cells.get(h, "") for h in DEFAULT_HEADERS)


def family_line(child: str, **extra: str) -> str:
    base = {
        "famille": "Dupont",
        "responsable_nom": "Dupont",
        "responsable_prenom": "Hélène",
        "email": "dupont@example.org",
        "enfant_nom": "Dupont",
        "enfant_prenom": child,
        "enfant_naissance": "12/03/2018",
        "solde_alsh": "40,00",
    }
    return line(**(base | extra))


def preview(db, text: str, name: str = "familles.csv"):
    return preview_import(db, read_source(name, text.encode("cp1252")))


def test_lines_of_one_family_with_different_e_mails_are_rejected_together_never_two_balances(db):
    """One line with the e-mail, one without, one mistyped: one family, not three with 40,00 € each."""
    result = preview(
        db,
        "\r\n".join(
            [
                HEADER,
                family_line("Léa"),
                family_line("Tom", email=""),
                family_line("Zoé", email="dupont@exemple.org"),
            ]
        ),
    )
    assert result.balances.get(WalletKind.ALSH, 0) == 0 and not result.new_families
    assert result.rejected_lines == [2, 3, 4]
    message = " ".join(e.message for e in result.rejected)
    assert "e-mail" in message and "dupont@exemple.org" in message and "(vide)" in message


def test_two_balances_for_one_family_reject_it_and_one_balance_is_taken_once(db):
    result = preview(db, "\r\n".join([HEADER, family_line("Léa"), family_line("Tom", solde_alsh="45,00")]))
    assert not result.new_families and result.rejected_lines == [2, 3]
    assert "solde_alsh" in " ".join(e.column for e in result.rejected)
    assert "« 40,00 € » ligne 2, « 45,00 € » ligne 3" in " ".join(e.message for e in result.rejected).replace(
        "\xa0", " "
    )
    once = preview(db, "\r\n".join([HEADER, family_line("Léa"), family_line("Tom")]))
    assert once.balances == {WalletKind.ALSH: 4000} and len(once.new_families) == 1


def test_a_comma_file_with_unquoted_french_amounts_is_rejected_not_rounded(db):
    header = ",".join(DEFAULT_HEADERS)
    row = [
        "Martin",
        "Martin",
        "Paul",
        "",
        "",
        "",
        "",
        "",
        "",
        "Martin",
        "Léo",
        "01/02/2019",
        "CE1",
        "12,50",
        "81,40",
    ]
    result = preview(db, "\r\n".join([header, ",".join(row)]))
    assert not result.new_families and result.rejected_lines == [2]
    (error,) = result.rejected
    assert "17 cellules pour 15 colonnes" in error.message and "séparateur" in error.message


def test_a_file_of_empty_cells_or_only_headers_says_so(db):
    with pytest.raises(ImportFileError, match="aucune ligne d'en-têtes"):
        read_source("vide.csv", b";;;\r\n;;;\r\n")
    with pytest.raises(ImportFileError, match="aucune ligne de données"):
        preview(db, HEADER + "\r\n")


def test_a_repeated_column_is_refused_by_name(db):
    with pytest.raises(ImportFileError, match="« email » en double"):
        preview(db, HEADER + ";email\r\n" + family_line("Léa") + ";autre@example.org")


def test_a_negative_quotient_is_said_negative(db):
    result = preview(db, "\r\n".join([HEADER, family_line("Léa", quotient_familial="-350")]))
    assert "négatif" in result.rejected[0].message


def test_the_command_line_shows_a_progress_bar_on_a_terminal(monkeypatch, capsys):
    import sys

    from app.__main__ import _progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with _progress_bar("Import") as progress:
        for done in range(0, 10_001, 1000):
            progress(done, 10_000)
    err = capsys.readouterr().err
    assert "Import" in err and "10000/10000" in err and "lignes" in err


def test_a_file_number_in_famille_is_the_familys_reference_never_its_name(db):
    """Older software exports its file number in « famille »: the family is named after its responsible adult (or
    « nom_famille »), keeps the number as its reference, and is found by it."""
    from app.services.actors import system_actor
    from app.services.families.search import find_families
    from app.services.setup.family_import import import_families

    text = "\r\n".join(
        [
            HEADER,
            family_line("Léa", famille="1034", responsable_nom="Frédéric-Dupont"),
            family_line("Tom", famille="1034", responsable_nom="Frédéric-Dupont"),
            family_line("Zoé", famille="1035", responsable_nom="", responsable_prenom=""),
        ]
    )
    result = preview(db, text)
    assert [f.name for f in result.new_families] == ["FRÉDÉRIC-DUPONT"]
    assert [f.values["reference"] for f in result.new_families] == ["1034"]
    assert "numéro de dossier" in " ".join(e.message for e in result.rejected) and result.rejected_lines == [
        4
    ]
    with db.reading() as uow:
        system = system_actor(uow.session)  # the command line's
    import_families(db, system, read_source("f.csv", text.encode("cp1252")), skip_invalid=True)
    (found,) = find_families(db, "1034")
    assert found.name == "FRÉDÉRIC-DUPONT" and found.reference == "1034"
    from app.services.invariants import check
    from tests.helpers import balance

    assert check(db) == [] and balance(db, found.id) == 4000  # the file's opening balance, once
    again = preview(db, text)  # the same file again: the family is known by its number
    assert not again.new_families and len(again.existing_families) == 1


def test_a_separator_mix_up_and_a_stray_quote_are_said_as_such(db):
    """Lines saved with « , » under a header with « ; », and a stray quote that swallows the next cells: the line
    is refused for its cells, not for a « texte trop long » or a « nom du responsable manquant »."""
    comma_line = ",".join(
        ["Durand", "Durand", "Paul", "", "", "", "", "", "", "Durand", "Léo", "01/02/2019", "CE1"]
    )
    result = preview(db, "\r\n".join([HEADER, comma_line]))
    (error,) = result.rejected
    assert "1 cellules pour 15 colonnes" in error.message or "cellule" in error.message
    assert "trop long" not in error.message
    quoted = family_line("Léa", responsable_nom='"Dupont')
    result = preview(db, "\r\n".join([HEADER, quoted, family_line("Tom")]))
    assert result.rejected and all("cellules pour 15 colonnes" in e.message for e in result.rejected)
    assert "nom du responsable" not in " ".join(e.message for e in result.rejected)


def test_without_a_family_column_the_family_is_its_responsible_adults(db):
    headers = [h for h in DEFAULT_HEADERS if h != "famille"]
    rows = [
        {
            "responsable_nom": "Martin",
            "responsable_prenom": "Paul",
            "enfant_nom": "Martin",
            "enfant_prenom": "Léo",
            "enfant_naissance": "01/02/2019",
            "solde_alsh": "10,00",
        },
        {
            "responsable_nom": "Martin",
            "responsable_prenom": "Paul",
            "enfant_nom": "Martin",
            "enfant_prenom": "Zoé",
            "enfant_naissance": "03/04/2017",
            "solde_alsh": "10,00",
        },
        {
            "responsable_nom": "Martin",
            "responsable_prenom": "Claire",
            "enfant_nom": "Martin",
            "enfant_prenom": "Ana",
            "enfant_naissance": "05/06/2018",
        },
    ]
    text = "\r\n".join([";".join(headers), *(";".join(r.get(h, "") for h in headers) for r in rows)])
    result = preview(db, text)
    assert not result.rejected
    assert sorted((f.name, len(f.children)) for f in result.new_families) == [("MARTIN", 1), ("MARTIN", 2)]
    assert result.balances == {WalletKind.ALSH: 1000}  # Paul's balance, once
