#!/usr/bin/env bash
# The full test suite: unit tests, mocked-SDK tests and end-to-end tests of
# the real binaries against moto. Needs only the Rust toolchain and Python 3
# with venv/pip: moto is installed into .venv on first use and started on a
# free port (or set MOTO_ENDPOINT to use a running server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/moto-venv.sh >/dev/null
exec cargo test --workspace --locked "$@"
