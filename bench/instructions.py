"""`python -m bench.instructions` (`make bench-instructions`): instructions per call, counted by callgrind.

Wall-clock figures on a shared two-core machine move with the neighbours' load by tens of percent; valgrind's
callgrind counts the instructions a process executes, which do not (the same total twice, one run with the other
core loaded). So this measures our evaluation in-process (`bench.instruction_driver`: parse plus evaluation, each
half, and one orjson parse of the same body as the yardstick) as instructions per call: a run with N calls minus
a run with none, everything else identical. With `--served` it also counts the service as it runs
(`bench.served_instructions`: uvicorn and every thread, per hook request and per `GET /cds-services`, the HTTP
floor), and reports the served hook request over (floor + one orjson parse), the same ratio as issue 13's latency
target. It counts user-space instructions only: no system calls, cache misses or waiting for the GIL, so it
complements the wall-clock bench (`make bench`) and does not replace it. Use it to compare two versions of the code;
report time from `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .charts import SIZES
from .instruction_driver import STAGE_NAMES, request_body
from .served_instructions import measure_served

DEFAULT_OUT = Path(__file__).parent / "results" / "instructions.json"
DEFAULT_CHARTS = ("medium", "large")
DEFAULT_CALLS = 10
_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)

Runner = Callable[[str, str, int], int]
ServedRunner = Callable[[str, int], dict[str, float]]


def collected(valgrind_output: str) -> int:
    """The total callgrind prints at exit ("==pid== Collected : N")."""
    found = _COLLECTED.findall(valgrind_output)
    if not found:
        raise RuntimeError("callgrind printed no instruction total: " + valgrind_output[-500:])
    return int(found[-1])


def callgrind(chart: str, stage: str, calls: int) -> int:
    """Instructions the driver process executes for `calls` calls of `stage` (start-up and warm-up included)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-m", "bench.instruction_driver", chart, stage, str(calls)]
    env = os.environ | {"PYTHONHASHSEED": "0"}
    finished = subprocess.run(command, capture_output=True, text=True, env=env, check=False,
                              cwd=Path(__file__).resolve().parents[1])
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command[4:])} failed under valgrind: {finished.stderr[-1000:]}")
    return collected(finished.stderr)


def served_callgrind(chart: str, requests: int) -> dict[str, float]:
    """The service under callgrind answering `requests` hook calls with `chart` (and as many floor requests)."""
    body = request_body(chart)
    with tempfile.TemporaryDirectory(prefix="ftcds-served-") as directory:
        return measure_served(Path(directory), body, requests)


def per_call(baseline: int, measured: int, calls: int) -> float:
    """Instructions of one call: the difference between a run with `calls` calls and one with none."""
    if calls < 1:
        raise ValueError("at least one call is needed")
    if measured < baseline:
        raise RuntimeError(f"the run with {calls} calls counted fewer instructions than the one with none")
    return (measured - baseline) / calls


def measure(charts: Sequence[str], calls: int, *, jobs: int = 2, runner: Runner = callgrind,
            served: ServedRunner | None = None) -> dict[str, Any]:
    """Instructions per call of every stage on every chart, and our evaluation over one orjson parse; with
    `served`, also per request of the running service, over (floor + one orjson parse)."""
    runs = [(chart, "ours", 0) for chart in charts] + [(chart, stage, calls) for chart in charts
                                                       for stage in STAGE_NAMES]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        served_runs = {chart: pool.submit(served, chart, calls) for chart in charts} if served else {}
        totals = dict(zip(runs, pool.map(lambda run: runner(*run), runs), strict=True))
        served_counts = {chart: run.result() for chart, run in served_runs.items()}
    results: dict[str, Any] = {}
    for chart in charts:
        baseline = totals[(chart, "ours", 0)]
        stage_counts = {stage: per_call(baseline, totals[(chart, stage, calls)], calls) for stage in STAGE_NAMES}
        results[chart] = {
            "instructions_per_call": {stage: round(count) for stage, count in stage_counts.items()},
            "ours_over_orjson": round(stage_counts["ours"] / stage_counts["orjson"], 2),
        }
        if chart in served_counts:
            counts = served_counts[chart]
            results[chart]["served_per_request"] = {name: round(count) for name, count in counts.items()}
            results[chart]["served_over_floor_and_orjson"] = round(
                counts["hook"] / (counts["floor"] + stage_counts["orjson"]), 2)
    return {"calls": calls, "charts": results}


def render(results: dict[str, Any]) -> str:
    """The figures as a Markdown table, millions of instructions per call."""
    served = any("served_per_request" in figures for figures in results["charts"].values())
    header = "| chart | ours | parse | evaluate | orjson parse | ours / orjson |"
    if served:
        header += " served hook | served floor | served / (floor + orjson) |"
    lines = [header, "|---" * header.count(" | ") + "|---|"]
    for chart, figures in results["charts"].items():
        counts = figures["instructions_per_call"]
        cells = " | ".join(f"{counts[stage] / 1e6:.1f} M" for stage in STAGE_NAMES)
        line = f"| {chart} | {cells} | {figures['ours_over_orjson']:.2f}× |"
        if "served_per_request" in figures:
            per_request = figures["served_per_request"]
            line += (f" {per_request['hook'] / 1e6:.1f} M | {per_request['floor'] / 1e6:.2f} M |"
                     f" {figures['served_over_floor_and_orjson']:.2f}× |")
        elif served:
            line += " — | — | — |"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    names = [size.name for size in SIZES]
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--charts", nargs="+", choices=names, default=list(DEFAULT_CHARTS))
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS, help=f"calls per run ({DEFAULT_CALLS})")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind processes at once (2)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results file ({DEFAULT_OUT})")
    parser.add_argument("--served", action="store_true",
                        help="also count the running service per HTTP request (a few minutes more per chart)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.jobs < 1:
        parser.error("--calls and --jobs need at least 1")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    results = measure(args.charts, args.calls, jobs=args.jobs, served=served_callgrind if args.served else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
