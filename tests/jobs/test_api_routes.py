"""Every API route, walked: without a token 401, with a role too low 403. A new route must be
given its role in ROUTES, so none can escape these checks."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from api.app import create_app
from tests.jobs.test_api import GOOD_PDF
from tests.jobs.test_api_security import clients  # noqa: F401 - the fixture

#: (method, path) -> the least role that may call it.
ROUTES = {
    ("POST", "/api/exports/pdf"): "viewer",
    ("POST", "/api/exports/csv"): "viewer",
    ("POST", "/api/exports/camtrap-dp"): "viewer",
    ("POST", "/api/exports/capture-history"): "viewer",
    ("POST", "/api/exports/scores"): "viewer",
    ("POST", "/api/exports/megadetector"): "viewer",
    ("GET", "/api/scores/summary"): "viewer",
    ("GET", "/api/abundance"): "viewer",
    ("GET", "/api/exports/{job_id}"): "viewer",
    ("GET", "/api/exports/{job_id}/download"): "viewer",
    ("GET", "/api/jobs"): "viewer",
    ("POST", "/api/jobs/backfill"): "admin",
    ("POST", "/api/jobs/rematch"): "admin",
    ("GET", "/api/me"): "viewer",
}
PUBLIC = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
BELOW = {"viewer": [], "reviewer": ["viewer"], "admin": ["viewer", "reviewer"]}


def _routes() -> list[tuple[str, str]]:
    out = []
    for route in create_app().routes:
        if isinstance(route, APIRoute):
            out += [(m, route.path) for m in sorted(route.methods - {"HEAD", "OPTIONS"})]
        elif getattr(route, "path", None) not in PUBLIC:
            out.append(("GET", route.path))  # a mounted app or plain route: must be listed
    return out


def _call(client, method: str, path: str):
    url = re.sub(r"\{[^}]+\}", "0123456789abcdef", path)
    body = GOOD_PDF if method == "POST" and "/exports/" in path else None
    return client.request(method, url, json=body)


def test_every_route_has_a_role():
    assert sorted(_routes()) == sorted(ROUTES)


def test_no_token_is_401_on_every_route(clients):  # noqa: F811
    for method, path in sorted(ROUTES):
        response = _call(clients["anonymous"], method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_role_too_low_is_403_and_enough_is_not_refused(clients):  # noqa: F811
    for (method, path), role in sorted(ROUTES.items()):
        for low in BELOW[role]:
            response = _call(clients[low], method, path)
            assert response.status_code == 403, (method, path, low, response.text)
            assert f"needs the {role} role" in response.json()["detail"]["problem"]
        if "/exports/pdf" in path or "/exports/{" in path or method == "GET":
            response = _call(clients[role], method, path)
            assert response.status_code not in (401, 403), (method, path, response.text)
