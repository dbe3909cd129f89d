#!/usr/bin/env bash
# A demo on a local moto: seeds a table with a week of hourly data, runs the
# partitioner as a dry run and for real, then shows the catalog. Needs only
# the Rust toolchain and Python 3; nothing touches AWS.
#
# Usage: scripts/demo.sh [--keep]
#   --keep  leave the local moto running after the demo and print the
#           variables that point the commands at it, to try them by hand
set -euo pipefail
cd "$(dirname "$0")/.."
keep=""
if [ "${1:-}" = "--keep" ]; then keep="--stay"; fi
python="$(scripts/moto-venv.sh)"
# `partitioner` is a launcher of `glutil`, which holds the code: build both.
cargo build --release --locked --bin glutil --bin partitioner

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The server exits by itself when this script does (unless --keep).
"$python" tests/fixtures/moto_lab.py --latency-ms 0 $keep > "$work/port" &
lab_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(awk '{print $2}' "$work/port")"
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
unset AWS_PROFILE
echo "moto is listening on $AWS_ENDPOINT_URL"

"$python" scripts/seed_hourly.py --endpoint "$AWS_ENDPOINT_URL" --days 7

echo; echo '$ partitioner demo events --dry-run   (first lines)'
target/release/partitioner demo events --dry-run | sed -n '1,3p;$p'
echo '...'
target/release/partitioner demo events --dry-run | tail -n 6

echo; echo '$ partitioner demo events'
target/release/partitioner demo events -q

echo; echo '$ partitioner demo events   (again: nothing to do)'
target/release/partitioner demo events -q

echo; echo 'The catalog now holds:'
"$python" - <<'PY'
import os, boto3
glue = boto3.client("glue", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
parts = []
for page in glue.get_paginator("get_partitions").paginate(DatabaseName="demo", TableName="events"):
    parts += page["Partitions"]
parts.sort(key=lambda p: p["Values"])
print(f"{len(parts)} partitions, e.g.")
for p in parts[:3] + parts[-1:]:
    print(" ", p["Values"], p["StorageDescriptor"]["Location"])
PY

if [ -n "$keep" ]; then
  echo
  echo "moto keeps running; to use it from this shell:"
  echo "  export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo"
  echo "  target/release/glutil list-missing demo events"
  echo "stop it with: kill $lab_pid"
fi

