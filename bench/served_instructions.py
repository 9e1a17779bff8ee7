"""Instructions per HTTP request of the service as `make run` starts it (uvicorn, every thread), under callgrind.

`bench.instructions` counts our evaluation in-process; this counts what a request costs the whole server: HTTP
parsing, the framework, logging, metrics and the card recorder's thread included. The service runs under
valgrind; after a warm-up its counters are zeroed (`callgrind_control -z`), the requests are made one after
another, the recorder is given time to write their cards, and the counters are dumped (`callgrind_control -d`).
A server also spends instructions while it waits (the recorder's and the event loop's timers); that rate is
measured over an idle interval in the same process and subtracted for the wall time each measurement took, which
under valgrind is long. Requests under valgrind are slow enough that the recorder writes each one's cards in a
transaction of its own, as it does for a quiet clinic; under heavy load it batches a few dozen requests per write,
so there the recorder costs less per request than here.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.service_process import ServiceProcess, development_env, running_service

from .http_load import DISCOVERY_PATH, HOOK_PATH, JSON_HEADERS

WARMUP = 3
IDLE_SECONDS = 5.0
# The recorder writes a request's cards up to 0.2 s after it (slower under valgrind): every measurement waits this
# long after its requests, so their writes fall inside it and none spills into the next.
SETTLE_SECONDS = 2.0
STARTUP_SECONDS = 600.0  # imports and start-up run some fifty times slower under valgrind
_TOTAL = re.compile(r"^(?:summary|totals): (\d+)$", re.MULTILINE)


def dump_total(text: str) -> int:
    """The instruction total of one callgrind dump file (its `summary:` line, `totals:` in some versions)."""
    found = _TOTAL.search(text)
    if found is None:
        raise RuntimeError("the callgrind dump holds no instruction total")
    return int(found.group(1))


@dataclass(frozen=True)
class Counted:
    """Instructions the server executed during a measurement, and the wall seconds it took."""

    instructions: int
    seconds: float


class CallgrindServer:
    """A service process under callgrind whose counters can be zeroed and dumped around a piece of work."""

    def __init__(self, service: ServiceProcess, out_dir: Path) -> None:
        self.service = service
        self.out_dir = out_dir

    def count(self, work: Callable[[], None]) -> Counted:
        """Instructions the whole process (all threads) executed while `work` ran."""
        pid = str(self.service.process.pid)
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        before = set(self.out_dir.iterdir())
        started = time.monotonic()
        work()
        seconds = time.monotonic() - started
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
        dumps = sorted(set(self.out_dir.iterdir()) - before)
        if len(dumps) != 1:
            raise RuntimeError(f"expected one new callgrind dump, found {len(dumps)}")
        return Counted(dump_total(dumps[0].read_text()), seconds)


@contextmanager
def callgrind_service(directory: Path) -> Iterator[CallgrindServer]:
    """`python -m cds_hooks serve` (development profile, auth off, SQLite store) under callgrind."""
    out_dir = directory / "callgrind"
    out_dir.mkdir(parents=True, exist_ok=True)
    # `%p`: serve forks a child for the schema check, and each process needs a file of its own.
    wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/callgrind.%p"]
    env = development_env(directory / "data") | {"PYTHONHASHSEED": "0"}
    with running_service(env, directory / "service.log", wrapper=wrapper, timeout=STARTUP_SECONDS) as service:
        yield CallgrindServer(service, out_dir)


def per_request(counted: Counted, idle_per_second: float, requests: int) -> float:
    """Instructions of one request: the measured total less what the server spends waiting in that time."""
    if requests < 1:
        raise ValueError("at least one request is needed")
    return max(0.0, counted.instructions - idle_per_second * counted.seconds) / requests


def measure_served(directory: Path, body: bytes, requests: int) -> dict[str, float]:
    """Instructions per hook request (`body`) and per floor request (`GET /cds-services`), and the idle rate."""
    with callgrind_service(directory) as server, httpx.Client(base_url=server.service.base_url, timeout=600) as client:
        def hook_call() -> httpx.Response:
            return client.post(HOOK_PATH, content=body, headers=JSON_HEADERS)

        def floor_call() -> httpx.Response:
            return client.get(DISCOVERY_PATH)

        def repeated(send: Callable[[], httpx.Response], count: int) -> Callable[[], None]:
            def work() -> None:
                for _ in range(count):
                    send().raise_for_status()
                time.sleep(SETTLE_SECONDS)
            return work

        repeated(hook_call, WARMUP)()
        repeated(floor_call, WARMUP)()
        idle = server.count(lambda: time.sleep(IDLE_SECONDS))
        idle_per_second = idle.instructions / idle.seconds
        hook = server.count(repeated(hook_call, requests))
        floor = server.count(repeated(floor_call, requests))
    return {
        "hook": per_request(hook, idle_per_second, requests),
        "floor": per_request(floor, idle_per_second, requests),
        "idle_per_second": idle_per_second,
    }
