"""The HealthChain comparison: HealthChain 0.16 serving the same card over HTTP, measured beside our service.

Optional, because HealthChain cannot live in our virtualenv (it pins older FastAPI, httpx and fhir.resources):
`make bench-healthchain` builds `.venv-healthchain` from `peers/healthchain-requirements.txt` and passes its
interpreter with `--healthchain`; without it the report says "not measured". The peer
(`peers/healthchain_peer.py`) answers with the cards our service answered for the same body, and the bench checks
that it does before timing it, so the two services send the same response and differ only in how they get there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.service_process import free_port, running_server

from .http_load import DISCOVERY_PATH, HOOK_PATH, JSON_HEADERS, TIMEOUT_S, sequential_samples
from .measure import summarize

PEER_SCRIPT = Path(__file__).parent / "peers" / "healthchain_peer.py"
DEFAULT_PYTHON = Path(__file__).resolve().parents[1] / ".venv-healthchain" / "bin" / "python"
STARTUP_SECONDS = 60.0
ROUNDS = 5  # turns of ours then HealthChain


class NotTheSameCard(RuntimeError):
    """The peer's response differs from ours: timing it would compare two different answers."""


def interpreter(explicit: Path | None, default: Path = DEFAULT_PYTHON) -> Path | None:
    """The peer virtualenv's Python: `explicit` (which must exist), else `default` when it was built, else None."""
    if explicit is not None:
        if not explicit.exists():
            raise FileNotFoundError(f"no HealthChain interpreter at {explicit} (make bench-healthchain builds one)")
        return explicit
    return default if default.exists() else None


def cards_of(base_url: str, body: bytes) -> dict[str, Any]:
    """What the service at `base_url` answers for the hook request `body`."""
    response = httpx.post(f"{base_url}{HOOK_PATH}", content=body, headers=JSON_HEADERS, timeout=TIMEOUT_S)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


@contextmanager
def running_peer(python: Path, cards_file: Path, log_path: Path) -> Iterator[str]:
    """The HealthChain peer on a free port, answering with the response in `cards_file`; yields its base URL."""
    port = free_port()
    with running_server([str(python), str(PEER_SCRIPT), str(port)], {"FTCDS_PEER_CARDS": str(cards_file)}, log_path,
                        port=port, ready_path=DISCOVERY_PATH, name="HealthChain peer",
                        timeout=STARTUP_SECONDS) as peer:
        yield peer.base_url


def compare(python: Path, ours_url: str, body: bytes, work_dir: Path, *, warmup: int, repeat: int) -> dict[str, Any]:
    """HealthChain's latency and ours for `body`, after checking that it answers exactly what our service at
    `ours_url` answers. Each is measured as `sequential_latency` does (one kept-alive connection, floor requests
    alternating), in `ROUNDS` turns of one then the other, so a neighbour's load on this shared machine weighs on
    both alike; `repeat` calls each in all."""
    work_dir.mkdir(parents=True, exist_ok=True)
    ours = cards_of(ours_url, body)
    cards_file = work_dir / "cards.json"
    cards_file.write_bytes(orjson.dumps(ours))
    with running_peer(python, cards_file, work_dir / "healthchain.log") as peer_url:
        theirs = cards_of(peer_url, body)
        if theirs != ours:
            raise NotTheSameCard(f"HealthChain answered {len(theirs.get('cards', []))} cards that differ from our "
                                 f"{len(ours.get('cards', []))}; see {cards_file}")
        samples: dict[str, tuple[list[float], list[float]]] = {"ours": ([], []), "healthchain": ([], [])}
        for _ in range(ROUNDS):
            for name, url in (("ours", ours_url), ("healthchain", peer_url)):
                hook, floor = sequential_samples(url, body, warmup=warmup, repeat=max(1, repeat // ROUNDS))
                samples[name][0].extend(hook)
                samples[name][1].extend(floor)
    return {"cards": len(ours.get("cards", [])), "rounds": ROUNDS} | {
        name: {"hook_ms": summarize(hook).as_dict(), "floor_ms": summarize(floor).as_dict()}
        for name, (hook, floor) in samples.items()
    }
