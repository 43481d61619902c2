"""Under a French Windows' locale, where a file opened without an encoding and a child's pipes are cp1252: the school
holidays' names stored right, and the Windows-like pass (``scripts/windows_like.sh``) catching what went wrong
there before (issue 33). On Linux the locale is ``fr_FR.CP1252`` (the pass makes it); without it these tests are
skipped, unless ``GUICHET_REQUIRE_CP1252=1`` (the pass sets it)."""

from __future__ import annotations

import codecs
import importlib.util
import json
import locale
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import child_encoding

ROOT = Path(__file__).resolve().parents[1]
CP1252 = "fr_FR.CP1252"

ZONE_C_2026 = [
    "Pont de l'Ascension",
    "Vacances d'hiver",
    "Vacances d'été",
    "Vacances de Noël",
    "Vacances de la Toussaint",
    "Vacances de printemps",
]

HOLIDAYS = """
import codecs, json, locale, sys
assert codecs.lookup(locale.getencoding()).name == "cp1252", locale.getencoding()
from app.services.booking import calendar
if sys.argv[1] == "through-the-package":  # the code before issue 33: the package's class reads its CSV
    from vacances_scolaires_france import SchoolHolidayDates

    def through_the_package():
        source = SchoolHolidayDates()
        return {
            zone: {d: row["nom_vacances"] for d, row in source.data.items() if row[source.zone_key(zone)]}
            for zone in calendar.PACKAGE_HOLIDAY_ZONES
        }

    calendar._package_holiday_days = through_the_package
names = sorted({r.name for r in calendar.package_school_holidays("C", "2026-2027")})
print(json.dumps(names))  # in ASCII (\\u escapes): read the same whatever the encoding
"""


def cp1252_env() -> dict[str, str]:
    """This environment with a French Windows' encoding: on Linux the locale fr_FR.CP1252 and nothing that forces
    UTF-8; on Windows its own code page (skipped if it is not cp1252)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONWARNINGS", "LANGUAGE")}
    env["PYTHONUTF8"] = "0"
    if sys.platform != "win32":
        env.update(LANG=CP1252, LC_ALL=CP1252)
    seen = subprocess.run(
        [sys.executable, "-c", "import locale; print(locale.getencoding())"],
        capture_output=True,
        encoding="ascii",
        env=env,
        timeout=60,
    ).stdout.strip()
    if codecs.lookup(seen or "ascii").name != "cp1252":
        message = f"no cp1252 locale here (Python sees {seen!r}): bash scripts/windows_like.sh makes it"
        if os.environ.get("GUICHET_REQUIRE_CP1252") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return env


def holiday_names(env: dict[str, str], *options: str, how: str = "fixed") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", HOLIDAYS, how],
        cwd=ROOT,
        capture_output=True,
        encoding=child_encoding(env),
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


STRICT = ("-X", "warn_default_encoding", "-W", "error::EncodingWarning")


def test_the_school_holidays_names_are_right_under_the_cp1252_locale():
    result = holiday_names(cp1252_env(), *STRICT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ZONE_C_2026


def test_the_package_read_by_the_locale_is_what_the_pass_catches():
    """The set-up's holiday loading as it was (through the package's class, which opens its CSV in the locale's
    encoding): a mojibake stored without a word, and an error under the pass's warnings."""
    env = cp1252_env()
    before = holiday_names(env, how="through-the-package")
    assert before.returncode == 0, before.stderr
    names = json.loads(before.stdout)
    assert "Vacances de NoÃ«l" in names and "Vacances d'Ã©tÃ©" in names and "Vacances de Noël" not in names
    strict = holiday_names(env, *STRICT, how="through-the-package")
    assert strict.returncode != 0 and strict.stdout == ""
    assert "EncodingWarning" in strict.stderr and "vacances_scolaires_france" in strict.stderr, strict.stderr


def test_a_childs_output_is_read_in_the_childs_encoding():
    env = cp1252_env()
    assert codecs.lookup(child_encoding(env)).name == "cp1252"
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            # in ASCII: on Linux a child decodes its arguments in its locale's encoding
            r"import sys; print('No\u00ebl \u00e0 l\u2019\u00e9t\u00e9, \u00ab 13,00 \u20ac \u00bb'); "
            r"print('Erreur : \u00e9', file=sys.stderr)",
        ],
        capture_output=True,
        encoding=child_encoding(env),
        env=env,
        timeout=60,
    )
    assert shown.stdout == "Noël à l’été, « 13,00 € »\n" and shown.stderr == "Erreur : é\n"
    assert child_encoding({"PYTHONIOENCODING": "utf-8:strict"}) == "utf-8"
    assert child_encoding({"PYTHONUTF8": "1"}) == "utf-8"


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # found, not imported (pypdfium2_raw reads its file on import)
    assert spec is not None and spec.submodule_search_locations, name
    return Path(next(iter(spec.submodule_search_locations)))


def _openpyxl_temporary_file_is_empty() -> list[Path]:
    from openpyxl.worksheet._writer import create_temporary_file

    path = Path(create_temporary_file())
    try:
        assert path.read_bytes() == b""  # opened in text mode for its name only, closed at once
    finally:
        path.unlink()
    return [path]


HARMLESS_OPENS = {
    "pyuca.collator": lambda: sorted(_package_folder("pyuca").glob("allkeys-*.txt")),
    "pypdfium2_raw.version": lambda: [_package_folder("pypdfium2_raw") / "version.json"],
    "openpyxl.worksheet._writer": _openpyxl_temporary_file_is_empty,
}
"""The dependencies whose EncodingWarning the Windows-like pass lets through, and the files they open without an
encoding: files in ASCII, read the same under every locale; or a temporary file nothing is written to in text."""


def test_the_dependencies_opens_the_pass_lets_through_are_harmless():
    script = (ROOT / "scripts" / "windows_like.sh").read_text(encoding="utf-8")
    listed = re.search(r"^HARMLESS_OPENS=\((.*)\)$", script, re.M)
    assert listed is not None and sorted(listed.group(1).split()) == sorted(HARMLESS_OPENS)
    # the same list in scripts/test.ps1, for the child processes on Windows
    windows = (ROOT / "scripts" / "test.ps1").read_text(encoding="utf-8-sig")
    assert sorted(re.findall(r"ignore::EncodingWarning:([\w.]+)", windows)) == sorted(HARMLESS_OPENS)
    for module, files in HARMLESS_OPENS.items():
        found = files()
        assert found, module
        for path in found:
            assert not path.exists() or path.read_bytes().isascii(), path


def test_the_tests_own_files_stay_cp1252_once_qt_started(qapp):
    """Qt switched this process to UTF-8 when its application started (Linux only): conftest puts the run's locale
    back for each test, so that in the pass ``open()`` without an encoding is cp1252 as on Windows until the end."""
    from tests.conftest import LOCALE_ENCODING

    if codecs.lookup(LOCALE_ENCODING).name != "cp1252":
        cp1252_env()  # skips, or fails in the pass
        pytest.skip(f"the run's locale is {LOCALE_ENCODING}")
    assert codecs.lookup(locale.getencoding()).name == "cp1252"


@pytest.mark.parametrize(
    "message",
    [
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connexion refusée',
        'connection failed: connection to server at "srv", port 5432 failed: Aucune connexion n’a pu être établie',
        'connection failed: connection to server at "srv", port 5432 failed: timeout expired',
    ],
)
def test_an_unreachable_server_is_told_whatever_the_language_of_the_system(message):
    """libpq's words are English, the system's reason is in the PC's language (found by the cp1252 pass)."""
    from sqlalchemy.exc import OperationalError

    from app.db import _reason

    assert _reason(OperationalError("connect", {}, Exception(message))) == "serveur injoignable"
