"""French counted nouns (app/text.py): CLDR's rule, 0 and 1 in the singular."""

from __future__ import annotations

import pytest

from app.text import count, plural


def test_zero_and_one_take_the_singular_two_and_more_the_plural():
    assert count(0, "place") == "0 place"
    assert count(1, "place") == "1 place"
    assert count(2, "place") == "2 places"
    assert count(1_000_000, "place") == "1000000 places"
    assert plural(-1, "jour") == "jour" and plural(-3, "jour") == "jours"


def test_a_noun_of_several_words_with_its_plural():
    assert count(1, "jour copié", "jours copiés") == "1 jour copié"
    assert count(5, "jour copié", "jours copiés") == "5 jours copiés"
    assert count(2, "compte-rendu", "comptes-rendus") == "2 comptes-rendus"
    assert plural(0, "demande en cours", "demandes en cours") == "demande en cours"


def test_a_noun_of_several_words_needs_its_plural():
    with pytest.raises(ValueError, match="jour copié"):
        count(2, "jour copié")
    with pytest.raises(ValueError):
        plural(1, "ligne rejetée")  # even when the singular would do: the call is wrong whatever the number


def test_no_message_of_the_program_says_s_in_brackets():
    """« jour(s) copié(s) » and the like are gone from every text the program shows or writes: each counted
    noun goes through ``count`` / ``plural``."""
    import io
    import re
    import tokenize
    from pathlib import Path

    bracketed = re.compile(r"\w\((?:s|es|x)\)(?=[\s.,;:!?»'\"]|$)")  # « Né(e) » is not a plural: kept
    found = []
    for path in sorted(Path("app").rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.STRING and bracketed.search(token.string):
                found.append(f"{path}:{token.start[0]}: {token.string[:60]}")
    assert not found, "\n".join(found)


def test_amounts_in_letters_as_a_regie_writes_them():
    from app.text import amount_in_words

    assert amount_in_words(6200) == "soixante-deux euros"
    assert amount_in_words(100) == "un euro"
    assert amount_in_words(13850) == "cent trente-huit euros et cinquante centimes"
    assert amount_in_words(2101) == "vingt et un euros et un centime"
    assert amount_in_words(8080) == "quatre-vingts euros et quatre-vingts centimes"
    assert amount_in_words(50) == "cinquante centimes"
    assert amount_in_words(0) == "zéro euro"
    assert amount_in_words(100_000_000) == "un million d'euros"
    assert amount_in_words(-200) == "moins deux euros"


def test_names_sort_as_a_french_reader_expects():
    from app.text import collation_key

    names = [
        "Zoé",
        "ÉLUARD",
        "Maëlys",
        "Élise",
        "Œdipe",
        "Emma",
        "eric",
        "Adam",
        "Ángel",
        "Nguyễn",
        "Ngô",
        "Ødegaard",
    ]
    assert sorted(names, key=collation_key) == [
        "Adam",
        "Ángel",
        "Élise",
        "ÉLUARD",
        "Emma",
        "eric",
        "Maëlys",
        "Ngô",
        "Nguyễn",
        "Ødegaard",
        "Œdipe",
        "Zoé",
    ]
    assert sorted(names) != sorted(names, key=collation_key)  # code points put « É » and « Œ » after « Z »
