"""Load from wrk (Debian's `wrk`), a C client: a Python client on this 2-core machine spends as much CPU as the
worker it measures, so it caps the throughput it reports. wrk keeps `concurrency` connections open on one
thread, each posting the same body again as soon as its answer is in, and reports through a Lua `done` hook.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from .measure import Summary

WRK = "wrk"
_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.body = file:read("*a")
file:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %f, "min_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.min, latency.max))
end
"""


def available() -> bool:
    return shutil.which(WRK) is not None


def version() -> str:
    """`wrk -v` names itself on its first line (and exits non-zero)."""
    shown = subprocess.run([WRK, "-v"], capture_output=True, text=True, check=False)
    return (shown.stdout or shown.stderr).splitlines()[0].split(" [")[0]


def run(url: str, body: bytes, *, concurrency: int, seconds: float) -> tuple[int, int, float, Summary, float]:
    """Requests answered, errors (socket errors and non-2xx answers), wall seconds, latency, and wrk's CPU cores."""
    with tempfile.TemporaryDirectory(prefix="ftcds-wrk-") as directory:
        body_file, script = Path(directory) / "body.json", Path(directory) / "post.lua"
        body_file.write_bytes(body)
        script.write_text(_SCRIPT)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        finished = subprocess.run(
            [WRK, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script),
             url],
            capture_output=True, text=True, check=True, env={"BENCH_BODY_FILE": str(body_file)},
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    wall = report["duration_us"] / 1e6
    latency = Summary(count=report["requests"], p50=report["p50_us"] / 1000, p99=report["p99_us"] / 1000,
                      mean=report["mean_us"] / 1000, min=report["min_us"] / 1000, max=report["max_us"] / 1000)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report["requests"], report["errors"] + report["non_2xx"], wall, latency, cpu / wall
