"""Timing and percentile helpers: every figure in the report is a `Summary` of samples in milliseconds."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating linearly between the two nearest ranks (numpy's default)."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    below = math.floor(rank)
    above = math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


@dataclass(frozen=True)
class Summary:
    """Milliseconds: the median, the 99th percentile and the extremes of `count` samples."""

    count: int
    p50: float
    p99: float
    mean: float
    min: float
    max: float

    def as_dict(self) -> dict[str, Any]:
        return {key: round(value, 3) if isinstance(value, float) else value for key, value in asdict(self).items()}


def summarize(samples_ms: Sequence[float]) -> Summary:
    return Summary(
        count=len(samples_ms),
        p50=percentile(samples_ms, 50),
        p99=percentile(samples_ms, 99),
        mean=sum(samples_ms) / len(samples_ms),
        min=min(samples_ms),
        max=max(samples_ms),
    )


def elapsed_ms(since: float) -> float:
    """Milliseconds since a `time.perf_counter()` reading."""
    return (time.perf_counter() - since) * 1000


def time_calls(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds each of `repeat` calls took."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(elapsed_ms(started))
    return samples


async def time_async_calls(call: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    """Milliseconds each of `repeat` awaited calls took."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(elapsed_ms(started))
    return samples
