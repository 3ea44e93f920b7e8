"""The ledger benchmark still runs: a quick SQLite-only pass must finish cleanly and print
its figures. It checks that the benchmark works, never how fast anything is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ledger.py"


def test_the_quick_sqlite_benchmark_runs_and_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--sqlite-only"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"sqlite .* [\d,]+ transfers/s", done.stdout), done.stdout
    assert "verify_ledger on sqlite: passed" in done.stdout, done.stdout
