"""The engine without HTTP: our evaluation (`CdsEngine.parse` + `run`) against a naive full-validation baseline.

The baseline is what a service that trusts nothing it has not validated would do: model-validate every prefetch
Bundle and the Patient with fhir.resources (R4B) before looking at them, then run the same evaluation. Our engine
validates only the resources a rule reads. No feedback loop is attached, so the store is not part of these figures.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from cards import load_knowledge
from cds_hooks.engine import CdsEngine, HookCall, HookResult
from cds_hooks.fhir_client import FhirFetcher
from cds_hooks.outcomes import Stage
from cds_hooks.settings import Settings

from .measure import Summary, elapsed_ms, percentile, summarize, time_async_calls, time_calls

SERVICE_ID = "patient-view"
BASE_URL = "http://127.0.0.1:8080"
_REPOSITORY = f"{Path(__file__).resolve().parents[1]}/"


STAGES = ("parse", "prefetch", "evaluate", "render")


@dataclass(frozen=True)
class InProcessResult:
    """Our evaluation and the baseline, with the median of each engine stage and of a bare JSON decode."""

    ours: Summary
    baseline: Summary
    stages_p50: dict[str, float]
    json_decode_p50: float
    rule_ids: list[str]

    @property
    def speedup(self) -> float:
        """How many times faster our evaluation is than the full-validation baseline (medians)."""
        return self.baseline.p50 / self.ours.p50


def validate_everything(prefetch: Mapping[str, Any]) -> None:
    """The naive baseline's extra work: every prefetch value as a validated R4B model."""
    for value in prefetch.values():
        model = Bundle if value.get("resourceType") == "Bundle" else Patient
        model.model_validate(value)


class EngineBench:
    """One engine, as the service builds it, driven directly with request bodies."""

    def __init__(self, http: httpx.AsyncClient, today: date) -> None:
        settings = Settings()
        fetcher = FhirFetcher(
            http,
            max_pages=settings.fetch_max_pages,
            max_entries=settings.fetch_max_entries,
            max_response_bytes=settings.fetch_max_response_bytes,
        )
        self.engine = CdsEngine(settings, load_knowledge(), fetcher, today=today)
        self.service = self.engine.service(SERVICE_ID)

    async def ours(self, body: bytes) -> HookResult:
        call = self.engine.parse(self.service, body)
        return await self.engine.run(call, base_url=BASE_URL)

    async def staged(self, body: bytes) -> dict[str, float]:
        """One evaluation's milliseconds per stage: parse (timed here), then the engine's own stage timings."""
        started = time.perf_counter()
        call = self.engine.parse(self.service, body)
        parse_ms = elapsed_ms(started)
        result = await self.engine.run(call, base_url=BASE_URL)
        return {"parse": parse_ms} | {stage: result.timings.ms.get(Stage(stage), 0.0) for stage in STAGES[1:]}

    async def baseline(self, body: bytes) -> HookResult:
        call: HookCall = self.engine.parse(self.service, body)
        validate_everything(call.request.prefetch or {})
        return await self.engine.run(call, base_url=BASE_URL)

    async def compare(self, body: bytes, *, warmup: int, repeat: int, baseline_repeat: int) -> InProcessResult:
        for _ in range(warmup):
            await self.ours(body)
        result = await self.ours(body)
        ours = await time_async_calls(lambda: self.ours(body), repeat)
        stages = [await self.staged(body) for _ in range(repeat)]
        decode = time_calls(lambda: orjson.loads(body), repeat)
        await self.baseline(body)
        baseline = await time_async_calls(lambda: self.baseline(body), baseline_repeat)
        return InProcessResult(
            ours=summarize(ours),
            baseline=summarize(baseline),
            stages_p50={stage: percentile([s[stage] for s in stages], 50) for stage in STAGES},
            json_decode_p50=percentile(decode, 50),
            rule_ids=result.rule_ids,
        )

    async def ours_with_frozen_heap(self, body: bytes, *, repeat: int) -> Summary:
        """Our evaluation after `gc.freeze()`: what the collector costs while a large body is parsed (a what-if)."""
        gc.collect()
        gc.freeze()
        try:
            await self.ours(body)
            return summarize(await time_async_calls(lambda: self.ours(body), repeat))
        finally:
            gc.unfreeze()

    async def profile(self, body: bytes, *, repeat: int, top: int) -> list[dict[str, Any]]:
        """Where our evaluation spends its time: the `top` functions by own time over `repeat` calls."""
        await self.ours(body)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            await self.ours(body)
        profiler.disable()
        measured: dict[Any, Any] = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
        rows = []
        for (filename, line, function), (_, calls, own, cumulative, _) in measured.items():
            rows.append(
                {
                    "function": f"{_short_path(filename)}:{line}({function})",
                    "calls_per_request": calls / repeat,
                    "own_ms": own * 1000 / repeat,
                    "cumulative_ms": cumulative * 1000 / repeat,
                }
            )
        rows.sort(key=lambda row: row["own_ms"], reverse=True)
        return rows[:top]


def _short_path(filename: str) -> str:
    """A profile location relative to the repository or site-packages, so the report stays readable."""
    for marker in ("site-packages/", _REPOSITORY):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
