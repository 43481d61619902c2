"""The licences of what the program needs to run, read from the installed packages' metadata, and whether each may
be combined with the project's GPL-3.0-or-later (eopayment, which the online payment uses, is GPL-3.0-or-later).

    python scripts/licences.py            # the table of docs/licences.md, on standard output
    python scripts/licences.py --write    # docs/licences.md written again

``tests/test_licences.py`` checks that every runtime dependency is compatible and listed in docs/licences.md."""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "guichet-enfance"
DOC = ROOT / "docs" / "licences.md"

COMPATIBLE = [
    # (what the metadata says, matched case-insensitively, and why it may be combined with GPL-3.0-or-later)
    (r"\bGPL-?3|GPLv3|GNU General Public License v3", "GPL 3 : la même licence"),
    (r"LGPL|Lesser General Public", "LGPL : bibliothèque utilisable par un programme GPL"),
    (r"Apache", "Apache 2.0 : compatible avec la GPL 3"),
    (r"\bMPL-?2|Mozilla Public License 2", "MPL 2.0 : compatible avec la GPL (MPL 2.0, § 3.3)"),
    (r"\bMIT\b|MIT-0|MIT-CMU", "MIT : permissive"),
    (r"\bBSD\b|BSD-[23]-Clause|BSD License", "BSD : permissive"),
    (r"\bISC\b", "ISC : permissive"),
    (r"PSF|Python Software Foundation", "PSF : permissive"),
    (r"Public Domain|Unlicense|CC0", "domaine public"),
    (r"HPND|Historical Permission", "HPND : permissive"),
]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_dependencies() -> dict[str, metadata.Distribution]:
    """Every distribution the installed project needs to run (its dependencies and theirs, without extras)."""
    found: dict[str, metadata.Distribution] = {}

    def walk(name: str) -> None:
        key = _key(name)
        if key in found:
            return
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return
        found[key] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                walk(requirement.name)

    walk(PROJECT)
    found.pop(PROJECT, None)
    return dict(sorted(found.items()))


def licence_of(dist: metadata.Distribution) -> str:
    """What the package says of its licence: the SPDX expression, else the licence field, else its classifiers."""
    meta = dist.metadata
    words = meta.get("License-Expression") or ""
    if not words:
        short = (meta.get("License") or "").strip().splitlines()
        words = short[0][:80] if short and len(short[0]) <= 80 else ""
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return words or " / ".join(classifiers) or "?"


def verdict(dist: metadata.Distribution) -> str | None:
    """Why the package may be combined with GPL-3.0-or-later; None when nothing in its metadata says so."""
    meta = dist.metadata
    texts = [meta.get("License-Expression") or "", (meta.get("License") or "")[:300]]
    texts += [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    for pattern, why in COMPATIBLE:
        if any(re.search(pattern, text, re.IGNORECASE) for text in texts):
            return why
    return None


def table() -> str:
    lines = ["| paquet | version | licence (d'après le paquet) | compatibilité |", "|---|---|---|---|"]
    for key, dist in runtime_dependencies().items():
        why = verdict(dist) or "**à vérifier**"
        lines.append(f"| {key} | {dist.version} | {licence_of(dist).replace('|', '/')} | {why} |")
    return "\n".join(lines)


def document() -> str:
    return (
        "# Licences\n\n"
        "Guichet Enfance est un logiciel libre sous licence **GPL-3.0-or-later** (texte complet : `COPYING`). "
        "Le paiement en ligne passe par eopayment (Entr'ouvert), distribué sous GPL-3.0-or-later ; ses fichiers "
        "sources portent un en-tête AGPL-3.0-or-later, que la GPL 3 (§ 13) permet de combiner : le portail famille "
        "offre donc aussi son code source à ses utilisateurs (page « /licence »).\n\n"
        "Ce qu'il faut au programme pour fonctionner, lu dans les paquets installés (`python scripts/licences.py "
        "--write` refait ce tableau ; `tests/test_licences.py` vérifie que chaque dépendance y est et qu'elle est "
        "compatible) :\n\n" + table() + "\n"
    )


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(document(), encoding="utf-8")
        print(DOC)
    else:
        print(table())
