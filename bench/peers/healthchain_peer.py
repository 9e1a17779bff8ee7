"""HealthChain serving our card: the peer `make bench-healthchain` measures beside us (`bench.healthchain`).

Run by the interpreter of its own virtualenv (`.venv-healthchain`, from `healthchain-requirements.txt`):
HealthChain pins FastAPI, httpx and fhir.resources versions older than ours, so it cannot share `.venv`. It is
what a team building this service on HealthChain would write: a `CDSHooksService` hook that reads the prefetch the
HealthChain way (`CdsFhirAdapter.parse`, every prefetched resource into a fhir.resources model) and answers with
the card. The card itself is not recomputed: it is the one our service answered for the same body
(`FTCDS_PEER_CARDS`, a CDS Hooks response file), so the peer does less work than we do, never more.

Usage: `python healthchain_peer.py PORT` with `FTCDS_PEER_CARDS` set. Discovery and the hook are served at our
paths (`/cds-services`, `/cds-services/patient-view`), so the bench measures both services with the same client.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from healthchain.gateway import CDSHooksService, HealthChainAPI
from healthchain.gateway.cds import CDSHooksConfig
from healthchain.io.adapters.cdsfhiradapter import CdsFhirAdapter
from healthchain.models.requests.cdsrequest import CDSRequest
from healthchain.models.responses.cdsresponse import CDSResponse


def _as_healthchain_expects(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cards with the two spec-optional fields HealthChain 0.16's models require (a missing one fails the
    response) set to null: `response_model_exclude_none` drops them again, so the JSON sent is our card's."""
    for card in cards:
        for suggestion in card.get("suggestions", []):
            suggestion.setdefault("isRecommended", None)
        for link in card.get("links", []):
            link.setdefault("autoLaunchable", None)
    return cards


def build_app(cards: list[dict[str, Any]]) -> HealthChainAPI:
    app = HealthChainAPI()
    service = CDSHooksService(config=CDSHooksConfig(base_path="", discovery_path="/cds-services",
                                                    service_path="/cds-services"))
    adapter = CdsFhirAdapter()
    expected = _as_healthchain_expects(cards)

    @service.hook("patient-view", id="patient-view", title="Facial twitching")
    def patient_view(request: CDSRequest) -> CDSResponse:
        adapter.parse(request)  # the prefetch as fhir.resources models, as a HealthChain pipeline receives it
        return CDSResponse(cards=expected)

    app.register_service(service)
    return app


def main() -> None:
    port = int(sys.argv[1])
    # Its adapter warns on every call without a DocumentReference; a log line per request is not what we measure.
    logging.getLogger("healthchain").setLevel(logging.ERROR)
    cards = json.loads(Path(os.environ["FTCDS_PEER_CARDS"]).read_text(encoding="utf-8"))["cards"]
    uvicorn.run(build_app(cards), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
