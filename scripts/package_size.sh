#!/usr/bin/env bash
# The packaged folder's size against its limit (issue #18), called by package.sh:
#   bash scripts/package_size.sh FOLDER MAX_MB
# Counts the files' sizes (links not followed) in megabytes of 10^6 bytes, as the benchmark and package.ps1 do;
# prints it, and above the limit lists the biggest parts and fails.
set -euo pipefail
folder=$1
max_mb=$2
size_bytes=$(find "$folder" -type f -printf '%s\n' | awk '{ total += $1 } END { printf "%d", total }')
size_mb=$(awk -v bytes="$size_bytes" 'BEGIN { printf "%.0f", bytes / 1e6 }')
echo "Programme construit : $folder/ (${size_mb} Mo, limite ${max_mb} Mo)"
if [ "$size_bytes" -gt $((max_mb * 1000000)) ]; then
  echo "Erreur : le programme empaqueté pèse ${size_mb} Mo, plus que la limite de ${max_mb} Mo. Les plus gros :" >&2
  find "$folder" -mindepth 1 -maxdepth 2 -exec du -s -l --apparent-size -B 1000000 {} + | sort -n | tail -15 >&2
  exit 1
fi
