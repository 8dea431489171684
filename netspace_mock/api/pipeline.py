"""The one request pipeline, top to bottom: read → authenticate → route → validate → act → respond.

`add` registers every route of the mock with the pipeline around its handler (`piped`), and
`add_fallback` a last route that answers any other path with the NOT_FOUND envelope, or
METHOD_NOT_ALLOWED naming the methods that path takes. Every failure, ours or aiohttp's, leaves through
`error_response`, so every answer is the envelope. The pipeline wraps each handler rather than being an
aiohttp middleware: a middleware costs every request a handler chain built and a layer of calls
(about 3% of a catalog request's CPU). An accepted request seen before (same operator and signature) is
a replay: accepted, as the guide allows inside the timestamp window, and logged with `replay: true`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, schemas, signing
from netspace_mock.api.auth import authenticate
from netspace_mock.api.call import Call, Route
from netspace_mock.api.replay import ReplayDetector
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import (
    ApiError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    envelope,
)
from netspace_mock.lru import LRU
from netspace_mock.store.operators import Operator

log = logging.getLogger("netspace_mock.requests")
PLATFORM = web.AppKey("platform", Platform)
REPLAYS = web.AppKey("replays", ReplayDetector)  # one per app, set by create_app
OPERATOR = web.RequestKey("operator", Operator)
RAW_BODY = web.RequestKey("raw_body", bytes)


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=jsonio.dumps(payload), status=status, content_type="application/json")


def error_response(err: ApiError) -> web.Response:
    return json_response(envelope(err), status=err.status)


def _translate(exc: web.HTTPException, request: web.Request) -> ApiError:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}; use {allowed}",
            details={"allowed_methods": sorted(exc.allowed_methods)},
        )
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[PLATFORM].settings.max_body_bytes
        return PayloadTooLarge(
            f"the request body is larger than {limit} bytes", details={"limit_bytes": limit}
        )
    if isinstance(exc, web.HTTPNotFound):
        return NotFound(
            f"no route {request.method} {request.path[:256]}; GET /openapi.json lists every route"
        )
    err = ApiError(exc.reason or "HTTP error")
    err.status, err.code = exc.status, "INVALID_REQUEST" if 400 <= exc.status < 500 else "INTERNAL_ERROR"
    return err


def piped(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """The handler of one route with the pipeline around it."""

    async def pipeline(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        method, path = request.method, request.path
        app = request.app
        platform = app[PLATFORM]
        operator_id, replay = None, None
        try:
            if path.startswith("/api/"):
                raw = await request.read() if request.body_exists else b""
                request[RAW_BODY] = raw
                operator = authenticate(
                    request.headers,
                    method,
                    request.raw_path,
                    raw,
                    operators=platform.operators,
                    now=platform.clock.signing_now(),
                    tolerance=platform.settings.timestamp_tolerance,
                    path_mode=platform.settings.signature_path,
                )
                request[OPERATOR] = operator
                operator_id = operator.id
                replay = app[REPLAYS].seen(operator.id, request.headers[signing.HEADER_SIGNATURE])
            response = await handler(request)
        except ApiError as err:
            response = error_response(err)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = error_response(_translate(exc, request))
        except Exception:
            log.exception("unexpected error on %s %s", method, path)
            response = error_response(
                InternalError("unexpected error; this is a bug in netspace-mock, please report it")
            )
        status = response.status
        extra = {
            "method": method,
            "path": path,
            "status": status,
            "operator_id": operator_id,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if replay is not None:
            extra["replay"] = replay
        log.info(
            "%s %s %s%s",
            method,
            path,
            status,
            " (replay of an earlier request)" if replay else "",
            extra=extra,
        )
        return response

    pipeline.__name__ = getattr(handler, "__name__", "pipeline")
    return pipeline


def add(app: web.Application, method: str, path: str, handler, *, head: bool = True) -> None:
    """Register a route with the pipeline around its handler; a GET answers HEAD too unless `head` is
    False (the routes of the guide take exactly their method)."""
    if method == "GET" and head:
        app.router.add_get(path, piped(handler))
    else:
        app.router.add_route(method, path, piped(handler))


def add_fallback(app: web.Application) -> None:
    """The last route: any path no other route takes. aiohttp tries it after every other resource."""
    add(app, "*", "/{path:.*}", _no_route)


async def _no_route(request: web.Request) -> web.StreamResponse:
    """NOT_FOUND, or METHOD_NOT_ALLOWED when some route takes this path with another method (only a
    request that no route takes comes here, so looking through every resource costs nothing else)."""
    allowed: set[str] = set()
    fallback = request.match_info.route.resource
    for resource in request.app.router.resources():
        if resource is not fallback:
            _, methods = await resource.resolve(request)
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, sorted(allowed))
    raise web.HTTPNotFound()


INTEGER = re.compile(r"-?[0-9]{1,18}")


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A query-string value as the type its schema declares; left as text when it does not convert."""
    kind = schema.get("type")
    if kind == "integer" and INTEGER.fullmatch(value):
        return int(value)
    if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


PARSED_KEPT = 1024
_PARSED: LRU[tuple[str, str], dict[str, Any]] = LRU(PARSED_KEPT)


def parse_query(request: web.Request, schema_name: str) -> dict[str, Any]:
    """The query string, typed and validated; a valid one is remembered, since clients repeat theirs."""
    key = (schema_name, request.query_string)
    found = _PARSED.get(key)
    if found is not None:
        return dict(found)
    properties = schemas.query_properties(schema_name)
    query: dict[str, Any] = {}
    for name, spec in properties.items():
        values = request.query.getall(name, [])
        if len(values) > 1:
            raise InvalidRequest.at(f"$.{name}", "is given more than once in the query string")
        if values:
            query[name] = _coerce(values[0], spec)
    schemas.validate(schema_name, query)
    _PARSED.put(key, dict(query))
    return query


JSON_HEADERS = {"Content-Type": "application/json"}  # what content_type= makes, without parsing it
STATIC_KEPT = 1024  # encoded answers kept per static route (distinct query strings)


def endpoint(route: Route):
    """The aiohttp handler for one routing-table row: parse and validate, call the handler, wrap.

    A static route's answers are kept encoded by query string (only successes: a query that fails is
    validated again every time), so a repeated request costs a dictionary lookup."""
    answers: LRU[str, bytes] = LRU(STATIC_KEPT)

    async def handle(request: web.Request) -> web.Response:
        if route.static:
            found = answers.get(request.query_string)
            if found is None:
                found = answers.put(request.query_string, await answer(request))
            return web.Response(body=found, headers=JSON_HEADERS)
        return web.Response(body=await answer(request), headers=JSON_HEADERS)

    async def answer(request: web.Request) -> bytes:
        call = Call(
            platform=request.app[PLATFORM], operator=request.get(OPERATOR), params=dict(request.match_info)
        )
        if route.request:
            call.body = jsonio.loads(request[RAW_BODY])
            schemas.validate(route.request, call.body)
        if route.query:
            call.query = parse_query(request, route.query)
        result = await route.handler(call)
        return result if isinstance(result, jsonio.Encoded) else jsonio.success(result)

    handle.__name__ = route.handler.__name__
    return handle
