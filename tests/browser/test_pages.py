"""Pages people open in a browser, rendered by a real Chromium against a real service process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.support.dates import shift_dates
from tests.support.service_process import ServiceProcess, development_service

pytestmark = pytest.mark.process

CHROMIUM = "/usr/bin/chromium"
# The flags a locked-down machine needs: no sandbox as root, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCENARIOS = ("05-low-magnesium-and-potassium", "20-anxiety-and-insomnia-relaxation", "08-severe-hyponatremia")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with development_service(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def outside_requests(page: Page, service: ServiceProcess) -> list[str]:
    """Every URL the page asks for that is not on the service: EHR networks are closed, so it must stay empty."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if not r.url.startswith(service.base_url) else None)
    return requested


def issue_cards_and_dismiss_one(service: ServiceProcess) -> dict[str, Any]:
    """Real traffic: patient-views for a few scenarios (moved to today), then one card overridden."""
    issued: dict[str, Any] = {}
    with httpx.Client(base_url=service.base_url) as client:
        for name in SCENARIOS:
            scenario = load_scenario(SCENARIOS_DIR / name)
            request = shift_dates(scenario.request, date.today() - scenario.today)
            response = client.post("/cds-services/patient-view", json=request)
            response.raise_for_status()
            issued.update({card["source"]["topic"]["code"]: card for card in response.json()["cards"]})
        dismissed = issued["stress.relaxation"]
        feedback = {
            "card": dismissed["uuid"],
            "outcome": "overridden",
            "overrideReason": {"reason": {"code": "not-relevant", "system": "urn:facial-twitch-cds:override-reason"}},
            "outcomeTimestamp": date.today().isoformat() + "T09:00:00Z",
        }
        client.post("/cds-services/patient-view/feedback", json={"feedback": [feedback]}).raise_for_status()
    return issued


def test_dashboard_renders_charts_of_real_traffic(
    service: ServiceProcess, page: Page, outside_requests: list[str], tmp_path: Path
) -> None:
    issued = issue_cards_and_dismiss_one(service)

    response = page.goto(f"{service.base_url}/dashboard")
    assert response is not None and response.status == 200
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    charts = page.locator("svg")
    assert charts.count() >= 2
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, "every chart is laid out visibly"
    assert page.locator("svg rect").count() >= len(issued), "one bar (at least) per rule that issued cards"
    text = page.inner_text("body")
    for rule in issued:
        assert rule in text

    # Each rule's acceptance under the knowledge version its cards carried (on their source topic).
    [version] = {re.search(r"\(knowledge ([^)]+)\)$", c["source"]["topic"]["display"]).group(1)
                 for c in issued.values()}
    assert page.locator("#version-chart").is_visible()
    assert page.locator("#version-chart text", has_text=version).count() >= len(issued)
    table = page.locator("h2:has-text('Acceptance by knowledge version') ~ div table").first
    rows = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    for rule in issued:  # named by title, with the id in brackets
        assert [cells[1] for cells in rows if cells[0].endswith(f"({rule})")] == [version]
    [dismissed] = [cells[1:] for cells in rows if cells[0].endswith("(stress.relaxation)")]
    assert dismissed[0] == version
    assert dismissed[4].replace("\xa0", " ") == "not-relevant 1" and dismissed[-1] == "0%"
    assert outside_requests == [], "the dashboard must load nothing from outside the service"


def test_patient_handout_renders_as_a_printable_page(
    service: ServiceProcess, page: Page, outside_requests: list[str], tmp_path: Path
) -> None:
    response = page.goto(f"{service.base_url}/handouts/electrolytes")
    assert response is not None and response.status == 200
    page.screenshot(path=str(tmp_path / "handout.png"), full_page=True)

    heading = page.locator("h1")
    assert heading.count() == 1 and heading.inner_text().strip()
    assert page.locator("main p, main li").count() >= 3, "the handout has real content"
    assert page.get_by_role("button", name="Print this page").is_visible()
    assert page.evaluate("document.title") == heading.inner_text().strip()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Print this page").is_visible(), "the print button is not printed"
    assert outside_requests == []
