"""Which version of a result is current (cards/lab_versions.py), pinned so that mutation testing (README, Mutation
testing) notices any change to the order versions are ranked in.

The expected order is written here, not read back from `cards` (module docstring of cards/lab_versions.py, the
reviewed rule): between two versions of one result, the later `meta.lastUpdated` wins; without it (or when equal), the
higher numeric `meta.versionId`; then an `amended`/`corrected` status over any other; then the later `issued`.
Each case is checked in both list orders, so no case rests on which of two equal versions the code keeps.
"""

from __future__ import annotations

import pytest

from builders import lab
from cards.lab_versions import current_versions


def _version(name: str, *, updated: str | None = None, version: str | None = None, status: str = "final",
             issued: str | None = None, id: str = "mg-1"):
    raw = lab("19123-9", 1.5, "mg/dL", status=status, id=id)
    raw["note"] = [{"text": name}]
    meta = {key: value for key, value in (("lastUpdated", updated), ("versionId", version)) if value is not None}
    if meta:
        raw["meta"] = meta
    if issued:
        raw["issued"] = issued
    return raw


def _current(*raws) -> list[str]:
    return [raw["note"][0]["text"] for raw in current_versions(raws)]


def test_the_last_update_decides_before_the_version_number() -> None:
    older_update = _version("A", updated="2026-11-20T10:00:00Z", version="5")
    newer_update = _version("B", updated="2026-11-20T11:00:00Z", version="2")
    assert _current(older_update, newer_update) == ["B"]
    assert _current(newer_update, older_update) == ["B"]


@pytest.mark.parametrize("other_status", ["final", "preliminary", "entered-in-error"])
@pytest.mark.parametrize("correcting", ["corrected", "amended"])
def test_a_correcting_status_decides_when_update_and_version_are_equal(other_status, correcting) -> None:
    correction = _version("fix", status=correcting)
    other = _version("other", status=other_status)
    assert _current(correction, other) == ["fix"]
    assert _current(other, correction) == ["fix"]


def test_the_later_release_decides_last() -> None:
    later = _version("later", issued="2026-11-21T10:00:00Z")
    earlier = _version("earlier", issued="2026-11-20T10:00:00Z")
    assert _current(later, earlier) == ["later"]
    assert _current(earlier, later) == ["later"]
    assert _current(_version("unreleased"), _version("released", issued="2026-11-20T10:00:00Z")) == ["released"]
    assert _current(_version("released", issued="2026-11-20T10:00:00Z"), _version("unreleased")) == ["released"]


def test_a_last_update_beats_none_and_a_version_number_beats_none() -> None:
    for winner, loser in ((_version("updated", updated="2026-11-20T10:00:00Z"), _version("plain")),
                          (_version("numbered", version="0"), _version("plain")),
                          (_version("numbered", version="0"), _version("word", version="v2"))):
        assert _current(winner, loser) == _current(loser, winner) == [winner["note"][0]["text"]]


def test_results_without_an_id_each_stand_alone() -> None:
    first, second = _version("first"), _version("second")
    del first["id"], second["id"]
    assert _current(first, second) == ["first", "second"]
