"""The OpenAPI document states, for every operation, who may call it and how it fails."""

from __future__ import annotations

import httpx

PUBLIC = {"/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/refresh"}


def test_every_operation_states_its_roles_and_problems(http: httpx.Client) -> None:
    doc = http.get("/api/openapi.json").json()
    missing_roles = []
    missing_problems = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if path == "/api/v1/health":
                continue
            roles = operation.get("x-roles")
            if not roles or (roles == ["anyone"]) != (path in PUBLIC):
                missing_roles.append(f"{method.upper()} {path}: {roles}")
            if "4XX" not in operation.get("responses", {}):
                missing_problems.append(f"{method.upper()} {path}")
    assert missing_roles == []
    assert missing_problems == []
    assert len(doc["paths"]) > 20  # every resource is there
