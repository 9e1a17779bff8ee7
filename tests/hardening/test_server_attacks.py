"""Attacks on the server itself, against a real `serve` process: spoofed audiences and forwarded headers, metric
cardinality, header bombs and stalled heads, half-sent bodies, anonymous bodies, lock contention, file modes.

Each attack is counted in the hardening tally (see `tally`); each test also checks that the attack did reach the
server (a descriptor count that rose, a response that arrived), so a test that attacked nothing fails.
"""

from __future__ import annotations

import json
import os
import re
import select
import socket
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.scenarios import SCENARIOS_DIR, load_scenario
from tests.security.tokens import SigningKey, bearer, claims, ec_key, key_set
from tests.support.dates import shift_dates
from tests.support.service_process import ServiceProcess, running_service

from . import tally

pytestmark = pytest.mark.process

ISSUER = "https://ehr.example.org"
PUBLIC_BASE = "https://cds.example.org"
OTHER_SERVICE = "other-cds.example.net"  # another CDS service the same EHR calls: tokens for it must not work here
TIMEOUT_SECONDS = 1  # header and body deadlines of the servers below


def chart_request() -> dict[str, Any]:
    """A fully prefetched patient-view call (never contacts a FHIR server), with dates moved to today."""
    scenario = load_scenario(SCENARIOS_DIR / "04-eyelid-twitching-mild-low-magnesium")
    request = json.loads(json.dumps(scenario.request))
    request["prefetch"] = shift_dates(request["prefetch"], date.today() - scenario.today)
    return request


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return ec_key("ES384", ec.SECP384R1())


def production_env(key: SigningKey, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "FTCDS_PROFILE": "production",
        "FTCDS_PUBLIC_BASE_URL": PUBLIC_BASE,
        "FTCDS_TRUSTED_ISSUERS": json.dumps([{"iss": ISSUER, "jwks": key_set(key.public_jwk())}]),
        "FTCDS_ID_HASH_SECRET": "server-attacks",
        "FTCDS_DATA_DIR": str(data_dir),
        "FTCDS_HEADER_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "FTCDS_BODY_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "FTCDS_REQUEST_BUDGET_MS": "5000",
        **extra,
    }


@pytest.fixture(scope="module")
def production(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Production profile behind `PUBLIC_BASE`, no trusted proxies, one-second header and body deadlines."""
    folder = tmp_path_factory.mktemp("production")
    with running_service(production_env(key, folder / "data"), folder / "service.log") as service:
        yield service


@pytest.fixture(scope="module")
def behind_proxy(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The same, with this machine (where the tests connect from) configured as a trusted proxy."""
    folder = tmp_path_factory.mktemp("behind-proxy")
    env = production_env(key, folder / "data", FTCDS_TRUSTED_PROXIES="127.0.0.1")
    with running_service(env, folder / "service.log") as service:
        yield service


def port_of(service: ServiceProcess) -> int:
    return int(service.base_url.rsplit(":", 1)[1])


def hook_call(service: ServiceProcess, token: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {**({"Authorization": bearer(token)} if token else {}), **(headers or {})}
    return httpx.post(f"{service.base_url}/cds-services/patient-view", json=chart_request(), headers=sent, timeout=30)


# --- 1. audience, Host and forwarded headers ---------------------------------------------------------------------


SPOOFS = {
    "other service's Host": {"Host": OTHER_SERVICE},
    "other service's Host and X-Forwarded-Host/Proto": {
        "Host": OTHER_SERVICE, "X-Forwarded-Host": OTHER_SERVICE, "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
    },
    "X-Forwarded-Host/Proto only": {"X-Forwarded-Host": OTHER_SERVICE, "X-Forwarded-Proto": "https"},
    "Forwarded header": {"Forwarded": f"host={OTHER_SERVICE};proto=https"},
}


@pytest.mark.parametrize("proxy", [False, True], ids=["untrusted-peer", "trusted-proxy"])
def test_a_token_for_another_service_is_refused_whatever_host_or_forwarded_headers_say(
    proxy: bool, key: SigningKey, request: pytest.FixtureRequest
) -> None:
    service: ServiceProcess = request.getfixturevalue("behind_proxy" if proxy else "production")
    local = service.base_url  # the URL this process actually sees, which production must not take as the audience
    other_url = f"https://{OTHER_SERVICE}/cds-services/patient-view"
    attempts = []
    for name, headers in SPOOFS.items():
        for aud in (other_url, f"{local}/cds-services/patient-view", f"http://{OTHER_SERVICE}/cds-services/patient-view"):
            attempts.append((name, aud, hook_call(service, key.mint(claims(iss=ISSUER, aud=aud)), headers)))
    # A scheme downgrade by a forwarded proto: the public URL is https, a token for http is for somewhere else.
    downgrade = f"http://{PUBLIC_BASE.removeprefix('https://')}/cds-services/patient-view"
    attempts.append(("X-Forwarded-Proto: http", downgrade, hook_call(
        service, key.mint(claims(iss=ISSUER, aud=downgrade)), {"X-Forwarded-Proto": "http"})))
    for name, aud, response in attempts:
        assert response.status_code == 401, (name, aud, response.status_code, response.text)
        tally.count(tally.AUDIENCE_ATTACKS)

    # The control: a token for the public URL works, whatever Host and forwarded headers come with it, and the
    # spoofed host never reaches the cards' links.
    for headers in ({}, *SPOOFS.values()):
        genuine = hook_call(service, key.mint(claims(iss=ISSUER, aud=f"{PUBLIC_BASE}/cds-services/patient-view")),
                            headers)
        assert genuine.status_code == 200, (headers, genuine.text)
        assert genuine.json()["cards"], "the chart should raise cards (else links are not checked)"
        assert OTHER_SERVICE not in genuine.text
    rejections = json_lines(service)
    refused = [line for line in rejections if line.get("msg") == "hook call" and line.get("status") == 401]
    assert len(refused) >= len(attempts)
    assert {line.get("error") for line in refused[-len(attempts):]} == {"audience mismatch"}


def json_lines(service: ServiceProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in service.logs().splitlines() if line.startswith("{")]


# --- 2. metrics cardinality --------------------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$")
_PROCESS_METRICS = ("process_", "python_")  # the client library's own gauges change on their own


def series(exposition: str) -> dict[str, float]:
    samples = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            match = _SAMPLE.match(line)
            assert match, line
            samples[match.group(1)] = float(match.group(2))
    return samples


def test_unknown_service_ids_and_random_paths_add_no_metric_series(production: ServiceProcess) -> None:
    with httpx.Client(base_url=production.base_url, timeout=10) as client:
        # One of each first: the `other` series they count into exist from then on.
        client.post(f"/cds-services/{uuid.uuid4().hex}", json={})
        client.post(f"/cds-services/{uuid.uuid4().hex}/feedback", json={})
        before_text = client.get("/metrics").text
        before = series(before_text)
        statuses = set()
        for n in range(300):
            probe = uuid.uuid4().hex + "%C3%A9" * (n % 3)
            if n % 3 == 0:
                response = client.post(f"/cds-services/{probe}", json={})
            elif n % 3 == 1:
                response = client.post(f"/cds-services/{probe}/feedback", json={})
            else:
                response = client.get(f"/{probe}/{n}")
            statuses.add(response.status_code)
        after_text = client.get("/metrics").text
    after = series(after_text)
    assert statuses == {404}
    assert set(after) == set(before), f"new series: {sorted(set(after) - set(before))[:5]}"
    changed = {name for name in after if after[name] != before[name] and not name.startswith(_PROCESS_METRICS)}
    assert changed, "the probes were counted nowhere: the test did not reach the counters"
    assert all('service="other"' in name for name in changed), sorted(changed)
    assert abs(len(after_text) - len(before_text)) < 1024  # only numbers changed
    tally.count(tally.CARDINALITY_PROBES, 300)


# --- 3. header bombs and stalled heads ---------------------------------------------------------------------------


def connect(service: ServiceProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(service)), timeout=10)


def read_until_closed(sock: socket.socket, deadline_s: float) -> tuple[bytes, float]:
    """What the server sent until it closed the connection, and how long that took (`deadline_s` at most)."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.1)
    while time.monotonic() - started < deadline_s:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


def send_header_bomb(service: ServiceProcess, size: int = 1 << 20) -> tuple[bytes, float]:
    with connect(service) as sock:
        started = time.monotonic()
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bomb: " + b"a" * size + b"\r\n\r\n"
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: the wanted outcome
        received, _ = read_until_closed(sock, 10)
        return received, time.monotonic() - started


def healthz_latencies(service: ServiceProcess, stop: threading.Event) -> list[float]:
    latencies = []
    while not stop.is_set() or not latencies:
        started = time.monotonic()
        with httpx.Client(timeout=10) as client:  # a fresh connection each time, as a load balancer probes
            assert client.get(f"{service.base_url}/healthz").status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)
    return latencies


def test_header_bombs_are_refused_quickly_while_healthz_stays_responsive(production: ServiceProcess) -> None:
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=9) as pool:
        probe = pool.submit(healthz_latencies, production, stop)
        bombs = list(pool.map(lambda _: send_header_bomb(production), range(8)))
        time.sleep(0.2)
        stop.set()
        latencies = probe.result()
    for received, seconds in bombs:
        assert received == b"" or re.match(rb"HTTP/1\.1 (431|400) ", received), received[:200]
        assert b"X-Bomb" not in received
        assert seconds < 5
        tally.count(tally.HEADER_ATTACKS)
    assert len(latencies) >= 3
    assert max(latencies) < 1.0, latencies
    # A head just under the limit is still served: the limit is the configured one, not "any large header".
    received, _ = send_header_bomb(production, size=16_000)
    assert received.startswith(b"HTTP/1.1 200 "), received[:200]


@pytest.mark.parametrize("attack", ["half a head", "nothing", "a byte every 200 ms"])
def test_a_stalled_or_trickled_request_head_is_disconnected_within_the_header_timeout(
    production: ServiceProcess, attack: str
) -> None:
    with connect(production) as sock:
        started = time.monotonic()
        if attack == "half a head":
            sock.sendall(b"POST /cds-services/patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        elif attack == "a byte every 200 ms":
            sock.settimeout(0.2)
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100:
                try:
                    sock.send(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                try:
                    if sock.recv(65536) == b"":
                        break
                except TimeoutError:
                    pass
                if time.monotonic() - started > 10:
                    break
        received, _ = read_until_closed(sock, 10)
        seconds = time.monotonic() - started
    assert received in (b"",) or received.startswith(b"HTTP/1.1 4"), received[:200]
    assert seconds < TIMEOUT_SECONDS + 1.5, f"held {seconds:.1f} s"
    assert seconds >= TIMEOUT_SECONDS * 0.8, f"closed after {seconds:.2f} s: before the deadline, so not by it"
    tally.count(tally.HEADER_ATTACKS)


# --- 4. idle and half-sent bodies --------------------------------------------------------------------------------


def open_descriptors(service: ServiceProcess) -> int:
    """Open sockets of the server process (its database connections, pooled and bounded, are left out)."""
    folder = Path(f"/proc/{service.process.pid}/fd")
    sockets = 0
    for fd in os.listdir(folder):
        try:
            sockets += os.readlink(folder / fd).startswith("socket:")
        except FileNotFoundError:
            pass  # closed while we looked
    return sockets


def test_half_sent_bodies_are_dropped_after_the_body_timeout_and_descriptors_return(
    production: ServiceProcess, key: SigningKey
) -> None:
    baseline = open_descriptors(production)
    heads = []
    for _ in range(200):
        token = key.mint(claims(iss=ISSUER, aud=f"{PUBLIC_BASE}/cds-services/patient-view"))
        heads.append(
            f"POST /cds-services/patient-view HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{{\"hook\": \"patient-view\", ".encode()
        )
    sockets = [connect(production) for _ in heads]
    try:
        for sock, head in zip(sockets, heads, strict=True):
            sock.sendall(head)
        during, watch = 0, time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < watch and during < baseline + 190:
            during = max(during, open_descriptors(production))
            time.sleep(0.02)
        assert during >= baseline + 190, f"the connections did not reach the server ({baseline} -> {during})"
        deadline = time.monotonic() + TIMEOUT_SECONDS + 10
        answers = []
        for sock in sockets:
            received, _ = read_until_closed(sock, max(deadline - time.monotonic(), 0.1))
            answers.append(received)
    finally:
        for sock in sockets:
            sock.close()
    dropped = [a for a in answers if a == b"" or a.startswith(b"HTTP/1.1 408 ")]
    assert len(dropped) == len(sockets), {a[:40] for a in answers}
    assert any(a.startswith(b"HTTP/1.1 408 ") for a in answers)
    tally.count(tally.IDLE_CONNECTIONS, len(dropped))
    settle = time.monotonic() + 5
    while open_descriptors(production) > baseline + 5 and time.monotonic() < settle:
        time.sleep(0.1)
    assert open_descriptors(production) <= baseline + 5, (baseline, open_descriptors(production))


def test_an_idle_keep_alive_connection_is_closed(production: ServiceProcess) -> None:
    with connect(production) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        received, _ = read_until_closed(sock, 15)
        seconds = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 200 ")
    assert seconds < TIMEOUT_SECONDS + 1.5, f"idle connection held {seconds:.1f} s"
    tally.count(tally.IDLE_CONNECTIONS)


# --- 5. anonymous bodies are refused unread ----------------------------------------------------------------------

BODY_BYTES = 5_000_000


@pytest.mark.parametrize("path", ["/cds-services/patient-view", "/cds-services/patient-view/feedback"])
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"], ids=["no-token", "garbage-token"])
def test_an_anonymous_large_body_is_answered_401_before_it_is_sent(
    production: ServiceProcess, path: str, authorization: str | None
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {BODY_BYTES}\r\n"
    if authorization:
        head += f"Authorization: {authorization}\r\n"
    chunk = b" " * 16_384
    sent = 0
    received = b""
    with connect(production) as sock:
        sock.sendall(head.encode() + b"\r\n" + b"{")
        sent = 1
        started = time.monotonic()
        while sent < BODY_BYTES and time.monotonic() - started < 20:
            readable, writable, _ = select.select([sock], [sock], [], 0.05)
            if readable:
                received = sock.recv(65536)
                break
            if writable:
                sent += sock.send(chunk[: BODY_BYTES - sent])
            time.sleep(0.005)  # a slow sender: 16 KiB per 5 ms at most
    assert received.startswith(b"HTTP/1.1 401 "), received[:200]
    assert sent < BODY_BYTES // 5, f"the 401 came only after {sent} of {BODY_BYTES} bytes"
    assert b"www-authenticate: Bearer" in received.lower().replace(b"www-authenticate: bearer", b"www-authenticate: Bearer")
    tally.count(tally.BODIES_UNREAD)


# --- 6. lock contention -------------------------------------------------------------------------------------------


def test_a_held_write_lock_makes_hook_calls_and_feedback_503_with_retry_after_never_500(
    production: ServiceProcess, key: SigningKey
) -> None:
    database = Path(json_lines_data_dir(production)) / "facial-twitch-cds.sqlite3"
    aud = f"{PUBLIC_BASE}/cds-services/patient-view"
    feedback = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "overridden",
                              "outcomeTimestamp": "2026-11-25T09:00:00Z"}]}

    def call(kind: str) -> httpx.Response:
        token = key.mint(claims(iss=ISSUER, aud=aud + ("/feedback" if kind == "feedback" else "")))
        if kind == "feedback":
            return httpx.post(f"{aud.replace(PUBLIC_BASE, production.base_url)}/feedback", json=feedback,
                              headers={"Authorization": bearer(token)}, timeout=60)
        return hook_call(production, token)

    holder = sqlite3.connect(database, isolation_level=None, timeout=5)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(max_workers=4) as pool:
            during = list(pool.map(call, ["feedback", "hook", "feedback", "hook"]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for response in during:
        assert response.status_code in (200, 503), (response.status_code, response.text)
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1"
            assert "busy" in response.text
            tally.count(tally.FEEDBACK_FLOODS)
    assert any(r.status_code == 503 for r in during), "nothing waited for the lock: the test held none"
    after = [call(kind) for kind in ("feedback", "hook")]
    assert [r.status_code for r in after] == [200, 200], [r.text for r in after]


def json_lines_data_dir(service: ServiceProcess) -> str:
    """The data directory this service was started with (from its environment)."""
    environ = Path(f"/proc/{service.process.pid}/environ").read_bytes().split(b"\0")
    values = dict(entry.decode().split("=", 1) for entry in environ if b"=" in entry)
    return values["FTCDS_DATA_DIR"]


# --- 8. private files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_fresh_data_dir_and_its_files_are_private_under_umask_022(tmp_path: Path, workers: int) -> None:
    data_dir = tmp_path / "fresh" / "data"
    env = {"FTCDS_PROFILE": "development", "FTCDS_DATA_DIR": str(data_dir)}
    previous = os.umask(0o022)
    try:
        with running_service(env, tmp_path / "service.log", workers=workers) as service:
            # A write, so SQLite has its -wal and -shm open.
            item = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-11-25T09:00:00Z"}
            token = httpx.post(service.base_url + "/cds-services/patient-view/feedback",
                               json={"feedback": [item]}).status_code
            assert token == 401  # development still requires a token; the write below comes from start-up
            files = {
                name: data_dir / name
                for name in ("facial-twitch-cds.sqlite3", "facial-twitch-cds.sqlite3-wal",
                             "facial-twitch-cds.sqlite3-shm", "id-hash.secret", "development-signing-key.pem")
            }
            modes = {name: stat.S_IMODE(path.stat().st_mode) for name, path in files.items() if path.exists()}
            directory = stat.S_IMODE(data_dir.stat().st_mode)
    finally:
        os.umask(previous)
    assert set(modes) == set(files), f"missing: {set(files) - set(modes)}"
    assert directory == 0o700, oct(directory)
    assert modes == dict.fromkeys(files, 0o600), {name: oct(mode) for name, mode in modes.items()}
    tally.count(tally.PRIVATE_FILES, 1 + len(modes))
