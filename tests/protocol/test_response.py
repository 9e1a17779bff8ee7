"""Rendering knowledge's card drafts as CDS Hooks cards: uuids, rule topic, links, no empty elements."""

from __future__ import annotations

from cards.model import CardDraft, Citation, OverrideReason, Suggestion
from cds_hooks.response import OVERRIDE_REASON_SYSTEM, RULE_SYSTEM, render_card

SOURCE = Citation("StatPearls: Hypomagnesemia", "https://statpearls.com/point-of-care/23271")
PROPOSAL = {"resourceType": "MedicationRequest", "status": "draft", "intent": "proposal"}


def draft(**overrides: object) -> CardDraft:
    fields: dict[str, object] = {
        "rule_id": "electrolyte.magnesium.low",
        "title": "Low magnesium",
        "summary": "Magnesium low",
        "indicator": "info",
        "detail": "basis",
        "source": SOURCE,
    }
    fields.update(overrides)
    return CardDraft(**fields)  # type: ignore[arg-type]


def test_minimal_draft_renders_without_any_empty_optional_element() -> None:
    card = render_card(draft(), knowledge_version="2026.11.0", base_url="https://cds.example.org")
    rendered = card.model_dump(exclude_none=True)
    assert set(rendered) == {"uuid", "summary", "detail", "indicator", "source"}
    assert rendered["source"]["topic"] == {
        "system": RULE_SYSTEM,
        "code": "electrolyte.magnesium.low",
        "display": "Low magnesium (knowledge 2026.11.0)",
    }


def test_every_card_and_suggestion_gets_its_own_uuid() -> None:
    suggestions = (Suggestion("a", "Start magnesium", (PROPOSAL,)), Suggestion("b", "Recheck", ()))
    cards = [
        render_card(draft(suggestions=suggestions), knowledge_version="v", base_url="https://x")
        for _ in range(2)
    ]
    uuids = [c.uuid for c in cards] + [s.uuid for c in cards for s in c.suggestions or []]
    assert len(set(uuids)) == 6


def test_suggestions_carry_create_actions_and_selection_behavior() -> None:
    card = render_card(
        draft(suggestions=(Suggestion("a", "Start magnesium", (PROPOSAL,), is_recommended=True),),
              selection_behavior="any"),
        knowledge_version="v",
        base_url="https://x",
    )
    assert card.selectionBehavior == "any"
    [suggestion] = card.suggestions or []
    assert suggestion.isRecommended is True
    [action] = suggestion.actions or []
    assert (action.type, action.resource) == ("create", PROPOSAL)
    assert "MedicationRequest" in action.description


def test_removals_become_delete_actions_naming_the_draft_by_resource_id() -> None:
    suggestion = Suggestion("order.x.remove-draft", "Remove the draft order: Valproic Acid 250 MG",
                            removals=("MedicationRequest/request-123",))
    card = render_card(draft(suggestions=(suggestion,)), knowledge_version="v", base_url="https://x")
    [rendered] = card.model_dump(exclude_none=True)["suggestions"]
    assert rendered["label"] == "Remove the draft order: Valproic Acid 250 MG" and rendered["uuid"]
    assert rendered["actions"] == [{
        "type": "delete",
        "description": "Delete MedicationRequest/request-123: Remove the draft order: Valproic Acid 250 MG",
        "resourceId": "MedicationRequest/request-123",  # a string, the CDS Hooks 2.0 shape; no `resource`
    }]
    assert card.selectionBehavior == "at-most-one"


def test_deletes_come_before_creates_in_one_suggestion() -> None:
    suggestion = Suggestion("k", "Switch", resources=(PROPOSAL,), removals=("MedicationRequest/a",))
    [rendered] = render_card(draft(suggestions=(suggestion,)), knowledge_version="v", base_url="https://x").suggestions
    assert [action.type for action in rendered.actions or []] == ["delete", "create"]


def test_suggestion_without_resources_has_no_actions_key() -> None:
    card = render_card(draft(suggestions=(Suggestion("b", "Discuss"),)), knowledge_version="v", base_url="https://x")
    assert "actions" not in card.model_dump(exclude_none=True)["suggestions"][0]
    assert "isRecommended" not in card.model_dump(exclude_none=True)["suggestions"][0]


def test_handout_and_guideline_become_absolute_links_on_our_base_url() -> None:
    guideline = Citation("NICE NG217", "https://www.nice.org.uk/guidance/ng217")
    card = render_card(
        draft(handout_topic="stress", guideline=guideline),
        knowledge_version="v",
        base_url="https://cds.example.org/base/",
    )
    assert [(link.url, link.type) for link in card.links or []] == [
        ("https://cds.example.org/base/handouts/stress", "absolute"),
        ("https://www.nice.org.uk/guidance/ng217", "absolute"),
    ]


def test_guideline_that_is_the_source_is_not_linked_twice() -> None:
    card = render_card(draft(guideline=SOURCE), knowledge_version="v", base_url="https://x")
    assert card.links is None


def test_override_reasons_are_codings_with_display() -> None:
    card = render_card(
        draft(override_reasons=(OverrideReason("patient-declined", "Patient declined"),)),
        knowledge_version="v",
        base_url="https://x",
    )
    [reason] = card.overrideReasons or []
    assert (reason.system, reason.code, reason.display) == (OVERRIDE_REASON_SYSTEM, "patient-declined", "Patient declined")
