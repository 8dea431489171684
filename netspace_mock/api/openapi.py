"""The OpenAPI 3.1 document, generated from the routing table and the data/schemas/ files."""

from __future__ import annotations

import re
from typing import Any

from netspace_mock import __version__, schemas
from netspace_mock.api.call import Route
from netspace_mock.api.integration_warnings import HEADER

SIGNING_HEADERS = ("X-API-Key", "X-Timestamp", "X-Signature")
# An example of each path parameter: a real game, and ids of the shape the mock gives (a client such as
# the portal's endpoint tester puts the ids of its own earlier answers in their place).
PATH_EXAMPLES = {"gameId": "lotterix", "roundId": "round_example", "runId": "run_example"}


def example(name: str) -> Any:
    """The first of a schema's `examples` (every request and query schema has one), else None."""
    found = schemas.documents()[name].get("examples")
    return found[0] if found else None


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# Any answer may carry it, once per warning (docs/protocol.md, "Integration warnings").
WARNING_HEADERS = {
    HEADER: {
        "description": "one line per integration warning: the request was accepted only because a "
        "setting is lenient, and the real platform may refuse it",
        "schema": {"type": "string"},
    }
}


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.path.strip('/').replace('/', '_').replace('-', '_')}",
        "summary": route.summary,
        **({"description": route.description} if route.description else {}),
        "tags": [route.tag],
        "security": [{k: []} for k in ("apiKey",)],
        "parameters": [
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in SIGNING_HEADERS
        ],
        "responses": {
            "default": {
                "description": "error envelope",
                "headers": WARNING_HEADERS,
                "content": {"application/json": {"schema": _ref("error")}},
            }
        },
    }
    for name in re.findall(r"{(\w+)}", route.path):
        op["parameters"].append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "example": PATH_EXAMPLES[name],
            }
        )
    if route.query:
        query, shown = schemas.documents()[route.query], example(route.query) or {}
        for name, spec in query["properties"].items():
            parameter = {
                "name": name,
                "in": "query",
                "required": name in query.get("required", []),
                "schema": _rewrite(spec, route.query),
            }
            if name in shown:
                parameter["example"] = shown[name]
            op["parameters"].append(parameter)
    if route.request:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": _ref(route.request), "example": example(route.request)}
            },
        }
    op["responses"]["200"] = {
        "description": route.summary,
        "headers": WARNING_HEADERS,
        "content": {"application/json": {"schema": _ref(route.response)}},
    }
    return op


def _rewrite(node: Any, name: str) -> Any:
    """Point every $ref of schema `name` at components/schemas, so the document stands alone: a ref to
    another file goes to that file's component, a ref inside the file to a place in its own component."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                file, _, pointer = value.partition("#")
                target = file.removesuffix(".json") if file else name
                out[key] = f"#/components/schemas/{target}{pointer}"
            elif key in ("$id", "$schema"):
                continue
            else:
                out[key] = _rewrite(value, name)
        return out
    if isinstance(node, list):
        return [_rewrite(v, name) for v in node]
    return node


def document(routes: list[Route], base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    components = {name: _rewrite(doc, name) for name, doc in schemas.documents().items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Netspace ONE platform API (netspace-mock)",
            "version": __version__,
            "description": "Every /api request is signed: X-Signature = hex HMAC-SHA256 of "
            "TIMESTAMP + METHOD + PATH + BODY with the operator's secret key.",
        },
        "servers": [{"url": base_url}],
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }
