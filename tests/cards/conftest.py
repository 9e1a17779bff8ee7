from __future__ import annotations

import pytest

from cards import Knowledge, load_knowledge
from cards.knowledge import KNOWLEDGE_VERSION
from cards.terminology import Terminology, load_terminology


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def terminology() -> Terminology:
    return load_terminology(version=KNOWLEDGE_VERSION)
