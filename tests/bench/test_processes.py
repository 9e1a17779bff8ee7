"""Reading a process's memory from /proc, and starting its peak again, on a real child process."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.processes import read_memory, reset_peak

# Touches 200 MB page by page, frees it, says so, and waits to be read.
SPIKE = ("b = bytearray(200_000_000); b[::4096] = b'x' * len(b[::4096]); del b; "
         "print('freed', flush=True); import time; time.sleep(30)")


def test_the_peak_is_the_spike_until_it_is_reset_then_what_came_after() -> None:
    child = subprocess.Popen([sys.executable, "-c", SPIKE], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "freed\n"
        spiked = read_memory(child.pid)
        assert spiked.peak_mb > 200 > spiked.rss_mb
        reset_peak(child.pid)
        time.sleep(0.05)
        after = read_memory(child.pid)
        assert after.peak_mb < 100
        assert after.peak_mb >= after.rss_mb * 0.9
    finally:
        child.kill()
        child.wait()
