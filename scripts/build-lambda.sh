#!/usr/bin/env bash
# Builds the Lambda function as AWS wants it: a stripped release binary
# named `bootstrap`, zipped, for the provided.al2023 runtime.
# Usage: scripts/build-lambda.sh [--arm64]
#   (default: this machine's architecture with plain cargo; --arm64 needs
#   cargo-lambda, which brings the cross-linker: cargo install cargo-lambda)
# Writes target/lambda/partitioner-lambda/bootstrap and bootstrap.zip.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/lambda/partitioner-lambda
mkdir -p "$out"
if [ "${1:-}" = "--arm64" ]; then
  cargo lambda build --release --locked -p partitioner-lambda --arm64
else
  cargo build --release --locked -p partitioner-lambda
  cp target/release/partitioner-lambda "$out/bootstrap"
fi
# The release profile strips symbols already; zip with Python, which every
# machine that runs the tests has.
python3 - "$out" <<'PY'
import os, sys, zipfile
out = sys.argv[1]
with zipfile.ZipFile(os.path.join(out, "bootstrap.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16  # executable, as Lambda needs it
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(os.path.join(out, "bootstrap"), "rb") as f:
        z.writestr(info, f.read())
PY
ls -l "$out/bootstrap" "$out/bootstrap.zip" >&2
