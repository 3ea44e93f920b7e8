"""schemathesis over the live OpenAPI document, signed in: for every operation, requests
generated from the schema (valid and invalid ones) never get a 5xx, and every answer
conforms to the schema (status code, content type, body).

Customers' operations run with a customer's token, the others with a head-office
administrator's; the bank holds a branch, two customers with funded accounts and a
saved payee, so that some generated requests meet real things. The number of requests
made is printed and added to ``var/test-report/schemathesis-requests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from e2e.api.money_support import fresh_bank, payer
from e2e.api.support import add_user, sign_in
from ebank.adapters.clock import FixedClock
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.domain.access import Role
from ebank.entrypoints.api.server import serving_in_thread

REPORT = Path(__file__).resolve().parents[3] / "var" / "test-report" / "schemathesis-requests"
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that would end the fuzzer's own sessions.
SKIPPED = {
    ("POST", "/api/v1/auth/logout"),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"),
    ("POST", "/api/v1/users/{user_id}/revoke-sessions"),
}


@pytest.fixture
def fuzz_bank(database_url: str, clock: FixedClock) -> Iterator[Bank]:
    settings_ = Settings(
        database_url=database_url,
        environment="test",
        rate_limit_per_address="1000000/minute",
        rate_limit_per_user="1000000/minute",
        access_token_ttl_s=3600,
    )
    bank = build(settings_, clock=clock)
    yield bank
    bank.close()


def _tokens(bank: Bank, http: httpx.Client) -> tuple[dict[str, str], dict[str, str]]:
    fresh_bank(bank)
    alice = payer(bank, http, [5_000_00, 0])
    bob = payer(bank, http, [1_000_00])
    r = http.post(
        "/api/v1/beneficiaries",
        headers=alice.auth,
        json={
            "alias": "bob",
            "account_number": bob.accounts[0].number,
            "name": bob.accounts[0].name,
        },
    )
    assert r.status_code == 201, r.text
    admin = add_user(bank, role=Role.ADMIN, branch_code="0001")
    return alice.auth, sign_in(http, bank, admin)


def test_generated_requests_never_break_the_api(fuzz_bank: Bank) -> None:
    made = 0
    with serving_in_thread(fuzz_bank) as base, httpx.Client(base_url=base) as http:
        customer, admin = _tokens(fuzz_bank, http)
        schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 30
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            roles = operation.definition.raw.get("x-roles", [])
            auth = customer if "customer" in roles else admin
            for mode, examples in EXAMPLES_PER_OPERATION.items():
                made += _fuzz(operation, mode, examples, base, auth)
    database = fuzz_bank.engine.dialect.name
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as report:
        report.write(f"{database} {made} requests over {len(operations)} operations\n")
    print(f"schemathesis made {made} requests over {len(operations)} operations ({database})")
    assert made > 200


def _fuzz(operation: Any, mode: GenerationMode, examples: int, base: str, auth: dict) -> int:
    calls = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal calls
        headers = dict(auth)
        if mode is GenerationMode.NEGATIVE and case.headers and "Authorization" in case.headers:
            headers.pop("Authorization")
        response = case.call(base_url=base, headers=headers)
        calls += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (an operation without parameters or body).
        assert mode is GenerationMode.NEGATIVE, operation.path
    return calls
