#!/usr/bin/env bash
# Creates (once) a Python venv with pinned requirements, and prints its
# python. Usage: scripts/moto-venv.sh [VENV_DIR [REQUIREMENTS]]
# (defaults: .venv at the repo root with tests/fixtures/requirements.txt)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv}"
req="${2:-$root/tests/fixtures/requirements.txt}"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  cp "$req" "$stamp"
fi
echo "$venv/bin/python"
