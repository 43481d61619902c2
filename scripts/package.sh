#!/usr/bin/env bash
# Builds the one-folder program with PyInstaller and runs its self-test (temporary database migrated, main
# window built offscreen, "OK"). Usage: bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q -e ".[package]" 2>&1 | grep -v -i "warning\|ignored\|neither a file" || true
rm -rf build/guichet-enfance dist/guichet-enfance
.venv/bin/pyinstaller --noconfirm --log-level ERROR build.spec
QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="qt.qpa.*=false" dist/guichet-enfance/guichet-enfance --selftest
echo "Programme construit : dist/guichet-enfance/ ($(du -sh dist/guichet-enfance | cut -f1))"
