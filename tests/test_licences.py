"""The project is GPL-3.0-or-later (issue 26: eopayment is): every package it needs to run has a licence that may be
combined with it, and docs/licences.md lists the project's own dependencies with their licences."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("licences", ROOT / "scripts" / "licences.py")
licences = importlib.util.module_from_spec(spec)
spec.loader.exec_module(licences)


def test_the_project_is_gpl_3_or_later_with_its_licence_text():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "GPL-3.0-or-later" and project["license-files"] == ["COPYING"]
    text = (ROOT / "COPYING").read_text(encoding="utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "GPL-3.0-or-later" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_runtime_dependency_has_a_licence_compatible_with_the_gpl_3():
    found = licences.runtime_dependencies()
    assert "eopayment" in found and "pyside6-essentials" in found and len(found) > 40
    unknown = {
        name: licences.licence_of(dist) for name, dist in found.items() if licences.verdict(dist) is None
    }
    assert unknown == {}


def test_docs_licences_lists_every_direct_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = set(
        re.findall(r"^\| ([a-z0-9-]+) \|", (ROOT / "docs" / "licences.md").read_text(encoding="utf-8"), re.M)
    )
    direct = {licences._key(Requirement(text).name) for text in project["dependencies"]}
    assert direct - listed == set()
