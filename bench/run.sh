#!/usr/bin/env bash
# The benchmark: glutil 1.0.0 (from PyPI) and our release binaries side by
# side on identically seeded moto labs with real-world latency.
# Usage: bench/run.sh [--latency-ms 25] [--cases a,b] [--json FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(scripts/moto-venv.sh bench/.venv bench/requirements.txt)"
cargo build --release --locked --bins >&2
exec "$python" bench/run.py "$@"
