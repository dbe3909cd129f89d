"""query-1m: one Athena result of 1,000,000 rows x 8 typed columns, read
to the end by each tool, on the moto lab at real-world latency with
GetQueryResults pages of 1,000 rows (as Athena serves them) and the result
file written where Athena writes it (`<output>/<query-id>.csv`).

Tools, each in a process of its own, each reading the same injected
result (the lab's queue gives every new query the next copy):

- ours, `query --via auto` (the first page, then the result file) and
  `--via results` (GetQueryResults only), CSV to a file;
- PyAthena 4: `Cursor` (pages GetQueryResults), `PandasCursor` and
  `ArrowCursor` (read the result file);
- aws-sdk-pandas: `wr.athena.read_sql_query(..., ctas_approach=False)`
  (reads the result file), when it runs on the lab.

Printed: wall time, requests by operation, peak memory, rows read, and
each peer's time against ours (auto) in the same run.

    bench/.venv/bin/python bench/query_bench.py [--latency-ms 25] [--rows 1000000]
"""
import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the bench's lab and process timing)

GLUTIL = bench.ROOT / "target" / "release" / "glutil"
BUCKET = "athena-results"
OUTPUT = f"s3://{BUCKET}/bench/"
SQL = "SELECT * FROM trades"

COLUMNS = [
    ["trade_id", "bigint"],
    ["ts", "timestamp"],
    ["symbol", "varchar"],
    ["price", "double"],
    ["qty", "integer"],
    ["buy", "boolean"],
    ["amount", "decimal", 12, 2],
    ["day", "date"],
]


def rows(count: int) -> list:
    """Deterministic trades, a NULL now and then and a quote or comma in
    some symbols (so the file needs Athena's quoting)."""
    rng = random.Random(7)
    start = datetime.datetime(2024, 1, 1)
    symbols = ["AAPL", "MSFT", "BRK,B", 'Q"X', "TSLA", "AMZN", "NVDA", "GOOG"]
    out = []
    for i in range(count):
        ts = start + datetime.timedelta(seconds=i * 3)
        price = round(rng.uniform(10, 500), 4)
        qty = rng.randint(1, 5000)
        out.append([
            str(i),
            ts.strftime("%Y-%m-%d %H:%M:%S.000"),
            symbols[i % len(symbols)],
            repr(price),
            None if i % 97 == 0 else str(qty),
            "true" if i % 2 else "false",
            f"{price * qty:.2f}",
            ts.strftime("%Y-%m-%d"),
        ])
    return out


PYATHENA = """
import sys, os
from pyathena import connect
kind = sys.argv[1]
kw = dict(s3_staging_dir=os.environ["OUTPUT"], region_name="us-east-1", schema_name="default")
if kind == "cursor":
    from pyathena.cursor import Cursor as C
elif kind == "pandas":
    from pyathena.pandas.cursor import PandasCursor as C
else:
    from pyathena.arrow.cursor import ArrowCursor as C
    # pyarrow's S3 client takes no endpoint from the environment: point
    # it at the lab as a user would point it at a private endpoint.
    import pyarrow.fs as pafs
    plain = pafs.S3FileSystem
    pafs.S3FileSystem = lambda **kw: plain(endpoint_override=os.environ["AWS_ENDPOINT_URL"], **kw)
cursor = connect(cursor_class=C, **kw).cursor()
cursor.execute(os.environ["SQL"])
if kind == "cursor":
    n = 0
    while True:
        batch = cursor.fetchmany(10000)
        if not batch:
            break
        n += len(batch)
elif kind == "pandas":
    n = len(cursor.as_pandas())
else:
    n = cursor.as_arrow().num_rows
print(n)
"""

WRANGLER = """
import os
import awswrangler as wr
frame = wr.athena.read_sql_query(os.environ["SQL"], database="default", ctas_approach=False,
                                 s3_output=os.environ["OUTPUT"], keep_files=True)
print(len(frame))
"""


def tools(out_file: str) -> dict:
    python = sys.executable
    return {
        "glutil query (auto)": [str(GLUTIL), "query", SQL, "--output-location", OUTPUT, "--output", "csv", "-q"],
        "glutil query --via results": [str(GLUTIL), "query", SQL, "--output-location", OUTPUT, "--output", "csv", "-q", "--via", "results"],
        "PyAthena Cursor": [python, "-c", PYATHENA, "cursor"],
        "PyAthena PandasCursor": [python, "-c", PYATHENA, "pandas"],
        "PyAthena ArrowCursor": [python, "-c", PYATHENA, "arrow"],
        "aws-sdk-pandas": [python, "-c", WRANGLER],
    }


def rows_read(name: str, run: dict) -> int:
    text = run["stdout"]
    if name.startswith("glutil"):
        return max(0, text.count("\n") - 1) if run["exit_code"] == 0 else 0
    try:
        return int(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", help="comma-separated tool names (substring match)")
    args = parser.parse_args()
    data = rows(args.rows)
    chosen = tools("")
    if args.only:
        wanted = args.only.split(",")
        chosen = {k: v for k, v in chosen.items() if any(w in k for w in wanted)}
    results = {}
    with bench.Lab(args.latency_ms) as lab:
        lab.call("/_lab/seed", [{"op": "objects", "bucket": BUCKET, "keys": ["bench/.keep"]}])
        env = dict(os.environ, AWS_ENDPOINT_URL=lab.url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                   AWS_REGION=bench.REGION, AWS_DEFAULT_REGION=bench.REGION, OUTPUT=OUTPUT, SQL=SQL)
        for name, command in chosen.items():
            lab.call("/_lab/athena/results", {"results": [{"columns": COLUMNS, "rows": data}]})
            lab.call("/_lab/reset")
            run = bench.run_tool(command, env)
            stats = lab.call("/_lab/stats")
            results[name] = dict(run, counts=stats["counts"], requests=stats["requests"], rows=rows_read(name, run))
    report(args, results)


def report(args, results: dict) -> None:
    print(f"\n== query-1m: {args.rows:,} rows x {len(COLUMNS)} columns; latency {args.latency_ms:g} ms per request, pages of 1,000")
    ours = results.get("glutil query (auto)")
    print(f"{'tool':28} {'wall s':>8} {'vs ours':>8} {'requests':>9} {'GetQueryResults':>16} {'S3 GET':>7} {'peak MB':>8} {'rows':>10} ok")
    for name, r in results.items():
        ratio = f"{r['wall_s'] / ours['wall_s']:.1f}x" if ours and ours["wall_s"] else "-"
        counts = r["counts"]
        ok = r["exit_code"] == 0 and r["rows"] == args.rows
        print(f"{name:28} {r['wall_s']:8.2f} {ratio:>8} {r['requests']:9} {counts.get('AmazonAthena:GetQueryResults', 0):16} "
              f"{counts.get('S3:GetObject', 0):7} {r['max_rss_kb'] / 1024:8.1f} {r['rows']:10} {'yes' if ok else 'NO'}")
        if not ok:
            print("   ", r["stderr"].strip().splitlines()[-1:] if r["stderr"].strip() else f"exit {r['exit_code']}")


if __name__ == "__main__":
    main()
