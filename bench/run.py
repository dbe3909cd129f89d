"""Benchmark glutil (this project) against glutil 1.0.0 (and create-table
against aws-sdk-pandas) on the moto lab.

For every case and every tool, a fresh lab is started and seeded in-process
with identical data, the tool runs once, and the lab reports what it was
asked. Printed per case: wall time of each tool and their ratio, requests
per operation, sequential rounds and the round-trip bound (rounds x
latency), our peak memory, and whether the catalog ended as expected.

Run it through bench/run.sh, which builds the binaries and the venv.
"""

import argparse
import base64
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tests" / "fixtures" / "moto_lab.py"
OURS = ROOT / "target" / "release"
PEER = Path(sys.executable).parent / "glutil"
REGION = "us-east-1"


class Lab:
    """One moto lab process."""

    def __init__(self, latency_ms: float, fault_rate: float = 0.0):
        self.process = subprocess.Popen(
            [sys.executable, str(LAB), "--latency-ms", str(latency_ms), "--fault-rate", str(fault_rate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            raise RuntimeError(f"the lab did not start: {line}")
        self.url = f"http://127.0.0.1:{line[1]}"

    def call(self, path: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def hourly_folders(days: int, start=datetime.datetime(2019, 1, 1)):
    """(values, folder) for every hour of `days` days, Hive style."""
    for h in range(days * 24):
        t = start + datetime.timedelta(hours=h)
        values = [f"{t:%Y}", f"{t:%m}", f"{t:%d}", f"{t:%H}"]
        yield values, f"year={values[0]}/month={values[1]}/day={values[2]}/hour={values[3]}/"


def storage_descriptor(location: str) -> dict:
    return {
        "Location": location,
        "Columns": [{"Name": "id", "Type": "string"}, {"Name": "payload", "Type": "string"}],
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
    }


def seed_hourly(lab: Lab, days: int, in_catalog: bool, data: str = "all") -> dict:
    """An hourly table with one object per hour (`data="even-hours"`: only
    the even hours keep their data; `data="moved"`: the data and the table
    location moved from events/ to moved/, the catalog's partitions still
    point at events/); optionally every partition already in the catalog.
    Returns the names."""
    names = {"bucket": "bench-data", "database": "bench", "table": "hourly"}
    root = f"s3://{names['bucket']}/events/"
    data_prefix = "moved/" if data == "moved" else "events/"
    folders = list(hourly_folders(days))
    with_data = [f for v, f in folders if data != "even-hours" or int(v[3]) % 2 == 0]
    ops = [
        {"op": "objects", "bucket": names["bucket"], "keys": [f"{data_prefix}{f}part-00000.json" for f in with_data]},
        {
            "op": "table",
            "database": names["database"],
            "table_input": {
                "Name": names["table"],
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day", "hour")],
                "StorageDescriptor": storage_descriptor(f"s3://{names['bucket']}/{data_prefix}"),
            },
        },
    ]
    if in_catalog:
        ops.append(
            {
                "op": "partitions",
                "database": names["database"],
                "table": names["table"],
                "partition_inputs": [
                    {"Values": v, "StorageDescriptor": storage_descriptor(root + f)} for v, f in folders
                ],
            }
        )
    lab.call("/_lab/seed", ops)
    return names


def seed_database(lab: Lab, tables: int, days: int) -> dict:
    """`tables` hourly tables (`events_00`, ...) in one database, each with
    `days` days of data (one object per hour) under its own prefix and an
    empty catalog. Returns the names."""
    names = {"bucket": "bench-data", "database": "bench", "tables": [f"events_{i:02}" for i in range(tables)]}
    names["table"] = names["tables"][0]
    folders = [f for _, f in hourly_folders(days)]
    ops = []
    for table in names["tables"]:
        ops.append({"op": "objects", "bucket": names["bucket"], "keys": [f"{table}/{f}part-00000.json" for f in folders]})
        ops.append(
            {
                "op": "table",
                "database": names["database"],
                "table_input": {
                    "Name": table,
                    "TableType": "EXTERNAL_TABLE",
                    "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day", "hour")],
                    "StorageDescriptor": storage_descriptor(f"s3://{names['bucket']}/{table}/"),
                },
            }
        )
    lab.call("/_lab/seed", ops)
    return names


def seed_relocate(lab: Lab, tables: int, days: int) -> dict:
    """`tables` hourly tables under s3://bench-old/, every partition in the
    catalog, the data already copied to s3://bench-new/ (the state after a
    bucket copy, before the catalog follows). Returns the names."""
    names = {"bucket": "bench-new", "database": "bench", "tables": [f"events_{i:02}" for i in range(tables)]}
    names["table"] = names["tables"][0]
    folders = list(hourly_folders(days))
    ops = []
    for table in names["tables"]:
        ops.append({"op": "objects", "bucket": "bench-new", "keys": [f"{table}/{f}part-00000.json" for _, f in folders]})
        ops.append({"op": "table", "database": names["database"], "table_input": {
            "Name": table, "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day", "hour")],
            "StorageDescriptor": storage_descriptor(f"s3://bench-old/{table}/")}})
        ops.append({"op": "partitions", "database": names["database"], "table": table, "partition_inputs": [
            {"Values": v, "StorageDescriptor": storage_descriptor(f"s3://bench-old/{table}/{f}")} for v, f in folders]})
    lab.call("/_lab/seed", ops)
    return names


# glutil 1.0.0 has no command for a table's own location: the runbook's way
# is an UpdateTable per table (as `aws glue update-table` sends it), then
# glutil's update-partitions on that table.
RELOCATE_PEER = """
import subprocess, sys
import boto3
peer, database, tables = sys.argv[1], sys.argv[2], sys.argv[3:]
glue = boto3.client("glue")
keep = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
for name in tables:
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    table_input = {k: table[k] for k in keep if k in table}
    table_input["StorageDescriptor"]["Location"] = table_input["StorageDescriptor"]["Location"].replace("s3://bench-old/", "s3://bench-new/", 1)
    glue.update_table(DatabaseName=database, TableInput=table_input)
    subprocess.run([peer, "update-partitions", database, name], check=True, stdout=subprocess.DEVNULL)
"""


# aws-sdk-pandas' way to define a table from Parquet files: read every
# file's metadata, then create the table and its partitions.
PANDAS_PEER = """
import sys
import awswrangler as wr
path, database, table = sys.argv[1:4]
wr.s3.store_parquet_metadata(path=path, database=database, table=table, dataset=True)
"""


def wide_parquet(columns: int, rows: int = 500) -> bytes:
    """One Parquet file `columns` wide (a billing export is about 93), of
    the common types, snappy-compressed."""
    import datetime as dt
    import io
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = [
        (pa.int64(), lambda i: i),
        (pa.float64(), lambda i: i * 0.5),
        (pa.string(), lambda i: f"value-{i % 97}"),
        (pa.bool_(), lambda i: i % 2 == 0),
        (pa.timestamp("us"), lambda i: dt.datetime(2024, 1, 1) + dt.timedelta(seconds=i)),
        (pa.date32(), lambda i: dt.date(2024, 1, 1) + dt.timedelta(days=i % 365)),
        (pa.int32(), lambda i: i % 1000),
        (pa.decimal128(12, 2), lambda i: Decimal(i) / 100),
    ]
    arrays, names = [], []
    for c in range(columns):
        arrow_type, value = kinds[c % len(kinds)]
        arrays.append(pa.array([value(i) for i in range(rows)], type=arrow_type))
        names.append(f"col_{c:03d}")
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, names=names), out, compression="snappy")
    return out.getvalue()


def seed_parquet(lab: Lab, days: int, files: int, columns: int) -> dict:
    """A daily Hive-partitioned Parquet dataset and an empty database."""
    names = {"bucket": "bench-data", "database": "bench", "table": "billing"}
    body = base64.b64encode(wide_parquet(columns)).decode()
    start = datetime.date(2024, 1, 1)
    keys = [
        f"billing/dt={start + datetime.timedelta(days=d):%Y-%m-%d}/part-{n:05d}.snappy.parquet"
        for d in range(days)
        for n in range(files)
    ]
    lab.call(
        "/_lab/seed",
        [
            {"op": "objects", "bucket": names["bucket"], "keys": keys, "body_b64": body},
            {"op": "database", "database": names["database"]},
        ],
    )
    names["location"] = f"s3://{names['bucket']}/billing/"
    return names


def command_for(tool: str, case: dict, names: dict) -> list[str]:
    if case.get("seed") == "relocate":
        if tool == "glutil 1.0.0":
            return [sys.executable, "-c", RELOCATE_PEER, str(PEER), names["database"], *names["tables"]]
        return [str(OURS / "relocate"), names["database"], "--all-tables", "--from", "s3://bench-old/",
                "--to", "s3://bench-new/", "--verify", "-q"]
    if "tables" in names:
        # A whole database: glutil 1.0.0 takes one table per run, so users
        # loop in the shell; ours takes the database at once.
        if tool == "glutil 1.0.0":
            loop = 'for t in "$@"; do "$0" ' + " ".join(case["peer_args"]) + ' "$DB" "$t" || exit 1; done'
            return ["sh", "-c", loop, str(PEER), *names["tables"]]
        return [str(OURS / case["binary"]), names["database"], "--all-tables", "-q", *case.get("our_args", [])]
    if tool == "aws-sdk-pandas":
        return [sys.executable, "-c", PANDAS_PEER, names["location"], names["database"], names["table"]]
    if tool == "glutil 1.0.0":
        return [str(PEER), *case["peer_args"], names["database"], names["table"]]
    location = [names["location"]] if "location" in names else []
    return [str(OURS / case["binary"]), names["database"], names["table"], *location, "-q", *case.get("our_args", [])]


# GNU time reports the tool's own peak memory. Without it, the peak that
# wait4 reports also counts the pages the child inherited from this Python
# runner at fork (pyarrow alone is ~100 MB), so it is an upper bound only.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_tool(command: list[str], env: dict) -> dict:
    started = time.monotonic()
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    out_file = scratch / f"glutil-bench-{os.getpid()}.out"
    time_file = scratch / f"glutil-bench-{os.getpid()}.time"
    if GNU_TIME:
        command = [GNU_TIME, "-f", "%M %U %S", "-o", str(time_file), *command]
    with open(out_file, "wb") as stdout:
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.PIPE)
        stderr = process.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.stderr.close()
    output = out_file.read_text(errors="replace")
    out_file.unlink()
    max_rss_kb, cpu_s = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    if GNU_TIME:
        # The last line; a failed command gets a line before it.
        rss, user, system = time_file.read_text().strip().splitlines()[-1].split()
        max_rss_kb, cpu_s = int(rss), float(user) + float(system)
        time_file.unlink()
    return {
        "wall_s": wall,
        "cpu_s": cpu_s,
        "max_rss_kb": max_rss_kb,
        "rss_exact": GNU_TIME is not None,
        "exit_code": os.waitstatus_to_exitcode(status),
        "stdout": output,
        "stderr": stderr[-2000:],
    }


def measure(tool: str, case: dict, latency_ms: float) -> dict:
    with Lab(latency_ms) as lab:
        if case.get("seed") == "parquet":
            names = seed_parquet(lab, case["days"], case["files"], case["columns"])
        elif case.get("seed") == "relocate":
            names = seed_relocate(lab, case["tables"], case["days"])
        elif case.get("seed") == "database":
            names = seed_database(lab, case["tables"], case["days"])
        else:
            names = seed_hourly(lab, case["days"], case["in_catalog"], case.get("data", "all"))
        lab.call("/_lab/reset", {})
        if case.get("fault_rate"):
            # Throttling starts after the seed (control calls are never faulted).
            lab.call("/_lab/config", {"fault_rate": case["fault_rate"], "seed": int(time.time())})
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": lab.url,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
            }
        )
        env.pop("AWS_PROFILE", None)
        env["WR_S3_ENDPOINT_URL"] = lab.url
        env["WR_GLUE_ENDPOINT_URL"] = lab.url
        # Our writes back up what they change first (that cost is measured);
        # the backups go to a scratch folder, not the user's state folder.
        state = tempfile.mkdtemp(prefix="glutil-bench-state-")
        env["XDG_STATE_HOME"] = state
        env["DB"] = names["database"]
        result = run_tool(command_for(tool, case, names), env)
        shutil.rmtree(state, ignore_errors=True)
        stats = lab.call("/_lab/stats")
        partitions = []
        for name in names.get("tables", [names["table"]]):
            query = f"database={names['database']}&table={name}"
            table = lab.call(f"/_lab/table?{query}")
            partitions += lab.call(f"/_lab/partitions?{query}")["partitions"] if table else []
    result.update(stats)
    result["table"] = table
    result["catalog_partitions"] = len(partitions)
    prefix = case.get("expect_locations_under")
    if prefix and sum(1 for p in partitions if (p["location"] or "").startswith(prefix)) != len(partitions):
        result["catalog_partitions"] = -1  # some partition does not point where it should
    expected = case.get("expect_output", {}).get(tool)
    result["output_ok"] = expected is None or expected in result["stdout"]
    result["stdout"] = result["stdout"][-2000:]
    result["bound_s"] = stats["rounds"] * latency_ms / 1000.0
    return result


CASES = {
    "partitioner-1y": {
        "title": "partitioner, one year hourly (8,760 partitions), empty catalog",
        "days": 365,
        "in_catalog": False,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 8760,
    },
    "partitioner-1y-noop": {
        "title": "partitioner, one year hourly, everything already in the catalog",
        "days": 365,
        "in_catalog": True,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 8760,
    },
    "partitioner-3y": {
        "title": "partitioner, three years hourly (26,280 partitions), empty catalog",
        "days": 365 * 3,
        "in_catalog": False,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 26280,
    },
    "partitioner-3y-throttled": {
        "title": "partitioner, three years hourly (26,280 partitions), half of all requests throttled, several runs",
        "days": 365 * 3,
        "in_catalog": False,
        "fault_rate": 0.5,
        "runs": 5,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 26280,
    },
    "partitioner-10y": {
        "title": "partitioner, ten years hourly (87,600 partitions), empty catalog",
        "days": 3650,
        "in_catalog": False,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 87600,
    },
    "database-50": {
        "title": "partitioner, a database of 50 tables x 30 days hourly (36,000 partitions), empty catalog",
        "seed": "database",
        "tables": 50,
        "days": 30,
        "binary": "partitioner",
        "peer_args": ["create-partitions"],
        "expect_partitions": 36000,
    },
    "relocate-50": {
        "title": "relocate, 50 tables x 30 days hourly (36,000 partitions) from one bucket to another",
        "seed": "relocate",
        "tables": 50,
        "days": 30,
        "binary": "relocate",
        "expect_partitions": 36000,
        "expect_locations_under": "s3://bench-new/",
    },
    "list-missing-10y": {
        "title": "list-missing, ten years hourly in the catalog, odd hours' data gone (43,800 missing)",
        "days": 3650,
        "in_catalog": True,
        "data": "even-hours",
        "binary": "list-missing",
        "peer_args": ["delete-missing-partitions", "--dry-run"],
        "expect_partitions": 87600,
        "expect_output": {"glutil 1.0.0": "Found 43800 partitions", "glutil (rust)": "missing:  43800"},
    },
    "list-missing-1y": {
        "title": "list-missing, one year hourly in the catalog, odd hours' data gone (4,380 missing)",
        "days": 365,
        "in_catalog": True,
        "data": "even-hours",
        "binary": "list-missing",
        "peer_args": ["delete-missing-partitions", "--dry-run"],
        "expect_partitions": 8760,
        "expect_output": {"glutil 1.0.0": "Found 4380 partitions", "glutil (rust)": "missing:  4380"},
    },
    "update-partitions-30d": {
        "title": "update-partitions, 30 days hourly moved to a new prefix (720 partitions)",
        "days": 30,
        "in_catalog": True,
        "data": "moved",
        "binary": "update-partitions",
        "peer_args": ["update-partitions"],
        "expect_partitions": 720,
        "expect_locations_under": "s3://bench-data/moved/",
    },
    "create-table-365d": {
        "title": "create-table, 365 daily Hive partitions x 4 Parquet files, 93 columns, empty database",
        "seed": "parquet",
        "days": 365,
        "files": 4,
        "columns": 93,
        "binary": "create-table",
        "peer": "aws-sdk-pandas",
        "expect_partitions": 365,
        "same_table": True,
    },
    "delete-all-1y": {
        "title": "delete-all, one year hourly (8,760 partitions)",
        "days": 365,
        "in_catalog": True,
        "binary": "delete-all",
        "our_args": ["--yes"],
        "peer_args": ["delete-all-partitions"],
        "expect_partitions": 0,
    },
}


def report(name: str, case: dict, results: dict, latency_ms: float) -> None:
    peer_name = case.get("peer", "glutil 1.0.0")
    ours = results["glutil (rust)"]
    peer = results.get(peer_name, ours)
    print(f"\n== {name}: {case['title']}; latency {latency_ms:g} ms per request")
    print(
        f"   {'':14} {'wall s':>8} {'cpu s':>6} {'requests':>9} {'rounds':>7} {'bound s':>8}"
        f" {'wall/bound':>10} {'max RSS MB':>10}  catalog"
    )
    for tool, r in results.items():
        right = r["catalog_partitions"] == case["expect_partitions"] and r["exit_code"] == 0 and r["output_ok"]
        if case.get("same_table"):
            right = right and r["table"] == peer["table"] and r["table"] is not None
        ok = "ok" if right else "WRONG"
        ratio = r["wall_s"] / r["bound_s"] if r["bound_s"] else float("nan")
        print(
            f"   {tool:14} {r['wall_s']:8.2f} {r['cpu_s']:6.2f} {r['requests']:9d} {r['rounds']:7d} {r['bound_s']:8.2f}"
            f" {ratio:10.1f} {r['max_rss_kb'] / 1024:10.1f}  {r['catalog_partitions']} {ok}"
            + (f" (exit {r['exit_code']}: {r['stderr'].strip()[-300:]})" if r["exit_code"] else "")
        )
    if peer_name not in results:
        return
    print(
        f"   speedup: {peer['wall_s'] / ours['wall_s']:.1f}x;"
        f" round-trip bounds: {peer['bound_s'] / ours['bound_s']:.0f}x apart;"
        f" moto CPU: {peer_name} {peer['server_cpu_s']:.2f} s, ours {ours['server_cpu_s']:.2f} s"
    )
    if case.get("same_table"):
        columns = len((ours["table"] or {}).get("columns", []))
        same = "the same table" if ours["table"] == peer["table"] else "DIFFERENT tables"
        print(f"   {peer_name} and ours wrote {same} ({columns} columns)")
        read = lambda r: r["bytes_out"].get("S3:GetObject", 0) / 1e6
        print(f"   S3 bytes read: {peer_name} {read(peer):.1f} MB, ours {read(ours):.1f} MB")
    print(f"   {'requests per operation':30} {peer_name[:12]:>12} {'ours':>8}   moto service s: {'peer':>7} {'ours':>7}")
    for op in sorted(set(peer["counts"]) | set(ours["counts"])):
        print(
            f"   {op:30} {peer['counts'].get(op, 0):12d} {ours['counts'].get(op, 0):8d}"
            f"   {'':15} {peer['service_s'].get(op, 0):7.2f} {ours['service_s'].get(op, 0):7.2f}"
        )


FOOTNOTE = """
   max RSS MB: the tool's own peak, from GNU time (/usr/bin/time); without it, an
   upper bound that includes pages inherited from this runner at fork.
   cpu s: the tool's own CPU. moto CPU: what the server process spent; moto serves
   one request at a time on one core (Python's GIL), so a tool cannot finish before
   moto CPU + its rounds x latency. moto service s: time requests spent inside moto;
   concurrent requests wait on each other there, so those can add up beyond wall time."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from: {', '.join(CASES)}")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--ours-only", action="store_true", help="skip the peers (memory curves, quick checks)")
    args = parser.parse_args()
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")

    everything = {}
    for name in chosen:
        case = CASES[name]
        results = {}
        tools = [case.get("peer", "glutil 1.0.0"), "glutil (rust)"]
        for tool in tools[1:] if args.ours_only else tools:
            results[tool] = measure(tool, case, args.latency_ms)
        # A case run several times (throttling is random): ours again, each
        # on a fresh lab, and how many runs ended right.
        for run in range(2, case.get("runs", 1) + 1):
            results[f"glutil (rust) #{run}"] = measure("glutil (rust)", case, args.latency_ms)
        report(name, case, results, args.latency_ms)
        if case.get("runs", 1) > 1:
            ours = [r for tool, r in results.items() if tool.startswith("glutil (rust)")]
            right = sum(1 for r in ours if r["exit_code"] == 0 and r["catalog_partitions"] == case["expect_partitions"])
            walls = sorted(r["wall_s"] for r in ours)
            print(f"   ours: {right} of {len(ours)} runs ended with every partition created;"
                  f" wall {walls[0]:.1f} to {walls[-1]:.1f} s")
        everything[name] = results
    print(FOOTNOTE)
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
