"""The terminal estate from the command line (SQLite): an ATM registered with its cash
loaded from the vault, unloaded back; a merchant and its POS terminal; the alarm check,
an acknowledgement and the console relay; the settlement run of a quiet day."""

from __future__ import annotations

import re
from pathlib import Path

from e2e.test_cli import number_in, run


def test_terminals_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ebank.db'}"
    run(url, "db", "upgrade")
    run(url, "branch", "add", "0001", "Head office", "--kind", "head_office")
    run(url, "branch", "add", "0101", "城关营业所", "--kind", "outlet", "--parent", "0001")
    out = run(url, "customer", "add", "--name", "王芳", "--id-number", "11010519491231002X",
              "--branch", "0101").stdout  # fmt: skip
    customer = re.search(r"C\d{10}", out)
    assert customer
    saving = number_in(run(url, "account", "open", customer.group(0)).stdout)
    run(url, "cash", "deposit", saving, "100000.00", "--branch", "0101")

    atm = ["terminal", "add-atm", "ATM00001", "0101", "--location", "Lobby"]
    added = run(url, *atm, "--cassette", "1:100:500:50", "--cassette", "2:50:10:20").stdout
    assert "ATM00001" in added and "50,500.00" in added
    short = run(url, *atm[:2], "ATM00002", "0101", "--location", "x", "--cassette",
                "1:100:9999:5", check=1)  # fmt: skip
    assert "atm_cash_short" in short.stderr
    bad = run(url, *atm[:2], "ATM1", "0101", "--location", "x", "--cassette", "1:100:1", check=2)
    assert "invalid_input" in bad.stderr

    run(url, "merchant", "add", "M1", "Corner Shop", "5411", "0101", saving, "--fee-rate", "0.006")
    assert "Corner Shop" in run(url, "merchant", "list").stdout
    run(url, "terminal", "add-pos", "POS00001", "M1", "--location", "till")
    listed = run(url, "terminal", "list").stdout
    assert "ATM00001" in listed and "POS00001" in listed and "1:500x10000" in listed

    checked = run(url, "alarms", "check").stdout  # cassette 2 holds 10 notes, low at 20
    assert "1 alarm(s) raised" in checked and "cash_low" in checked
    found = re.search(r"^\W*(\d+)\W+ATM00001", checked, re.MULTILINE)
    assert found, checked
    alarm_id = found.group(1)
    assert "acknowledged" in run(url, "alarms", "ack", alarm_id, "--by", "duty.officer").stdout
    delivered = run(url, "outbox", "deliver").stdout
    assert (
        "[e-mail to atm-ops@ebank.example]" in delivered and "1 notification(s) sent" in delivered
    )
    assert "0 notification(s) sent" in run(url, "outbox", "deliver").stdout

    run(url, "terminal", "load", "ATM00001", "2:100")
    emptied = run(url, "terminal", "unload", "ATM00001").stdout
    assert "cash 0.00" in emptied
    assert "no POS sales" in run(url, "settle", "pos", "--date", "2026-11-07").stdout
    assert "ledger verified" in run(url, "ledger", "verify").stdout
