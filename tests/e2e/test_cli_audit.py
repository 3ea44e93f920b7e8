"""``ebank user`` and ``ebank audit`` end to end: the real executable on both databases.
The audit trail verifies; an entry edited, deleted or inserted behind the application's
back (the append-only trigger switched off first) makes ``ebank audit verify`` exit 1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from ebank.adapters.db.engine import normalise_url

EBANK = str(Path(sys.executable).with_name("ebank"))
PASSWORD = "Adm1n-passw0rd!"


def run(url: str, *args: str, check: int = 0, stdin: str = "") -> str:
    env = {
        **os.environ,
        "EBANK_DATABASE_URL": url,
        "EBANK_ENVIRONMENT": "test",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    proc = subprocess.run(
        [EBANK, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == check, (args, proc.stdout, proc.stderr)
    return proc.stdout


@contextmanager
def tampering(url: str) -> Iterator[Connection]:
    """A connection with the audit log's append-only triggers out of the way."""
    engine = create_engine(normalise_url(url))
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as conn:
            if postgres:
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER ALL"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_edit"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            yield conn
    finally:
        if postgres:  # the server's database outlives this test
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER ALL"))
        engine.dispose()


def test_audit_verify_finds_edits_deletions_and_insertions(database_url: str) -> None:
    url = database_url
    run(url, "branch", "add", "0001", "Head office", "--kind", "head_office")
    added = run(
        url,
        "user",
        "add",
        "root.admin",
        "--role",
        "admin",
        "--name",
        "Root",
        "--branch",
        "0001",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    secret = re.search(r"secret: ([A-Z2-7]+)", added)
    assert secret and "otpauth://totp/" in added and PASSWORD not in added
    run(
        url,
        "user",
        "add",
        "ops.one",
        "--role",
        "operations",
        "--name",
        "Ops",
        "--branch",
        "0001",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    run(url, "user", "unlock", "ops.one")
    assert "3 entries" in run(url, "audit", "verify")
    shown = run(url, "audit", "show", "--limit", "5")
    assert "user.create" in shown and "user.unlock" in shown and secret.group(1) not in shown

    with tampering(url) as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    out = run(url, "audit", "verify", check=1)
    assert "edited" in out and "tampered" in out
    with tampering(url) as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'system' WHERE seq = 2"))

    with tampering(url) as conn:
        row = conn.execute(text("SELECT * FROM audit_log WHERE seq = 2")).mappings().one()
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    assert "gap" in run(url, "audit", "verify", check=1)
    with tampering(url) as conn:
        columns = ", ".join(row.keys())
        values = ", ".join(f":{c}" for c in row)
        conn.execute(text(f"INSERT INTO audit_log ({columns}) VALUES ({values})"), dict(row))
    run(url, "audit", "verify")  # every entry put back exactly: it verifies again

    with tampering(url) as conn:
        forged = {**dict(row), "seq": 4, "prev_hash": row["hash"], "action": "user.forged"}
        conn.execute(text(f"INSERT INTO audit_log ({columns}) VALUES ({values})"), forged)
    assert "head_mismatch" in run(url, "audit", "verify", check=1)
