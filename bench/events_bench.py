"""events-10k: the Lambda's event path through its real runtime loop.

10,000 ObjectCreated records for 240 new hourly partitions of one table
(about 42 objects each) arrive as SQS batches of 10 messages, one
invocation each, to the release `partitioner-lambda` binary running
against a local stand-in for the Lambda Runtime API, with the moto lab
for Glue at real-world latency. Beside it: the scheduled walk of the same
table doing the same work.

    bench/.venv/bin/python bench/events_bench.py [--latency-ms 25] [--objects 10000]
"""
import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the bench's lab and seeding)

BINARY = bench.ROOT / "target" / "release" / "partitioner-lambda"


class Runtime(BaseHTTPRequestHandler):
    """Hands out queued events one at a time and times each answer."""

    events: "queue.Queue[bytes]" = queue.Queue()
    started: dict = {}
    took: list = []
    answers: list = []
    done = threading.Event()
    lock = threading.Lock()
    counter = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            event = Runtime.events.get(timeout=0.5)
        except queue.Empty:
            Runtime.done.set()
            time.sleep(3600)
            return
        with Runtime.lock:
            Runtime.counter += 1
            request_id = f"req-{Runtime.counter}"
            Runtime.started[request_id] = time.monotonic()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Content-Length", str(len(event)))
        self.end_headers()
        self.wfile.write(event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request_id = self.path.split("/invocation/")[1].split("/")[0]
        with Runtime.lock:
            Runtime.took.append(time.monotonic() - Runtime.started.pop(request_id))
            Runtime.answers.append({"path": self.path, "body": body.decode(errors="replace")})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def sqs_batches(bucket: str, keys: list, per_batch: int = 10) -> list:
    batches = []
    for start in range(0, len(keys), per_batch):
        records = []
        for i, key in enumerate(keys[start : start + per_batch]):
            s3 = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                               "awsRegion": bench.REGION,
                               "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": 512}}}]}
            records.append({"messageId": f"m-{start + i}", "receiptHandle": "r", "eventSource": "aws:sqs",
                            "body": json.dumps(s3)})
        batches.append(json.dumps({"Records": records}).encode())
    return batches


def run_function(lab, events: list, watch: str) -> dict:
    Runtime.events = queue.Queue()
    for e in events:
        Runtime.events.put(e)
    Runtime.took, Runtime.answers, Runtime.started = [], [], {}
    Runtime.done = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}", AWS_LAMBDA_FUNCTION_NAME="bench",
               AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
               AWS_LAMBDA_LOG_STREAM_NAME="bench", AWS_LAMBDA_LOG_GROUP_NAME="bench", AWS_ENDPOINT_URL=lab.url,
               AWS_REGION=bench.REGION, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", GLUTIL_WATCH=watch)
    env.pop("AWS_PROFILE", None)
    lab.call("/_lab/reset", {})
    started = time.monotonic()
    process = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(Runtime.answers) < len(events) and process.poll() is None and time.monotonic() - started < 1800:
        time.sleep(0.02)
    wall = time.monotonic() - started
    peak = peak_kb(process.pid) if process.poll() is None else -1
    process.kill()
    server.shutdown()
    stats = lab.call("/_lab/stats")
    return {"wall": wall, "peak_kb": peak, "took": list(Runtime.took), "answers": list(Runtime.answers), "stats": stats}


def glue_counts(stats: dict) -> dict:
    counts = stats.get("counts", stats.get("requests", {}))
    return {k: v for k, v in counts.items() if k.startswith("Glue:")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--objects", type=int, default=10_000)
    args = parser.parse_args()
    hours = 240
    folders = [f for _, f in bench.hourly_folders(hours // 24)]
    # In time order, as writers land them: about objects/hours per hour.
    keys = [f"events/{folders[i * hours // args.objects]}part-{i:05d}.json" for i in range(args.objects)]
    with bench.Lab(args.latency_ms) as lab:
        names = {"bucket": "bench-data", "database": "bench", "table": "hourly"}
        ops = [{"op": "objects", "bucket": names["bucket"], "keys": keys}]
        for table in ("hourly", "walked"):
            ops.append({"op": "table", "database": "bench", "table_input": {
                "Name": table, "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day", "hour")],
                "StorageDescriptor": bench.storage_descriptor(f"s3://{names['bucket']}/events/")}})
        lab.call("/_lab/seed", ops)
        events = run_function(lab, sqs_batches(names["bucket"], keys), "bench.hourly")
        created = len(lab.call("/_lab/partitions?database=bench&table=hourly")["partitions"])
        walk = run_function(lab, [json.dumps({"database": "bench", "table": "walked"}).encode()], "bench.walked")
        walked = len(lab.call("/_lab/partitions?database=bench&table=walked")["partitions"])
    report(args, keys, events, created, walk, walked, hours)


def report(args, keys, events, created, walk, walked, hours) -> None:
    glue = glue_counts(events["stats"])
    writes = glue.get("Glue:BatchCreatePartition", 0)
    total = sum(glue.values())
    took = sorted(events["took"])
    p = lambda q: took[min(len(took) - 1, int(q * len(took)))] * 1000 if took else float("nan")
    failures = sum(1 for a in events["answers"] if json.loads(a["body"] or "{}").get("batchItemFailures"))
    print(f"events-10k: {len(keys):,} ObjectCreated records, {hours} new hourly partitions, SQS batches of 10, latency {args.latency_ms:g} ms")
    print(f"  {'':26} {'event path':>12} {'scheduled walk':>15}")
    print(f"  {'invocations':26} {len(took):>12,} {len(walk['took']):>15,}")
    print(f"  {'partitions created':26} {created:>12,} {walked:>15,}")
    print(f"  {'Glue requests':26} {total:>12,} {sum(glue_counts(walk['stats']).values()):>15,}")
    print(f"  {'  per new partition':26} {total / max(created, 1):>12.2f} {sum(glue_counts(walk['stats']).values()) / max(walked, 1):>15.2f}")
    print(f"  {'Glue writes':26} {writes:>12,} {glue_counts(walk['stats']).get('Glue:BatchCreatePartition', 0):>15,}")
    print(f"  {'  per new partition':26} {writes / max(created, 1):>12.2f}")
    print(f"  {'p50 invocation (ms)':26} {p(0.5):>12.1f} {walk['took'][0] * 1000 if walk['took'] else float('nan'):>15.1f}")
    print(f"  {'p99 invocation (ms)':26} {p(0.99):>12.1f}")
    print(f"  {'total time (s)':26} {events['wall']:>12.1f} {walk['wall']:>15.1f}")
    print(f"  {'peak memory (MB)':26} {events['peak_kb'] / 1024:>12.1f} {walk['peak_kb'] / 1024:>15.1f}")
    print(f"  {'batches with failures':26} {failures:>12,}")
    print(f"  Glue requests by operation (event path): {json.dumps(glue)}")
    goals = [("<= 1 write per new partition", writes <= created), ("p99 <= 200 ms", p(0.99) <= 200),
             ("peak <= 64 MB", 0 < events["peak_kb"] <= 64 * 1024), ("every partition created", created == hours)]
    print("  goals: " + ", ".join(f"{g}: {'yes' if ok else 'NO'}" for g, ok in goals))


if __name__ == "__main__":
    main()
