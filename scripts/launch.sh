#!/usr/bin/env bash
# Installs what is needed, then launches Guichet Enfance. With no --db, the local database is created with the
# demonstration data on the first run. Extra arguments go to `python -m app` (e.g. --db URL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "Pas d'écran : la fenêtre est ouverte hors écran (QT_QPA_PLATFORM=offscreen) et fermée aussitôt." >&2
  export QT_QPA_PLATFORM=offscreen
  exec .venv/bin/python -m app gui --selftest "$@"
fi
exec .venv/bin/python -m app "$@"
