"""The results as a table for people and as JSON for machines, with every target marked PASS or MISS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SOAK_FLAT_PCT = 5.0  # "flat": a worker's resident set grows by at most this share over the soak
HEALTHCHAIN_SPEEDUP = 25  # issue 13's goal: HealthChain's p50 at least this multiple of ours (medium chart)
BUSY_LOAD_PER_CPU = 0.75  # a load average above this per CPU before we start means someone else is busy here


@dataclass(frozen=True)
class Target:
    """One promise of the issue, and what this run measured against it."""

    name: str
    limit: float
    unit: str
    measured: float
    at_most: bool  # True: the measured figure must not exceed `limit`; False: it must reach it

    @property
    def passed(self) -> bool:
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "goal": f"{'<=' if self.at_most else '>='} {self.limit:g} {self.unit}".strip(),
            "measured": round(self.measured, 2),
            "result": "PASS" if self.passed else "MISS",
        }


def targets(results: dict[str, Any]) -> list[Target]:
    """Issue 13's targets: one worker for latency, two workers on the medium chart for throughput, memory under that
    load and over the soak, and the fallback fetch."""
    http = results["http"]
    loads = results["throughput"]["workers"]
    soak = results["soak"]
    # A 4-second load does not reach a worker's working size; the soak's 11,000 requests do, so both count.
    peak = max(m["peak_mb"] for m in (*loads["2"]["medium"]["memory"], *soak["after"]))
    fetch = results["fallback_fetch"]
    relative = [
        Target(f"{name} chart: HTTP p50 over (HTTP floor + one orjson parse)", 2, "x",
               http[name]["p50_over_floor_plus_parse"], at_most=True)
        for name in ("medium", "chart500")
    ]
    return [
        *relative,
        *(Target(f"{name} chart: HTTP p99", 10, "ms", http[name]["hook_ms"]["p99"], at_most=True)
          for name in ("medium", "chart500")),
        Target("large chart: HTTP p50", 8, "ms", http["large"]["hook_ms"]["p50"], at_most=True),
        Target("large chart: HTTP p99", 15, "ms", http["large"]["hook_ms"]["p99"], at_most=True),
        Target("medium chart: full-validation baseline over ours (in-process)", 10, "x",
               results["in_process"]["medium"]["baseline_over_ours"], at_most=False),
        Target("medium chart: throughput, 2 workers", 600, "req/s", loads["2"]["medium"]["requests_per_s"],
               at_most=False),
        Target("medium chart: peak RSS per worker, 2-worker load and soak", 150, "MB", peak, at_most=True),
        Target(f"RSS growth over {soak['requests']} requests (medium)", SOAK_FLAT_PCT, "%", soak["growth_pct"],
               at_most=True),
        Target("fallback fetch, 5 keys at 100 ms/query (max)", 150, "ms", fetch["five_keys_ms"]["max"], at_most=True),
        Target("fetch deadline overshoot (max)", 50, "ms", fetch["deadline_overshoot_ms"]["max"], at_most=True),
        *([Target("medium chart: HealthChain's HTTP p50 over ours", HEALTHCHAIN_SPEEDUP, "x",
                  healthchain_over_ours(results), at_most=False)] if "healthchain" in results else []),
    ]


def healthchain_over_ours(results: dict[str, Any]) -> float:
    """HealthChain's median over ours, both over HTTP on the medium chart, measured in alternating turns."""
    compared = results["healthchain"]
    ratio: float = compared["healthchain"]["hook_ms"]["p50"] / compared["ours"]["hook_ms"]["p50"]
    return ratio


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]

    def line(row: list[str]) -> str:
        first, *rest = row
        aligned = (cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True))
        return "  ".join([first.ljust(widths[0]), *aligned])

    rule = "-" * len(line(header))
    return "\n".join([title, rule, line(header), rule, *(line(row) for row in cells[1:]), ""])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


Column = tuple[str, Callable[[dict[str, Any]], Any]]


def _per_chart(results: dict[str, Any], title: str, section: str, columns: list[Column]) -> str:
    """One row per chart from `results[section][chart]`, one column per (heading, picker)."""
    rows = [[name, *(pick(results[section][name]) for _, pick in columns)] for name in results["charts"]]
    return _table(title, ["chart", *(heading for heading, _ in columns)], rows)


def _header(meta: dict[str, Any]) -> str:
    start, end = meta["load_average_start"][0], meta["load_average_end"][0]
    note = f"load average (1 min) {start:.2f} at start, {end:.2f} at end"
    if start >= BUSY_LOAD_PER_CPU * meta["cpus"]:
        note += "  -- MACHINE BUSY: other work inflates wall-clock figures; CPU ms per request is the steadier one"
    quick = "  (QUICK: few samples)" if meta["quick"] else ""
    run = f"facial-twitch-cds benchmark  {meta['started']}  python {meta['python']}  {meta['cpus']} CPUs{quick}"
    return f"{run}\n{note}\n"


def _charts(results: dict[str, Any]) -> str:
    rows = [[name, chart["resources"], chart["body_kb"], ", ".join(results["in_process"][name]["rules_fired"])]
            for name, chart in results["charts"].items()]
    return _table("Charts (patient-view, all four prefetch keys)", ["chart", "resources", "body KB", "rules fired"],
                  rows)


def _in_process(results: dict[str, Any]) -> list[str]:
    compared: list[Column] = [
        ("ours p50 ms", lambda r: r["ours_ms"]["p50"]),
        ("ours p99 ms", lambda r: r["ours_ms"]["p99"]),
        ("baseline p50 ms", lambda r: r["baseline_ms"]["p50"]),
        ("baseline / ours", lambda r: r["baseline_over_ours"]),
    ]
    stages: list[Column] = [
        *((stage, lambda r, stage=stage: r["stages_p50_ms"][stage]) for stage in ("parse", "prefetch", "evaluate",
                                                                                  "render")),
        ("of parse: bare orjson.loads", lambda r: r["json_decode_p50_ms"]),
    ]
    return [
        _per_chart(results, "In-process: CdsEngine.parse + run, no HTTP, no store; baseline also validates the "
                   "whole prefetch", "in_process", compared),
        _per_chart(results, "In-process stages, p50 ms (the engine's own stage timings; parse timed around "
                   "CdsEngine.parse)", "in_process", stages),
    ]


def _http(results: dict[str, Any]) -> str:
    columns: list[Column] = [
        ("p50 ms", lambda r: r["hook_ms"]["p50"]),
        ("p99 ms", lambda r: r["hook_ms"]["p99"]),
        ("max ms", lambda r: r["hook_ms"]["max"]),
        ("floor p50 ms", lambda r: r["floor_ms"]["p50"]),
        ("orjson parse ms", lambda r: r["orjson_parse_p50_ms"]),
        ("p50 / floor", lambda r: r["p50_over_floor"]),
        ("p50 / (floor + parse)", lambda r: r["p50_over_floor_plus_parse"]),
    ]
    title = (f"HTTP, {results['http']['workers']} worker, one kept-alive connection, sequential; "
             "floor = GET /cds-services on the same connection; parse = orjson.loads of the body, this process")
    return _per_chart(results, title, "http", columns)


def _throughput(results: dict[str, Any]) -> str:
    loads = results["throughput"]
    rows = []
    for workers, by_chart in loads["workers"].items():
        for name, load in by_chart.items():
            peak = max(m["peak_mb"] for m in load["memory"])
            split = "/".join(f"{share:.0%}" for share in load["worker_cpu_shares"])
            rows.append([name, workers, load["requests_per_s"], load["latency_ms"]["p50"], load["latency_ms"]["p99"],
                         load["errors"], load["server_cpu_ms_per_request"], split, load["client_cpu_cores"], peak])
    return _table(
        f"Throughput: {loads['concurrency']} kept-alive clients from {loads['client']} (client CPU in cores shares "
        "the machine)",
        ["chart", "workers", "req/s", "p50 ms", "p99 ms", "errors", "worker CPU ms/req", "CPU split", "client CPU",
         "peak RSS/worker MB (this load)"],
        rows,
    )


def _soak(results: dict[str, Any]) -> str:
    soak = results["soak"]
    rows = [[f"worker {index + 1}", start["rss_mb"], end["rss_mb"], round(end["rss_mb"] - start["rss_mb"], 1)]
            for index, (start, end) in enumerate(zip(soak["after_warmup"], soak["after"], strict=True))]
    title = (f"Memory soak: {soak['requests']} requests after {soak['warmup_requests']} to warm up ({soak['chart']} "
             f"chart, {soak['errors']} errors); second half grew {soak['late_growth_mb_per_1000_requests']:.2f} MB "
             "per 1,000 requests")
    return _table(title, ["worker", "RSS after warm-up MB", "RSS after MB", "growth MB"], rows)


def _fallback(results: dict[str, Any]) -> str:
    fetch, e2e = results["fallback_fetch"], results["end_to_end_without_prefetch"]
    five, overshoot, whole = fetch["five_keys_ms"], fetch["deadline_overshoot_ms"], e2e["latency_ms"]
    rows = [
        [f"{fetch['keys']} keys, fetch_all, {fetch['query_delay_ms']} ms/query", five["p50"], five["max"]],
        [f"deadline {fetch['deadline_s']} s vs {fetch['server_delay_ms']} ms server: overshoot", overshoot["p50"],
         overshoot["max"]],
        [f"hook call without prefetch ({e2e['chart']}, {e2e['fhir_queries_per_call']:g} queries), 1 worker, "
         f"{e2e['answered_without_cards']} of {whole['count']} without cards", whole["p50"], whole["max"]],
    ]
    return _table("Fallback fetch against the FHIR test server", ["measurement", "p50 ms", "max ms"], rows)


def _profile(results: dict[str, Any]) -> list[str]:
    profile = results["profile_large"]
    functions = [[row["function"], row["calls_per_request"], row["own_ms"], row["cumulative_ms"]]
                 for row in profile["top_by_own_time"]]
    configured, frozen = results["in_process"]["large"]["ours_ms"], profile["what_if_gc_frozen_ms"]
    collectors = [[label, ms["p50"], ms["p99"], ms["mean"]]
                  for label, ms in (("as configured", configured), ("frozen", frozen))]
    return [
        _table("Where in-process time goes (large chart, cProfile per request: it inflates Python-level loops)",
               ["function", "calls", "own ms", "cumulative ms"], functions),
        _table("What if the collector skipped the start-up heap (gc.freeze() after warm-up), large chart in-process",
               ["collector", "p50 ms", "p99 ms", "mean ms"], collectors),
    ]


def _targets(results: dict[str, Any]) -> str:
    rows = [[t["result"], t["name"], t["goal"], t["measured"]] for t in results["targets"]]
    return _table("Targets", ["result", "target", "goal", "measured"], rows)


def _healthchain(results: dict[str, Any]) -> str:
    if "healthchain" not in results:
        return ("Not measured: HealthChain serving the same card (optional: `make bench-healthchain` builds its "
                "virtualenv and runs this bench with it); the full-validation baseline above is the in-process "
                "stand-in.\n")
    compared = results["healthchain"]
    rows = [[name, side["hook_ms"]["p50"], side["hook_ms"]["p99"], side["floor_ms"]["p50"]]
            for name, side in (("HealthChain 0.16.1", compared["healthchain"]), ("facial-twitch-cds", compared["ours"]))]
    title = (f"HealthChain serving the same {compared['cards']} cards, medium chart, one worker each, HTTP, "
             f"{compared['rounds']} turns each: its p50 is {healthchain_over_ours(results):.1f}x ours")
    return _table(title, ["service", "p50 ms", "p99 ms", "floor p50 ms"], rows)


def render(results: dict[str, Any]) -> str:
    """The whole report as text."""
    return "\n".join([
        _header(results["meta"]),
        _charts(results),
        *_in_process(results),
        _http(results),
        _throughput(results),
        _soak(results),
        _fallback(results),
        *_profile(results),
        _healthchain(results),
        _targets(results),
    ])


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
