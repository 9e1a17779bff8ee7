"""Waiting for a server process the tests started: until a URL answers 200, the process dies, or time runs out."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx


def wait_until_ok(
    url: str,
    process: subprocess.Popen,  # type: ignore[type-arg]
    *,
    timeout: float,
    name: str,
    output: Callable[[], str] = lambda: "",
) -> None:
    """Poll `url` until it answers 200; raise with the process's `output` if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}\n{output()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer within {timeout} s\n{output()}")
