"""`expected_audience`: the exact URL the EHR called, directly or through a proxy with a public base URL."""

from __future__ import annotations

import pytest

from cds_hooks.audience import expected_audience
from cds_hooks.settings import Settings


def test_without_a_public_base_url_it_is_the_request_url_without_query_or_fragment() -> None:
    url = "http://127.0.0.1:8080/cds-services/facial-twitch?debug=1#top"
    assert expected_audience(url, None) == "http://127.0.0.1:8080/cds-services/facial-twitch"


def test_without_a_public_base_url_a_trailing_slash_called_is_kept() -> None:
    assert expected_audience("https://cds.example.org/cds-services/", None) == "https://cds.example.org/cds-services/"


def test_without_a_public_base_url_the_root_path_stays_part_of_what_was_called() -> None:
    url = "http://cds.internal:8000/cds/cds-services"
    assert expected_audience(url, None, root_path="/cds") == url


@pytest.mark.parametrize("base", ["https://cds.example.org", "https://cds.example.org/"])
def test_a_public_base_url_replaces_scheme_host_and_port(base: str) -> None:
    url = "http://10.0.0.7:8000/cds-services/facial-twitch/feedback?x=1"
    assert expected_audience(url, base) == "https://cds.example.org/cds-services/facial-twitch/feedback"


@pytest.mark.parametrize("base", ["https://x.org/cds", "https://x.org/cds/"])
def test_a_public_base_url_with_a_path_prefix_goes_before_the_path(base: str) -> None:
    assert expected_audience("http://app:8000/cds-services/tw", base) == "https://x.org/cds/cds-services/tw"


def test_the_root_path_the_app_is_mounted_under_is_not_repeated() -> None:
    url = "http://app:8000/cds/cds-services/tw"
    assert expected_audience(url, "https://x.org/cds", root_path="/cds") == "https://x.org/cds/cds-services/tw"


def test_a_root_path_is_removed_only_as_a_whole_path_segment() -> None:
    url = "http://app:8000/cdsx/cds-services"
    assert expected_audience(url, "https://x.org", root_path="/cds") == "https://x.org/cdsx/cds-services"


def test_behind_a_proxy_a_trailing_slash_called_is_kept() -> None:
    assert expected_audience("http://app:8000/cds-services/", "https://x.org/cds") == "https://x.org/cds/cds-services/"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://cds.example.org", "https://cds.example.org/cds-services"),
        ("https://x.org/cds", "https://x.org/cds/cds-services"),
        ("https://x.org/cds/", "https://x.org/cds/cds-services"),
    ],
)
def test_the_public_base_url_setting_works_as_pydantic_normalises_it(configured: str, expected: str) -> None:
    base = Settings(public_base_url=configured).public_base_url
    assert expected_audience("http://app:8000/cds-services", str(base)) == expected
