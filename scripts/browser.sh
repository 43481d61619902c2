#!/usr/bin/env bash
# The portal's browser test needs Debian's Chromium and its driver (as root: installed from Debian's packages) and
# axe-core (from the npm registry, into build/axe/). Usage: bash scripts/browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installation de Chromium et de son pilote (paquets Debian)…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "Attention : installez chromium et chromium-driver pour le test du portail dans un navigateur." >&2
  fi
fi
if [ ! -f build/axe/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  mkdir -p build/axe
  (cd build/axe && npm install --no-save --no-audit --no-fund --silent axe-core@4 >&2)
fi
