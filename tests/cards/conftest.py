from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cards import Knowledge, load_knowledge
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import VALUESET_DIR, Terminology, load_terminology


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def terminology() -> Terminology:
    return load_terminology(version=KNOWLEDGE_VERSION)


@pytest.fixture
def valueset_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped value sets, for tests that break one."""
    target = tmp_path / "valuesets"
    shutil.copytree(VALUESET_DIR, target)
    return target
