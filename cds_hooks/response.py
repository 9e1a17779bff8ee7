"""Rendering clinical card drafts as CDS Hooks 2.0 cards.

This is where protocol details are added to what knowledge said: a fresh uuid per card and per suggestion (needed
for feedback), the rule as `source.topic`, resources to create as `create` actions and draft orders to remove as
`delete` actions naming them by `resourceId` (a relative reference; the 1.0 id-in-`resource` form is deprecated),
coded override reasons, and absolute links to our own handouts. Optional elements that would be empty are left
out, never sent as `[]` or `null`.
"""

from __future__ import annotations

import uuid

from cards import CardDraft

from .models import Action, Card, Coding, Link, Source, Suggestion

RULE_SYSTEM = "urn:facial-twitch-cds:rule"
OVERRIDE_REASON_SYSTEM = "urn:facial-twitch-cds:override-reason"


def _new_uuid() -> str:
    return str(uuid.uuid4())


def render_card(draft: CardDraft, *, knowledge_version: str, base_url: str) -> Card:
    """One CDS Hooks card for one draft; `base_url` is where this service is reachable (for handout links)."""
    suggestions = [
        Suggestion(
            label=s.label,
            uuid=_new_uuid(),
            isRecommended=s.is_recommended or None,
            actions=[  # deletes first: the order a client applies them in anyway
                *(Action(type="delete", description=f"Delete {ref}: {s.label}", resourceId=ref) for ref in s.removals),
                *(Action(type="create", description=f"Create {r['resourceType']}: {s.label}", resource=dict(r))
                  for r in s.resources),
            ]
            or None,
        )
        for s in draft.suggestions
    ]
    links = []
    if draft.handout_topic:
        links.append(
            Link(label="Patient handout (printable)", url=f"{base_url.rstrip('/')}/handouts/{draft.handout_topic}",
                 type="absolute")
        )
    if draft.guideline and draft.guideline.url != draft.source.url:  # the EHR already shows source.url
        links.append(Link(label=draft.guideline.label, url=draft.guideline.url, type="absolute"))
    return Card(
        uuid=_new_uuid(),
        summary=draft.summary,
        detail=draft.detail or None,
        indicator=draft.indicator,
        source=Source(
            label=draft.source.label,
            url=draft.source.url,
            topic=Coding(system=RULE_SYSTEM, code=draft.rule_id, display=f"{draft.title} (knowledge {knowledge_version})"),
        ),
        suggestions=suggestions or None,
        selectionBehavior=draft.selection_behavior if suggestions else None,
        overrideReasons=[
            Coding(system=OVERRIDE_REASON_SYSTEM, code=r.code, display=r.display) for r in draft.override_reasons
        ]
        or None,
        links=links or None,
    )
