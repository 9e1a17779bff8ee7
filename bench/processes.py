"""Memory and CPU time of the service's worker processes, read from `/proc` (psutil is not a dependency).

With one worker uvicorn serves from its main process; with several, the workers are its children (spawned
`multiprocessing` processes) and the main process only supervises them. CPU time matters because this machine is
shared: wall-clock figures move with the neighbours' load, the CPU a worker spends per request much less so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_BYTES_PER_KIB = 1024
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    """One process's resident set now (`VmRSS`) and at its peak so far (`VmHWM`), in megabytes (10^6 bytes)."""

    pid: int
    rss_mb: float
    peak_mb: float


def read_memory(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * _BYTES_PER_KIB
    return Memory(pid, rss_mb=fields["VmRSS"] / 1e6, peak_mb=fields["VmHWM"] / 1e6)


def reset_peak(pid: int) -> None:
    """Start the process's peak resident set (`VmHWM`) again from its resident set now, so a later reading is the
    peak of what came after (Linux >= 4.0: writing 5 to `clear_refs`)."""
    (PROC / str(pid) / "clear_refs").write_text("5")


def _stat_fields(pid_dir: Path) -> list[str] | None:
    """`/proc/<pid>/stat` after "pid (comm)" (the command may hold spaces and parentheses); None once it ended."""
    try:
        stat = (pid_dir / "stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = _stat_fields(PROC / str(pid))
    if fields is None:
        raise ProcessLookupError(pid)
    user, system = int(fields[11]), int(fields[12])  # stat fields 14 and 15, counted from "state" = field 3
    return (user + system) / _CLOCK_TICKS


def _parent(pid_dir: Path) -> int | None:
    fields = _stat_fields(pid_dir)
    return int(fields[1]) if fields is not None else None


def _command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def worker_pids(main_pid: int, workers: int) -> list[int]:
    """The processes that serve requests: the main process itself, or its spawned worker children."""
    if workers == 1:
        return [main_pid]
    children = [int(d.name) for d in PROC.iterdir() if d.name.isdigit() and _parent(d) == main_pid]
    spawned = sorted(pid for pid in children if "multiprocessing.spawn" in _command_line(pid))
    if len(spawned) != workers:
        raise RuntimeError(f"expected {workers} worker processes under pid {main_pid}, found {len(spawned)}")
    return spawned
