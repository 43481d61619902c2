#!/usr/bin/env bash
# Installs what Guichet Enfance needs into ./.venv (Python packages from PyPI; on Debian/Ubuntu as root,
# the few system libraries Qt needs). Usage: bash scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

qt_system_libs=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 fonts-dejavu-core)

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv .venv
    else
      echo "Erreur : le module venv de Python est absent (paquet python3-venv)." >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v -i "^warning" || true
.venv/bin/python -m pip install -q -e ".${extras}" 2>&1 | grep -v -i "warning\|ignored\|neither a file" || true
.venv/bin/python -c "import app, sqlalchemy, PySide6" # fails loudly if the install failed

# Qt needs a few shared libraries that a minimal system may lack.
if ! QT_QPA_PLATFORM=offscreen .venv/bin/python -c "from PySide6.QtWidgets import QApplication; QApplication([])" \
  >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installation des bibliothèques système de Qt…"
    apt-get update -qq && apt-get install -y -qq "${qt_system_libs[@]}" >/dev/null
  else
    echo "Attention : Qt ne démarre pas ; installez : ${qt_system_libs[*]}" >&2
  fi
fi
