#!/usr/bin/env bash
# Builds the one-folder program with PyInstaller (guichet-enfance, and guichet-enfance-cli, the command line: on
# Linux a link to the same program), runs its self-test (temporary database migrated, main window built offscreen,
# "OK"), asks the command line its version, and checks its size: at most MAX_MB megabytes (10^6 bytes, the files'
# sizes, as the benchmark counts them; issue #18), else it fails.
# Usage: bash scripts/package.sh   (needs gcc and binutils: build.spec strips the binaries and rebuilds ICU's data)
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_MB=150
if ! command -v gcc >/dev/null || ! command -v readelf >/dev/null || ! command -v strip >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq gcc binutils >/dev/null
  fi
fi
for tool in gcc readelf strip; do
  command -v "$tool" >/dev/null || { echo "Erreur : $tool est introuvable (paquets gcc et binutils)." >&2; exit 1; }
done
bash scripts/setup.sh
.venv/bin/python -m pip install -q -e ".[package]" 2>&1 | grep -v -i "warning\|ignored\|neither a file" || true
rm -rf build/build dist/guichet-enfance
.venv/bin/pyinstaller --noconfirm --log-level ERROR build.spec
QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="qt.qpa.*=false" dist/guichet-enfance/guichet-enfance --selftest
# The console program beside it (guichet-enfance-cli: the command line, the nightly task) answers too.
cli_version=$(dist/guichet-enfance/guichet-enfance-cli --version) || {
  echo "Erreur : dist/guichet-enfance/guichet-enfance-cli --version a échoué." >&2
  exit 1
}
case "$cli_version" in
  "Guichet Enfance "*) echo "Programme en ligne de commande : $cli_version" ;;
  *) echo "Erreur : guichet-enfance-cli --version affiche « $cli_version »." >&2; exit 1 ;;
esac
bash scripts/package_size.sh dist/guichet-enfance "$MAX_MB"
