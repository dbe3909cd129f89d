"""The partitioner Lambda's peak memory on a big table, through its real
runtime loop: the release `partitioner-lambda` binary runs against a local
stand-in for the Lambda Runtime API (one invocation), and the moto lab
stands in for Glue and S3.

    bench/.venv/bin/python bench/lambda_memory.py [--days 3650] [--latency-ms 25]

Prints the peak resident memory (VmHWM) when the invocation answered, the
time it took, and whether the catalog ended with every partition. Lambda's
smallest common size is 128 MB.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the bench's lab and seeding)

BINARY = bench.ROOT / "target" / "release" / "partitioner-lambda"


class RuntimeApi(BaseHTTPRequestHandler):
    """GET .../invocation/next hands out the event once, then waits;
    POST .../response or .../error records the answer."""

    event: bytes = b"{}"
    handed = threading.Event()
    answered = threading.Event()
    answer: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        if RuntimeApi.handed.is_set():
            time.sleep(3600)
            return
        RuntimeApi.handed.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Content-Length", str(len(RuntimeApi.event)))
        self.end_headers()
        self.wfile.write(RuntimeApi.event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        RuntimeApi.answer = {"path": self.path, "body": body.decode(errors="replace")}
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        RuntimeApi.answered.set()


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    args = parser.parse_args()
    with bench.Lab(args.latency_ms) as lab:
        names = bench.seed_hourly(lab, args.days, in_catalog=False)
        RuntimeApi.event = json.dumps({"database": names["database"], "table": names["table"]}).encode()
        server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = dict(
            os.environ,
            AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}",
            AWS_LAMBDA_FUNCTION_NAME="bench",
            AWS_LAMBDA_FUNCTION_VERSION="1",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
            AWS_LAMBDA_LOG_STREAM_NAME="bench",
            AWS_LAMBDA_LOG_GROUP_NAME="bench",
            AWS_ENDPOINT_URL=lab.url,
            AWS_REGION=bench.REGION,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )
        env.pop("AWS_PROFILE", None)
        started = time.monotonic()
        process = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        answered = RuntimeApi.answered.wait(timeout=1800)
        took = time.monotonic() - started
        peak = peak_kb(process.pid) if process.poll() is None else -1
        process.kill()
        stderr = process.stderr.read().decode(errors="replace")
        server.shutdown()
        query = f"database={names['database']}&table={names['table']}"
        partitions = len(lab.call(f"/_lab/partitions?{query}")["partitions"])
    print(f"partitioner-lambda, {args.days} days hourly ({args.days * 24:,} partitions), latency {args.latency_ms:g} ms")
    if not answered:
        print(f"   no answer within 30 minutes; stderr: {stderr[-500:]}")
        return
    verdict = "fits" if 0 < peak <= 128 * 1024 else "does NOT fit"
    print(f"   answered in {took:.1f} s at {RuntimeApi.answer['path']}")
    print(f"   peak memory (VmHWM): {peak / 1024:.1f} MB: {verdict} in a 128 MB function")
    print(f"   catalog partitions afterwards: {partitions:,}")
    print(f"   answer: {RuntimeApi.answer['body'][:300]}")


if __name__ == "__main__":
    main()
