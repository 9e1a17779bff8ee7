"""`python -m bench.instruction_driver CHART STAGE CALLS`: the process `bench.instructions` runs under callgrind.

It builds the engine as `bench.inprocess` does, warms every stage up (so the first-call costs of each, the same in
every run, are not counted), freezes the heap, then makes CALLS calls of STAGE. A run with CALLS 0 is the
baseline that `bench.instructions` subtracts: start-up, imports, the chart and the warm-up are identical in both
runs (`PYTHONHASHSEED` is fixed by the caller), so the difference is what the calls cost.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
import orjson

from .charts import SIZES, hook_request
from .inprocess import BASE_URL, EngineBench

TODAY = date(2026, 11, 25)  # fixed: the same chart, the same rules firing, in every run
WARMUP = 3
Stage = Callable[[], Awaitable[object]]
STAGE_NAMES = ("ours", "parse", "evaluate", "orjson")


def stages(bench: EngineBench, body: bytes) -> dict[str, Stage]:
    """What can be counted: our evaluation and its two halves, and the bare JSON parse that is the yardstick."""
    call = bench.engine.parse(bench.service, body)

    async def ours() -> object:
        return await bench.ours(body)

    async def parse() -> object:
        return bench.engine.parse(bench.service, body)

    async def evaluate() -> object:
        return await bench.engine.run(call, base_url=BASE_URL)

    async def orjson_parse() -> object:
        return orjson.loads(body)

    return dict(zip(STAGE_NAMES, (ours, parse, evaluate, orjson_parse), strict=True))


def request_body(chart: str) -> bytes:
    """The hook request of the chart named `chart`, dated from `TODAY`: the same bytes in every counted run."""
    size = {size.name: size for size in SIZES}[chart]
    return orjson.dumps(hook_request(size, today=TODAY))


async def run(chart: str, stage: str, calls: int) -> int:
    """Warm up, then make `calls` calls of `stage`; the number of calls made."""
    body = request_body(chart)
    async with httpx.AsyncClient() as http:
        bench = EngineBench(http, TODAY)
        every = stages(bench, body)
        measured = every[stage]
        for warm in every.values():
            for _ in range(WARMUP):
                await warm()
        gc.collect()
        gc.freeze()
        for _ in range(calls):
            await measured()
    return calls


def main(argv: list[str]) -> None:
    chart, stage, calls = argv
    if stage not in STAGE_NAMES:
        raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGE_NAMES)}")
    asyncio.run(run(chart, stage, int(calls)))


if __name__ == "__main__":
    main(sys.argv[1:])
