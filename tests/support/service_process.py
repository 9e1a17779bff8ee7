"""Run this service as a real uvicorn process (the way `make run` and production run it) for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .processes import wait_until_ok

STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class ServiceProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def development_env(data_dir: Path) -> dict[str, str]:
    """The settings `make run` starts with (development profile, SQLite under `data_dir`), authentication off."""
    return {"FTCDS_PROFILE": "development", "FTCDS_AUTH": "off", "FTCDS_DATA_DIR": str(data_dir)}


@contextmanager
def running_service(env: Mapping[str, str], log_path: Path, *, workers: int = 1, wrapper: Sequence[str] = (),
                    timeout: float = STARTUP_SECONDS) -> Iterator[ServiceProcess]:
    """`python -m cds_hooks serve` on a free port with `env` added (and, unless `env` says otherwise, that port as
    `FTCDS_PUBLIC_BASE_URL`), started through `wrapper` if given (e.g. valgrind); stopped (SIGTERM, then SIGKILL)
    afterwards."""
    port = free_port()
    env = {"FTCDS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **env}  # what production requires; tests may override
    command = [*wrapper, sys.executable, "-m", "cds_hooks", "serve", "--port", str(port), "--workers", str(workers)]
    with running_server(command, env, log_path, port=port, ready_path="/readyz", name="service",
                        timeout=timeout) as service:
        yield service


@contextmanager
def running_server(command: list[str], env: Mapping[str, str], log_path: Path, *, port: int, ready_path: str,
                   name: str, timeout: float = STARTUP_SECONDS) -> Iterator[ServiceProcess]:
    """`command` (an HTTP server on `port`) with `env` added and its output in `log_path`, once `ready_path`
    answers 200; stopped (SIGTERM, then SIGKILL) afterwards."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        server = ServiceProcess(process, f"http://127.0.0.1:{port}", log_path)
        try:
            wait_until_ok(f"{server.base_url}{ready_path}", process, timeout=timeout, name=name, output=server.logs)
            yield server
        finally:
            stop(process)


@contextmanager
def development_service(directory: Path) -> Iterator[ServiceProcess]:
    """The service as `make run` starts it, without authentication, its data and log under `directory`."""
    with running_service(development_env(directory / "data"), directory / "service.log") as running:
        yield running


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
