"""The CLI end to end: the real `ebank` executable in a subprocess, on both databases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

EBANK = str(Path(sys.executable).with_name("ebank"))


def run(url: str, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EBANK_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run(
        [EBANK, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check is not None:
        assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc


def number_in(output: str) -> str:
    found = re.search(r"\b(\d{19})\b", output)
    assert found, output
    return found.group(1)


def test_counter_day_through_the_cli(database_url: str) -> None:
    run(database_url, "db", "upgrade")
    run(database_url, "branch", "add", "0001", "Head office", "--kind", "head_office")
    run(database_url, "branch", "add", "0101", "城关营业所", "--kind", "outlet", "--parent", "0001")
    out = run(
        database_url,
        "customer",
        "add",
        "--name",
        "王芳",
        "--id-number",
        "11010519491231002X",
        "--branch",
        "0101",
        "--email",
        "wang.fang@example.com",
    ).stdout
    customer = re.search(r"C\d{10}", out)
    assert customer
    shown = run(database_url, "customer", "show", customer.group(0)).stdout
    assert "wang.fang@example.com" in shown
    saving = number_in(run(database_url, "account", "open", customer.group(0)).stdout)
    current = number_in(
        run(database_url, "account", "open", customer.group(0), "--product", "CUR").stdout
    )

    run(database_url, "cash", "deposit", saving, "1000.00", "--branch", "0101")
    tid = "01a21a8b-0000-7000-8000-000000000001"
    first = run(database_url, "transfer", saving, current, "250.50", "--id", tid).stdout
    again = run(database_url, "transfer", saving, current, "250.50", "--id", tid).stdout
    assert "posted" in first and "posted" in again
    different = run(database_url, "transfer", saving, current, "9.00", "--id", tid, check=1)
    assert "exists_with_different_amount" in different.stderr

    balance = run(database_url, "balance", saving).stdout
    assert "749.50" in balance  # 1000.00 - 250.50, posted once despite the retry
    refused = run(database_url, "cash", "withdraw", saving, "5000", "--branch", "0101", check=1)
    assert "exceeds_credits" in refused.stderr and "insufficient funds" in refused.stderr
    bad = run(database_url, "cash", "withdraw", saving, "1.001", "--branch", "0101", check=2)
    assert "more than 2 decimal places" in bad.stderr

    history = run(database_url, "history", saving, "--limit", "1").stdout
    assert "250.50" in history and "--before" in history

    run(database_url, "account", "freeze", saving)
    frozen = run(database_url, "transfer", saving, current, "1", check=1)
    assert "debit_account_frozen" in frozen.stderr
    closing = run(database_url, "account", "close", current, check=1)
    assert "account_not_empty" in closing.stderr
    verified = run(database_url, "ledger", "verify")
    assert "ledger verified" in verified.stdout


def test_verify_fails_on_a_tampered_ledger(database_url: str) -> None:
    run(database_url, "demo", "--customers", "60", "--months", "1")
    assert "ledger verified" in run(database_url, "ledger", "verify").stdout
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE balances SET credits_posted = credits_posted + 1"
                " WHERE account_id = (SELECT MIN(id) FROM accounts WHERE customer_id IS NOT NULL)"
            )
        )
    engine.dispose()
    tampered = run(database_url, "ledger", "verify", check=1)
    assert "mismatch" in tampered.stdout and "credits_posted" in tampered.stdout
    assert "LEDGER VERIFY FAILED" in tampered.stdout


@pytest.mark.slow
def test_demo_bank_is_shaped_like_the_seed_and_verifies(database_url: str) -> None:
    made = run(database_url, "demo", "--customers", "400", "--months", "2").stdout
    assert "53 units" in made  # head office, 9 county sub-branches, 43 outlets
    again = run(database_url, "demo", "--if-empty").stdout
    assert "already has data" in again
    summary = run(database_url, "summary").stdout
    assert re.search(r"units: outlet\s+│\s+43", summary)
    assert re.search(r"units: sub_branch\s+│\s+9", summary)
    assert "ledger verified" in run(database_url, "ledger", "verify").stdout
