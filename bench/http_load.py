"""The service over real HTTP: sequential latency on one kept-alive connection, and concurrent load.

Latency is measured against the HTTP floor of the same server on the same connection (`GET /cds-services`, the
cheapest route), sampled alternately with the hook call so both see the same conditions. Throughput comes from
wrk (`bench.wrk`) when it is installed, else from an asyncio client in this process; the memory soak, which
counts requests rather than measuring speed, always uses the asyncio client. The client shares the machine's
cores with the service, so its CPU use is reported next to the throughput it achieved.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from tests.support.service_process import ServiceProcess, development_env, running_service

from . import wrk
from .measure import Summary, elapsed_ms, summarize
from .processes import Memory, cpu_seconds, read_memory, reset_peak, worker_pids

HOOK_PATH = "/cds-services/patient-view"
DISCOVERY_PATH = "/cds-services"
JSON_HEADERS = {"Content-Type": "application/json"}
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunningService:
    """A service process and the pids of the workers that answer its requests."""

    process: ServiceProcess
    workers: list[int]

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def memory(self) -> list[Memory]:
        return [read_memory(pid) for pid in self.workers]

    def reset_peaks(self) -> None:
        """From now on, each worker's peak memory counts only what follows."""
        for pid in self.workers:
            reset_peak(pid)

    def cpu_seconds(self) -> list[float]:
        """CPU time each worker has used so far."""
        return [cpu_seconds(pid) for pid in self.workers]


@contextmanager
def serving(workers: int, data_dir: Path) -> Iterator[RunningService]:
    """`python -m cds_hooks serve` as `make run` starts it (development profile, auth off, SQLite store)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with running_service(development_env(data_dir), data_dir / "service.log", workers=workers) as process:
        yield RunningService(process, worker_pids(process.process.pid, workers))


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url.path} answered {response.status_code}")


@dataclass(frozen=True)
class Latency:
    hook: Summary
    floor: Summary

    @property
    def over_floor(self) -> float:
        """The hook call's median as a multiple of the server's HTTP floor."""
        return self.hook.p50 / self.floor.p50


def sequential_latency(base_url: str, body: bytes, *, warmup: int, repeat: int) -> Latency:
    """Hook calls one after another on one connection, each followed by a floor request."""
    hook, floor = sequential_samples(base_url, body, warmup=warmup, repeat=repeat)
    return Latency(summarize(hook), summarize(floor))


def sequential_samples(base_url: str, body: bytes, *, warmup: int, repeat: int) -> tuple[list[float], list[float]]:
    """`sequential_latency`'s samples in ms, hook calls and floor requests, for callers that pool several runs."""
    hook: list[float] = []
    floor: list[float] = []
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client:
        for _ in range(warmup):
            _ok(client.post(HOOK_PATH, content=body, headers=JSON_HEADERS))
            _ok(client.get(DISCOVERY_PATH))
        for _ in range(repeat):
            started = time.perf_counter()
            _ok(client.post(HOOK_PATH, content=body, headers=JSON_HEADERS))
            hook.append(elapsed_ms(started))
            started = time.perf_counter()
            _ok(client.get(DISCOVERY_PATH))
            floor.append(elapsed_ms(started))
    return hook, floor


@dataclass(frozen=True)
class Load:
    """What a concurrent run achieved. `client_cpu` is the load generator's own use in cores; `worker_cpu_s` is
    the CPU time each worker used meanwhile (filled in by `throughput`)."""

    requests: int
    errors: int
    seconds: float
    latency: Summary
    client_cpu: float
    worker_cpu_s: tuple[float, ...] = ()

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_ms_per_request(self) -> float:
        """Worker CPU per request: the cost that sets capacity, whatever else the machine is running."""
        return sum(self.worker_cpu_s) * 1000 / self.requests

    @property
    def worker_cpu_shares(self) -> list[float]:
        """Each worker's part of the work done (uneven when kept-alive connections landed unevenly)."""
        total = sum(self.worker_cpu_s)
        return [used / total for used in self.worker_cpu_s] if total else []


class LoadGenerator:
    """`concurrency` clients, each sending the same hook call again as soon as its previous one is answered."""

    def __init__(self, client: httpx.AsyncClient, body: bytes, concurrency: int) -> None:
        self._client = client
        self._body = body
        self._concurrency = concurrency

    async def _drive(self, more: Callable[[], bool]) -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0

        async def one_client() -> None:
            nonlocal errors
            while more():
                started = time.perf_counter()
                response = await self._client.post(HOOK_PATH, content=self._body, headers=JSON_HEADERS)
                latencies.append(elapsed_ms(started))
                errors += response.status_code != 200

        await asyncio.gather(*(one_client() for _ in range(self._concurrency)))
        return latencies, errors

    async def for_seconds(self, seconds: float) -> Load:
        started, cpu_started = time.perf_counter(), time.process_time()
        deadline = started + seconds
        latencies, errors = await self._drive(lambda: time.perf_counter() < deadline)
        wall = time.perf_counter() - started
        return Load(len(latencies), errors, wall, summarize(latencies), (time.process_time() - cpu_started) / wall)

    async def for_requests(self, count: int) -> int:
        """Send `count` requests; returns how many were not answered 200."""
        remaining = count

        def more() -> bool:
            nonlocal remaining
            remaining -= 1
            return remaining >= 0

        _, errors = await self._drive(more)
        return errors


def _client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=TIMEOUT_S)


def load_client() -> str:
    """Which client `throughput` drives the load with."""
    return f"{wrk.version()}, 1 thread" if wrk.available() else "httpx (asyncio, this process)"


def wrk_load(service: RunningService, body: bytes, *, concurrency: int, seconds: float) -> Load:
    requests, errors, wall, latency, client_cpu = wrk.run(service.base_url + HOOK_PATH, body,
                                                          concurrency=concurrency, seconds=seconds)
    return Load(requests, errors, wall, latency, client_cpu)


async def throughput(
    service: RunningService, body: bytes, *, concurrency: int, seconds: float, warmup_s: float
) -> Load:
    """`concurrency` kept-alive clients for `seconds` after `warmup_s`: wrk when installed, else httpx."""
    if wrk.available():
        if warmup_s > 0:
            wrk_load(service, body, concurrency=concurrency, seconds=warmup_s)
        cpu_before = service.cpu_seconds()
        load = wrk_load(service, body, concurrency=concurrency, seconds=seconds)
    else:
        async with _client(service.base_url, concurrency) as client:
            generator = LoadGenerator(client, body, concurrency)
            if warmup_s > 0:
                await generator.for_seconds(warmup_s)
            cpu_before = service.cpu_seconds()
            load = await generator.for_seconds(seconds)
    used = tuple(after - before for before, after in zip(cpu_before, service.cpu_seconds(), strict=True))
    return replace(load, worker_cpu_s=used)


@dataclass(frozen=True)
class Soak:
    """Worker memory after warm-up and at checkpoints through a long run (requests sent so far, MB per worker)."""

    requests: int
    errors: int
    after_warmup: list[Memory]
    checkpoints: list[tuple[int, list[Memory]]]

    @property
    def after(self) -> list[Memory]:
        return self.checkpoints[-1][1]

    @property
    def growth_mb(self) -> float:
        """The largest growth of any worker's resident set between warm-up and the end."""
        return max(end.rss_mb - start.rss_mb for start, end in zip(self.after_warmup, self.after, strict=True))

    @property
    def late_growth_mb_per_1000(self) -> float:
        """The largest growth rate over the second half of the run: a leak keeps it up, filling caches do not."""
        middle_sent, middle = self.checkpoints[(len(self.checkpoints) - 1) // 2]
        end_sent = self.checkpoints[-1][0]
        if end_sent == middle_sent:
            return 0.0
        grown = max(end.rss_mb - start.rss_mb for start, end in zip(middle, self.after, strict=True))
        return grown * 1000 / (end_sent - middle_sent)


async def soak(
    service: RunningService, body: bytes, *, requests: int, warmup: int, concurrency: int, checkpoints: int
) -> Soak:
    async with _client(service.base_url, concurrency) as client:
        generator = LoadGenerator(client, body, concurrency)
        errors = await generator.for_requests(warmup)
        after_warmup = service.memory()
        sent = 0
        readings: list[tuple[int, list[Memory]]] = []
        for share in _shares(requests, checkpoints):
            errors += await generator.for_requests(share)
            sent += share
            readings.append((sent, service.memory()))
    return Soak(requests, errors, after_warmup, readings)


def _shares(total: int, parts: int) -> Sequence[int]:
    """`total` split into `parts` near-equal positive counts (fewer parts when `total` is small)."""
    parts = max(1, min(parts, total))
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]
