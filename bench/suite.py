"""The whole benchmark run, in order, producing one JSON-ready results document.

In-process figures first (no servers), then the fetcher on its own against the slow FHIR server (its 2 s queries
are long finished before that server stops), a one-worker service (latency, load, a no-prefetch call against the
slow FHIR server and, when its interpreter is given, HealthChain beside it in alternating turns), a two-worker
service (load), and a fresh one-worker service for the memory soak. The machine's load average is recorded at
both ends: other work on it inflates every wall-clock figure.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from cards import load_knowledge

from . import fallback, healthchain
from .charts import MEDIUM, SIZES, ChartSize, hook_request, resource_count
from .http_load import Load, RunningService, load_client, serving, sequential_latency, soak, throughput
from .inprocess import EngineBench
from .measure import percentile, time_calls
from .processes import Memory

CONCURRENCY = 16
# Requests before the soak's first reading: enough for every kept-alive connection, the thread pool and the store's
# connections to exist and for the allocator to reach its working size under this concurrency.
SOAK_WARMUP = 1000
PROFILE_TOP = 12


@dataclass(frozen=True)
class Plan:
    """How many samples each figure gets; `--quick` trades precision for a run of well under a minute."""

    quick: bool
    soak_requests: int
    inprocess_repeat: dict[str, int]
    baseline_repeat: dict[str, int]
    http_repeat: dict[str, int]
    http_warmup: int
    load_charts: tuple[ChartSize, ...]
    load_seconds: float
    load_warmup_s: float
    fallback_repeat: int
    healthchain: Path | None = None  # the HealthChain peer's interpreter, when it is measured too

    @classmethod
    def for_run(cls, *, quick: bool, soak_requests: int, healthchain: Path | None = None) -> Plan:
        if quick:
            return cls(
                quick=True,
                soak_requests=soak_requests,
                inprocess_repeat={"small": 50, "medium": 20, "chart500": 15, "large": 10},
                baseline_repeat={"small": 5, "medium": 3, "chart500": 2, "large": 2},
                http_repeat={"small": 60, "medium": 40, "chart500": 30, "large": 20},
                http_warmup=5,
                load_charts=(MEDIUM,),
                load_seconds=1.0,
                load_warmup_s=0.3,
                fallback_repeat=3,
                healthchain=healthchain,
            )
        return cls(
            quick=False,
            soak_requests=soak_requests,
            inprocess_repeat={"small": 500, "medium": 200, "chart500": 120, "large": 60},
            baseline_repeat={"small": 40, "medium": 15, "chart500": 10, "large": 8},
            http_repeat={"small": 1000, "medium": 500, "chart500": 400, "large": 300},
            http_warmup=50,
            load_charts=SIZES,
            load_seconds=4.0,
            load_warmup_s=0.5,
            fallback_repeat=10,
            healthchain=healthchain,
        )


def _memory(readings: list[Memory]) -> list[dict[str, float]]:
    return [{"rss_mb": round(m.rss_mb, 1), "peak_mb": round(m.peak_mb, 1)} for m in readings]


def _load(load: Load) -> dict[str, Any]:
    return {
        "requests_per_s": round(load.per_second, 1),
        "requests": load.requests,
        "errors": load.errors,
        "seconds": round(load.seconds, 2),
        "latency_ms": load.latency.as_dict(),
        "client_cpu_cores": round(load.client_cpu, 2),
        "server_cpu_ms_per_request": round(load.server_cpu_ms_per_request, 2),
        "worker_cpu_shares": [round(share, 2) for share in load.worker_cpu_shares],
    }


class Suite:
    def __init__(self, plan: Plan, work_dir: Path) -> None:
        self.plan = plan
        self.work_dir = work_dir
        self.today = date.today()  # the served service's clinical "today" is the real date: the charts follow it
        # Only the bytes are kept: a large chart as Python objects would swell this process's heap, and with it the
        # garbage collector's share of every in-process figure.
        self.bodies = {size.name: orjson.dumps(hook_request(size, today=self.today)) for size in SIZES}

    def request(self, name: str) -> dict[str, Any]:
        return dict(orjson.loads(self.bodies[name]))

    def run(self) -> dict[str, Any]:
        results: dict[str, Any] = {"meta": self._meta(), "charts": self._charts()}
        results |= asyncio.run(self._in_process())
        with fallback.fhir_server_with(self.bodies, self.work_dir / "fhir-data") as fhir_server:
            results["fallback_fetch"] = asyncio.run(self._fallback(fhir_server))
            with serving(1, self.work_dir / "service-1-worker") as one_worker:
                results["http"] = self._latency(one_worker)
                load_one = self._throughput(one_worker, 1)
                results["end_to_end_without_prefetch"] = self._end_to_end(one_worker, fhir_server)
                if self.plan.healthchain is not None:
                    results["healthchain"] = healthchain.compare(
                        self.plan.healthchain, one_worker.base_url, self.bodies[MEDIUM.name],
                        self.work_dir / "healthchain", warmup=self.plan.http_warmup,
                        repeat=self.plan.http_repeat[MEDIUM.name])
            with serving(2, self.work_dir / "service-2-workers") as two_workers:
                load_two = self._throughput(two_workers, 2)
            results["throughput"] = {"concurrency": CONCURRENCY, "client": load_client(),
                                     "workers": {"1": load_one, "2": load_two}}
            with serving(1, self.work_dir / "service-soak") as soak_worker:
                results["soak"] = asyncio.run(self._soak(soak_worker))
        results["meta"]["load_average_end"] = os.getloadavg()
        return results

    def _meta(self) -> dict[str, Any]:
        return {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": self.plan.quick,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_start": os.getloadavg(),
            "knowledge_version": load_knowledge().version,
        }

    def _charts(self) -> dict[str, Any]:
        return {
            name: {"resources": resource_count(self.request(name)), "body_kb": round(len(body) / 1000, 1)}
            for name, body in self.bodies.items()
        }

    async def _in_process(self) -> dict[str, Any]:
        in_process: dict[str, Any] = {}
        async with httpx.AsyncClient() as http:
            bench = EngineBench(http, self.today)
            for name, body in self.bodies.items():
                compared = await bench.compare(
                    body,
                    warmup=5,
                    repeat=self.plan.inprocess_repeat[name],
                    baseline_repeat=self.plan.baseline_repeat[name],
                )
                in_process[name] = {
                    "ours_ms": compared.ours.as_dict(),
                    "baseline_ms": compared.baseline.as_dict(),
                    "baseline_over_ours": round(compared.speedup, 1),
                    "stages_p50_ms": {stage: round(ms, 3) for stage, ms in compared.stages_p50.items()},
                    "json_decode_p50_ms": round(compared.json_decode_p50, 3),
                    "rules_fired": compared.rule_ids,
                }
            large = self.bodies["large"]
            profile = await bench.profile(large, repeat=self.plan.inprocess_repeat["large"], top=PROFILE_TOP)
            frozen = await bench.ours_with_frozen_heap(large, repeat=self.plan.inprocess_repeat["large"])
        return {
            "in_process": in_process,
            "profile_large": {
                "top_by_own_time": [
                    {key: round(value, 3) if isinstance(value, float) else value for key, value in row.items()}
                    for row in profile
                ],
                "what_if_gc_frozen_ms": frozen.as_dict(),
            },
        }

    def _latency(self, service: RunningService) -> dict[str, Any]:
        latency: dict[str, Any] = {"workers": 1}
        for name, body in self.bodies.items():
            measured = sequential_latency(
                service.base_url, body, warmup=self.plan.http_warmup, repeat=self.plan.http_repeat[name]
            )
            # What any service must do with this body at least: answer over HTTP and parse it once.
            parse = percentile(time_calls(lambda body=body: orjson.loads(body), self.plan.http_repeat[name]), 50)
            floor_plus_parse = measured.floor.p50 + parse
            latency[name] = {
                "hook_ms": measured.hook.as_dict(),
                "floor_ms": measured.floor.as_dict(),
                "orjson_parse_p50_ms": round(parse, 3),
                "floor_plus_parse_ms": round(floor_plus_parse, 3),
                "p50_over_floor": round(measured.over_floor, 1),
                "p50_over_floor_plus_parse": round(measured.hook.p50 / floor_plus_parse, 2),
            }
        return latency

    def _throughput(self, service: RunningService, workers: int) -> dict[str, Any]:
        by_chart: dict[str, Any] = {}
        for size in self.plan.load_charts:
            service.reset_peaks()  # each chart's peak is its own, not the largest chart's run before it
            load = asyncio.run(
                throughput(
                    service,
                    self.bodies[size.name],
                    concurrency=CONCURRENCY,
                    seconds=self.plan.load_seconds,
                    warmup_s=self.plan.load_warmup_s,
                )
            )
            by_chart[size.name] = _load(load) | {"memory": _memory(service.memory())}
        return by_chart

    def _end_to_end(self, service: RunningService, server: fallback.FhirTestServer) -> dict[str, Any]:
        latency, queries, without_cards = fallback.end_to_end(
            service.base_url, server, self.request("medium"), repeat=self.plan.fallback_repeat
        )
        return {
            "chart": "medium",
            "fhir_delay_ms": fallback.QUERY_DELAY_MS,
            "latency_ms": latency.as_dict(),
            "fhir_queries_per_call": queries,
            "answered_without_cards": without_cards,
        }

    async def _soak(self, service: RunningService) -> dict[str, Any]:
        measured = await soak(
            service,
            self.bodies["medium"],
            requests=self.plan.soak_requests,
            warmup=SOAK_WARMUP,
            concurrency=CONCURRENCY,
            checkpoints=10,
        )
        start = max(m.rss_mb for m in measured.after_warmup)
        return {
            "chart": "medium",
            "warmup_requests": SOAK_WARMUP,
            "requests": measured.requests,
            "errors": measured.errors,
            "after_warmup": _memory(measured.after_warmup),
            "after": _memory(measured.after),
            "growth_mb": round(measured.growth_mb, 1),
            "growth_pct": round(100 * measured.growth_mb / start, 1),
            "late_growth_mb_per_1000_requests": round(measured.late_growth_mb_per_1000, 2),
            "checkpoints": [{"requests": sent, "rss_mb": _memory(memory)} for sent, memory in measured.checkpoints],
        }

    async def _fallback(self, server: fallback.FhirTestServer) -> dict[str, Any]:
        context = self.request("small")["context"]
        five = await fallback.concurrent_fetch(server, context, repeat=self.plan.fallback_repeat)
        overshoot = await fallback.deadline_overshoot(server, context, repeat=self.plan.fallback_repeat)
        return {
            "keys": len(fallback.five_keys(context)),
            "query_delay_ms": fallback.QUERY_DELAY_MS,
            "five_keys_ms": five.as_dict(),
            "deadline_s": fallback.DEADLINE_S,
            "server_delay_ms": fallback.SLOW_SERVER_DELAY_MS,
            "deadline_overshoot_ms": overshoot.as_dict(),
        }


def run_suite(plan: Plan) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ftcds-bench-") as work_dir:
        return Suite(plan, Path(work_dir)).run()
