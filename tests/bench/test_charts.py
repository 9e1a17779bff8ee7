"""The benchmark's synthetic charts are real patient-view calls of the promised sizes, and its percentiles are right."""

from __future__ import annotations

import random
import statistics
from datetime import date

import httpx
import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from bench.charts import CHART_500, LARGE, MEDIUM, SIZES, SMALL, ChartSize, hook_request, resource_count, without_prefetch
from bench.inprocess import EngineBench
from bench.measure import percentile, summarize
from cards import load_knowledge
from cds_hooks.services import chart_prefetch

TODAY = date(2026, 11, 25)
PROMISED = {SMALL: 30, MEDIUM: 300, CHART_500: 500, LARGE: 1500}


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_chart_carries_the_promised_number_of_resources(size: ChartSize) -> None:
    count = resource_count(hook_request(size, today=TODAY))

    assert count == size.resources
    assert PROMISED[size] * 0.8 <= count <= PROMISED[size] * 1.2


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_chart_prefetch_has_every_key_the_service_declares_and_is_valid_fhir(size: ChartSize) -> None:
    prefetch = hook_request(size, today=TODAY)["prefetch"]

    assert set(prefetch) == {key.name for key in chart_prefetch(load_knowledge())}
    Patient.model_validate(prefetch["patient"])
    for key in ("observations", "conditions", "medications"):
        assert Bundle.model_validate(prefetch[key]).type == "searchset"


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
async def test_chart_is_accepted_by_the_engine_and_makes_the_rules_fire(size: ChartSize) -> None:
    body = orjson.dumps(hook_request(size, today=TODAY))
    async with httpx.AsyncClient() as http:
        result = await EngineBench(http, TODAY).ours(body)

    assert "electrolyte.magnesium.low" in result.rule_ids
    assert not result.evaluation.skipped_resources


def test_medium_and_large_charts_carry_labs_no_rule_reads() -> None:
    read_codes = {code for _, code in load_knowledge().observation_codings()}
    for size in (MEDIUM, LARGE):
        observations = hook_request(size, today=TODAY)["prefetch"]["observations"]["entry"]
        codes = {entry["resource"]["code"]["coding"][0]["code"] for entry in observations}
        assert {"4548-4", "2345-7", "718-7"} <= codes - read_codes


def test_charts_are_deterministic_for_a_seed_and_day() -> None:
    first = orjson.dumps(hook_request(MEDIUM, today=TODAY, seed=3))

    assert orjson.dumps(hook_request(MEDIUM, today=TODAY, seed=3)) == first
    assert orjson.dumps(hook_request(MEDIUM, today=TODAY, seed=4)) != first


def test_charts_of_different_sizes_are_different_patients() -> None:
    patient_ids = {hook_request(size, today=TODAY)["context"]["patientId"] for size in SIZES}

    assert len(patient_ids) == len(SIZES)


def test_without_prefetch_keeps_the_call_and_names_the_fhir_server() -> None:
    request = hook_request(SMALL, today=TODAY)

    stripped = without_prefetch(request, "http://127.0.0.1:9/fhir")

    assert "prefetch" not in stripped
    assert stripped["fhirServer"] == "http://127.0.0.1:9/fhir"
    assert stripped["context"] == request["context"]
    assert resource_count(stripped) == 0


def test_percentile_interpolates_between_ranks() -> None:
    samples = [4.0, 1.0, 3.0, 2.0]

    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 25) == 1.75
    assert percentile(samples, 50) == 2.5
    assert percentile(samples, 100) == 4.0


def test_percentile_agrees_with_the_standard_library() -> None:
    rng = random.Random(7)
    samples = [rng.expovariate(1.0) for _ in range(501)]

    expected = statistics.quantiles(samples, n=100, method="inclusive")

    assert percentile(samples, 50) == pytest.approx(expected[49])
    assert percentile(samples, 99) == pytest.approx(expected[98])


def test_percentile_of_one_sample_is_that_sample() -> None:
    assert percentile([7.5], 99) == 7.5


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_refuses_a_rank_outside_0_to_100(q: float) -> None:
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0, 2.0], q)


def test_percentile_refuses_no_samples() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_summary_reports_median_tail_and_extremes() -> None:
    summary = summarize([float(value) for value in range(1, 102)])

    assert (summary.count, summary.p50, summary.p99, summary.min, summary.max) == (101, 51.0, 100.0, 1.0, 101.0)
    assert summary.mean == 51.0
