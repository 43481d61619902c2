#!/usr/bin/env bash
# A Windows-like pass on Linux (issue 33): the tests that touch files, text, child processes, the command line, the
# import, the PDFs and the set-up, under a French Windows' locale (fr_FR.CP1252: the default encoding of open(),
# of the pipes and of a child's output is cp1252, as on a town hall's PC), with Python's warning on a text file
# opened without an encoding made an error everywhere, in the dependencies we call too (pyproject.toml makes it one
# in our own code only). About a minute. Usage: bash scripts/windows_like.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

# The locale, made once (as root from Debian's `locales` package when localedef is missing).
if ! locale -a 2>/dev/null | grep -qix 'fr_FR\.cp1252'; then
  if ! command -v localedef >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installation des locales (paquet Debian locales)…" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq locales >/dev/null
    else
      echo "Erreur : localedef manque (paquet locales) pour créer la locale fr_FR.CP1252." >&2
      exit 1
    fi
  fi
  localedef -i fr_FR -f CP1252 fr_FR.CP1252
fi

unset PYTHONIOENCODING LANGUAGE
export LANG=fr_FR.CP1252 LC_ALL=fr_FR.CP1252
export PYTHONUTF8=0
export QT_QPA_PLATFORM=offscreen

# Fail loudly when Python does not see cp1252 (a locale missing falls back to C.UTF-8 without a word).
.venv/bin/python - <<'EOF'
import codecs, locale, sys
seen = {
    "locale.getpreferredencoding(False)": locale.getpreferredencoding(False),
    "sys.stdout.encoding": sys.stdout.encoding,
    "sys.flags.utf8_mode": sys.flags.utf8_mode,
}
if codecs.lookup(seen["locale.getpreferredencoding(False)"]).name != "cp1252" or codecs.lookup(
    seen["sys.stdout.encoding"]
).name != "cp1252" or seen["sys.flags.utf8_mode"]:
    sys.exit(f"Erreur : Python ne voit pas cp1252 sous LC_ALL=fr_FR.CP1252 : {seen}")  # in ASCII: printed in cp1252
print(f"fr_FR.CP1252 : {seen}")
EOF

# The child processes warn too (as scripts/test.ps1 makes them), and a warning of theirs is an error: the command
# stops with a traceback the test sees. The EncodingWarnings let through are those of dependencies that open a file
# whose reading no locale changes (tests/test_cp1252_locale.py checks they still are): pyuca's collation table and
# pypdfium2's version.json are ASCII, openpyxl opens a temporary file in text mode for its name only. Later filters
# win.
HARMLESS_OPENS=(pyuca.collator pypdfium2_raw.version openpyxl.worksheet._writer)
export PYTHONWARNDEFAULTENCODING=1
PYTHONWARNINGS=error::EncodingWarning
for module in "${HARMLESS_OPENS[@]}"; do PYTHONWARNINGS+=",ignore::EncodingWarning:$module"; done
export PYTHONWARNINGS
# Qt on Linux (not on Windows) warns in its default category on stderr that it switches a non-UTF-8 locale to
# C.UTF-8: the commands' one-line errors would have four lines more.
export QT_LOGGING_RULES="qt.qpa.*=false;default.warning=false"
export GUICHET_REQUIRE_CP1252=1  # tests/test_cp1252_locale.py fails instead of skipping without the locale

# The same filters for Python itself and for pytest: pytest's -W filters come after pyproject.toml's (which ignore
# the dependencies' EncodingWarnings), and win.
WARNINGS=(-W error::EncodingWarning)
for module in "${HARMLESS_OPENS[@]}"; do WARNINGS+=(-W "ignore::EncodingWarning:$module"); done

# By file, those that read or write files and text, start processes or print, each in seconds; without the tests
# marked posix_only, which Windows skips (bash, /proc, chattr, readelf...).
TESTS=(
  tests/test_cp1252_locale.py
  tests/test_encodings.py
  tests/test_windows_town_hall_pc.py
  tests/test_windows_files.py
  tests/test_cli.py
  tests/test_import_real_town_files.py
  tests/test_documents.py
  tests/test_reservation_sheet.py
  tests/test_setup_services.py
  tests/test_town_setup.py
  tests/test_french_formats.py
  tests/test_text.py
  tests/test_end_of_day.py
  tests/test_pdf_names.py
  tests/test_packaging.py
  tests/test_startup.py
  tests/test_rules_pure.py
  tests/test_layering.py
  tests/test_worker.py
  tests/test_windows_start.py
  tests/test_windows_counter_start.py
  tests/test_tax_certificates.py
  tests/test_caf_hours.py
  tests/test_cheque_deposits.py
  tests/test_health_file.py
)
echo "=== tests sous la locale fr_FR.CP1252 (EncodingWarning = erreur, dépendances comprises) ==="
exec .venv/bin/python -X warn_default_encoding "${WARNINGS[@]}" -m pytest -p no:cacheprovider --backend sqlite \
  -m "not posix_only" "${WARNINGS[@]}" "$@" "${TESTS[@]}"
