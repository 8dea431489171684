"""The examples of /openapi.json, which the portal's endpoint tester fills its forms with: every /api route
has them, each passes its own schema, and sent as they are (signed) the platform accepts every one."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from netspace_mock import schemas
from netspace_mock.api.routes import ROUTES
from support import route_for

# Examples that name what only an earlier answer can give (the tester puts that answer's id in their
# place): sent as written they are well-formed but unknown.
UNKNOWN_IDS = {
    "/api/v1/freebets/status",
    "/api/v1/freebets/cancel",
    "/api/sandbox/deliveries/resend",
    "/api/sandbox/rounds/{roundId}",
    "/api/certification/runs/{runId}",
}


async def api_operations(client) -> list[tuple[str, str, dict]]:
    async with client.client.get("/openapi.json") as resp:
        doc = await resp.json()
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
    ]


def filled(path: str, op: dict) -> tuple[str, str]:
    """The request the tester makes of an operation's examples: path parameters and every query example
    filled in, the body the example as JSON text."""
    for p in op["parameters"]:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", p["example"])
    query = {p["name"]: p["example"] for p in op["parameters"] if p["in"] == "query" and "example" in p}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
    qs = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()})
    return (path + ("?" + qs if qs else "")), ("" if body is None else json.dumps(body))


async def test_every_api_route_has_examples_that_pass_their_schemas(client):
    operations = await api_operations(client)
    assert len(operations) == len(ROUTES)
    for method, path, op in operations:
        route = route_for(method, re.sub(r"{\w+}", "x", path))
        assert route is not None and route.path == path
        if route.request:
            example = op["requestBody"]["content"]["application/json"]["example"]
            assert isinstance(example, dict) and example, f"{method} {path} has no body example"
            assert schemas.problems(route.request, example) == [], f"{method} {path}"
        else:
            assert "requestBody" not in op, f"{method} {path}"
        for p in op["parameters"]:
            if p["in"] == "path":
                assert re.fullmatch(r"[\w-]{1,128}", p["example"]), f"{method} {path} {p['name']}"
        if route.query:
            query = {
                p["name"]: p["example"] for p in op["parameters"] if p["in"] == "query" and "example" in p
            }
            assert query, f"{method} {path} has no query example"
            assert query == schemas.documents()[route.query]["examples"][0]
            assert schemas.problems(route.query, query) == [], f"{method} {path}"


async def test_every_example_sent_as_it_is_is_accepted(client):
    """Launch first (its example session is the one the bet and balance examples name), then every other
    route in the table's order: none is refused as invalid, and the ones that need nothing earlier succeed."""
    operations = sorted(await api_operations(client), key=lambda o: o[1] != "/api/game/launch")
    answers = {}
    for method, path, op in operations:
        if path == "/api/sandbox/reset":
            continue  # it would delete the session the later examples use; it takes no body anyway
        target, body = filled(path, op)
        if path == "/api/sandbox/game/launch":  # the tester gives every launch a fresh session id, too
            body = body.replace("sess_example_0001", "sess_example_sandbox")
        status, answer = await client.request(method, target, raw=body)
        answers[(method, path)] = status
        if path in UNKNOWN_IDS:
            assert status == 404, f"{method} {target} {body}: {status} {answer}"
        else:
            assert status == 200, f"{method} {target} {body}: {status} {answer}"
    assert len(answers) == len(ROUTES) - 1
