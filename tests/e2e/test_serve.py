"""What `make run` does, end to end: migrate, load a (small) demo bank, `ebank serve`;
the printed address answers, a printed demo user signs in with the printed secret's
one-time code (from `ebank demo-code`) and sees their accounts, and the printed ISO 8583
switch answers a network message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ebank.adapters.iso8583.client import SwitchClient
from ebank.entrypoints.api.server import free_port

EBANK = str(Path(sys.executable).with_name("ebank"))


def test_serve_prints_its_address_and_demo_sign_ins_that_work(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "EBANK_DATABASE_URL": f"sqlite:///{tmp_path / 'ebank.db'}",
        "EBANK_ENVIRONMENT": "dev",
        "EBANK_API_PORT": str(port),
        "EBANK_SWITCH_PORT": str(free_port()),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    for args in (["db", "upgrade"], ["demo", "--customers", "40", "--months", "1"]):
        subprocess.run([EBANK, *args], env=env, check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        [EBANK, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert server.stdout is not None
        printed = ""
        while "stop with Ctrl-C" not in printed:
            line = server.stdout.readline()
            assert line, printed
            printed += line
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/api/v1" in printed and f"{base}/api/docs" in printed
        secret = re.search(r"demo\.customer\s+│?\s*customer\s+│?\s*([A-Z2-7]{32})", printed)
        password = re.search(r"password of every demo user: (\S+)", printed)
        assert secret and password, printed
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        code = subprocess.run(
            [EBANK, "demo-code", "demo.customer"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"username": "demo.customer", "password": password.group(1), "otp": code},
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        accounts = httpx.get(
            f"{base}/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}
        )
        assert accounts.status_code == 200
        assert accounts.json()["accounts"], accounts.text
        switch = re.search(r"tcp://([\d.]+):(\d+)", printed)
        assert switch, printed
        now = datetime.now(UTC)
        echo = {
            "t": "0800",
            "7": now.strftime("%m%d%H%M%S"),
            "11": "000001",
            "41": "ECHOTEST",
            "70": "301",
        }
        with SwitchClient(switch.group(1), int(switch.group(2))) as atm:
            assert atm.request(echo)["t"] == "0810"
    finally:
        server.terminate()
        server.wait(timeout=30)
