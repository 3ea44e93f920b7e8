"""The API answers, documents itself, and refuses in problem+json."""

from __future__ import annotations

import httpx


def test_health_and_openapi(http: httpx.Client) -> None:
    assert http.get("/api/v1/health").json() == {"status": "ok"}
    doc = http.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert http.get("/api/docs").status_code == 200


def test_unknown_path_is_a_problem(http: httpx.Client) -> None:
    r = http.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["result"] == "not_found"


def test_a_body_too_large_is_refused(http: httpx.Client) -> None:
    r = http.post(
        "/api/v1/health", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["status"] == 413
