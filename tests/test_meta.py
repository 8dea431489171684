"""The unsigned routes (health, OpenAPI, schemas) and the contract between the routing table and data/schemas/."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft202012Validator

from netspace_mock import __version__, schemas
from netspace_mock.api.routes import ROUTES
from netspace_mock.paths import schema_files

SCHEMA_FILES = schema_files()
BUILT = ROUTES  # every route of the guide is built
# POST routes whose request is "—" in PROTOCOL §3: they take no body, so they have no request schema.
BODYLESS_POSTS = {"/api/sandbox/reset"}


def refs(node: Any, at: str = "#") -> list[tuple[str, str]]:
    """Every ($ref value, where it is) in a JSON document."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append((value, at))
            else:
                found += refs(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += refs(value, f"{at}/{i}")
    return found


def pointer(document: Any, ref: str) -> Any:
    """Follow a local JSON pointer (#/a/b) through the document; KeyError/IndexError when it dangles."""
    assert ref.startswith("#"), f"{ref} is not local to the document"
    node = document
    for part in filter(None, ref[1:].split("/")):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


async def unsigned_get(client, path: str) -> tuple[int, str, Any]:
    async with client.client.get(path) as resp:
        return resp.status, resp.content_type, json.loads(await resp.text())


async def openapi(client) -> dict:
    status, content_type, doc = await unsigned_get(client, "/openapi.json")
    assert (status, content_type) == (200, "application/json")
    return doc


async def test_health_is_unsigned(client):
    status, _, body = await unsigned_get(client, "/health")
    assert status == 200
    assert body == {"status": "ok", "version": __version__}
    assert schemas.problems("health.response", body) == []


async def test_api_routes_are_signed(client):
    for route in BUILT:
        path = re.sub(r"{\w+}", "x-1", route.path)
        async with client.client.request(route.method, path) as resp:
            assert resp.status == 401, f"{route.method} {route.path} answered unsigned"
            assert (await resp.json())["error"]["code"] == "UNAUTHORIZED"


async def test_openapi_lists_every_route(client):
    doc = await openapi(client)
    assert doc["openapi"] == "3.1.0"
    assert doc["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["servers"] == [{"url": f"http://127.0.0.1:{client.client.port}"}]
    listed = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert listed == {(r.method, r.path) for r in ROUTES}
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == len(ROUTES)
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["summary"] == route.summary
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert headers == {"X-API-Key", "X-Timestamp", "X-Signature"}
        if route.request:
            assert op["requestBody"]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{route.request}"
            }
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{route.response}"
        }
        if route.query:
            query = {p["name"] for p in op["parameters"] if p["in"] == "query"}
            assert query == set(schemas.documents()[route.query]["properties"])
        for name in (n.strip("{}") for n in route.path.split("/") if n.startswith("{")):
            assert any(p["in"] == "path" and p["name"] == name for p in op["parameters"])


async def test_openapi_holds_every_schema(client):
    doc = await openapi(client)
    assert set(doc["components"]["schemas"]) == set(schemas.documents())


async def test_every_openapi_ref_resolves_inside_the_document(client):
    doc = await openapi(client)
    dangling = []
    for ref, at in refs(doc):
        try:
            pointer(doc, ref)
        except (KeyError, IndexError, AssertionError):
            dangling.append(f"{at}: {ref}")
    assert not dangling, dangling


@pytest.mark.parametrize("name", sorted(schemas.documents()))
async def test_each_schema_is_served(client, name):
    status, content_type, body = await unsigned_get(client, f"/schemas/{name}.json")
    assert (status, content_type) == (200, "application/schema+json")
    assert body == schemas.documents()[name]


@pytest.mark.parametrize("name", ["nope", "defs.json", "..%2Fpyproject", "%00"])
async def test_unknown_schema_is_a_404_envelope(client, name):
    status, _, body = await unsigned_get(client, f"/schemas/{name}.json")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"
    assert schemas.problems("error", body) == []


async def test_thumbnail_of_unknown_game_is_a_404_envelope(client):
    status, _, body = await unsigned_get(client, "/assets/thumbnails/nope.svg")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[p.name for p in SCHEMA_FILES])
def test_schema_file_is_valid_draft_2020_12(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == schemas.BASE_URI + path.name
    # Every $ref resolves through the registry the mock validates with.
    resolver = schemas._registry().resolver(base_uri=doc["$id"])
    for ref, at in refs(doc):
        assert resolver.lookup(ref).contents is not None, f"{path.name} {at}: {ref}"


@pytest.mark.parametrize("route", BUILT, ids=[f"{r.method} {r.path}" for r in BUILT])
def test_built_route_has_its_schemas(route):
    documents = schemas.documents()
    assert route.response in documents, f"{route.method} {route.path} has no response schema"
    if route.method == "POST" and route.path not in BODYLESS_POSTS:
        assert route.request in documents, f"{route.method} {route.path} has no request schema"
    for name in (route.request, route.query):
        assert name is None or name in documents
    if route.method == "GET":
        assert route.request is None, "a GET has no body to validate"


def test_bodyless_posts_are_real_routes():
    assert {r.path for r in BUILT if r.method == "POST" and r.request is None} >= BODYLESS_POSTS


def test_every_route_has_a_response_schema():
    missing = [f"{r.method} {r.path}" for r in ROUTES if not r.response]
    assert missing == []


async def test_every_failure_leaves_through_the_pipeline_as_the_envelope(aiohttp_client, settings, caplog):
    """A bug in a handler is a 500 envelope, aiohttp's own 404 and 405 are envelopes, and each request
    writes one log line with the status it was answered with."""
    from netspace_mock.app import create_app

    async def broken(request):
        raise RuntimeError("a bug")

    app = create_app(settings)
    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)
    caplog.set_level(logging.INFO, logger="netspace_mock")
    answers = []
    for method, path in (("GET", "/broken"), ("GET", "/nowhere"), ("DELETE", "/health")):
        resp = await client.request(method, path)
        answers.append((resp.status, (await resp.json())["error"]["code"]))
    assert answers == [(500, "INTERNAL_ERROR"), (404, "NOT_FOUND"), (405, "METHOD_NOT_ALLOWED")]
    lines = [r for r in caplog.records if r.name == "netspace_mock.requests"]
    assert [(r.levelname, r.method, r.path, r.status) for r in lines if r.levelname == "INFO"] == [
        ("INFO", "GET", "/broken", 500),
        ("INFO", "GET", "/nowhere", 404),
        ("INFO", "DELETE", "/health", 405),
    ]
    errors = [r for r in lines if r.levelname == "ERROR"]
    assert len(errors) == 1 and "RuntimeError: a bug" in logging.Formatter().format(errors[0])
