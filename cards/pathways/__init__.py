"""The patient-view pathways, in the order their cards are shown (most urgent kinds first).

Each module is a plain function of `ChartFacts` returning card drafts, plus the `RULES` it can fire.
"""

from __future__ import annotations

from collections.abc import Callable

from ..drafting import RuleInfo
from ..facts import ChartFacts
from ..model import CardDraft
from . import electrolytes, epilepsy, multiple_sclerosis, poisoning, red_flags, refractory, stress

Pathway = Callable[[ChartFacts], list[CardDraft]]

_MODULES = (red_flags, electrolytes, poisoning, epilepsy, multiple_sclerosis, stress, refractory)
PATHWAYS: tuple[Pathway, ...] = tuple(module.evaluate for module in _MODULES)
RULES: tuple[RuleInfo, ...] = tuple(rule for module in _MODULES for rule in module.RULES)


def evaluate(facts: ChartFacts) -> list[CardDraft]:
    return [card for pathway in PATHWAYS for card in pathway(facts)]
