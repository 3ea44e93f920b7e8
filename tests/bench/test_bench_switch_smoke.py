"""The switch benchmark still runs: a quick SQLite-only pass must finish cleanly and print
its table. It checks that the benchmark works, never how fast anything is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "switch.py"


def test_the_quick_sqlite_switch_benchmark_runs_and_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--sqlite-only"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for terminals in ("1 terminal", "16 terminals", "64 terminals"):
        # authorisations per second, p50 and p99 latency, and the share of direct
        line = rf"switch 0100, {terminals}\s+[\d,]+\s+[\d.]+\s+[\d.]+\s+[\d.]+%"
        assert re.search(line, done.stdout), done.stdout
    assert re.search(r"ledger post_batch of 1,000\s+[\d,]+", done.stdout), done.stdout
    assert "verify_ledger on sqlite: passed" in done.stdout, done.stdout
