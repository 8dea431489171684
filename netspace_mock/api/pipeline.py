"""The one request pipeline, an aiohttp middleware: read → authenticate → route → validate → act → respond.

Every failure, ours or aiohttp's (no route, wrong method, body too large), becomes an ApiError in
`api_error` and leaves through `error_response`, so every answer is the envelope; the request log line is
written once, here. An accepted request seen before (same operator and signature) is a replay: accepted,
as the guide allows inside the timestamp window, and logged with `replay: true`. An authenticated
request may meet one of its operator's injected faults (api/faulting.py); every /api request and the
game page's calls are handed to the request journal once answered (api/recording.py).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, schemas, signing
from netspace_mock.api import faulting, integration_warnings, recording
from netspace_mock.api.auth import authenticate
from netspace_mock.api.call import Call, Route
from netspace_mock.api.replay import ReplayDetector
from netspace_mock.domain.journal import touched
from netspace_mock.errors import (
    ApiError,
    InternalError,
    InvalidRequest,
    InvalidState,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    StorageUnavailable,
    envelope,
)
from netspace_mock.lru import LRU
from netspace_mock.serving import PLATFORM, RAW_BODY, TOUCHED, close_if_late, json_response, read_body
from netspace_mock.store.operators import Operator

log = logging.getLogger("netspace_mock.requests")
REPLAYS = web.AppKey("replays", ReplayDetector)  # one per app, set by create_app
STATIC_KEPT = 1024  # encoded answers kept for the static routes (distinct route and query string)
ANSWERS = web.AppKey("answers", LRU)  # the static routes' encoded answers, one cache per app
OPERATOR = web.RequestKey("operator", Operator)


def error_response(err: ApiError) -> web.Response:
    response = json_response(envelope(err), status=err.status)
    response.headers.update(err.headers)
    return response


# SQLite's answers that mean the disk or the file, not the request: a full disk, an I/O error, a
# read-only file or folder.
STORAGE_FAILURES = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY}


def api_error(exc: Exception, request: web.Request) -> ApiError:
    """The ApiError any failure of a request is answered with: the one place a failure is mapped."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        return MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}",
            details={"allowed_methods": allowed},
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
    if isinstance(exc, web.HTTPException):
        err = ApiError(exc.reason or "HTTP error")
        err.status = exc.status
        err.code = "INVALID_REQUEST" if 400 <= exc.status < 500 else "INTERNAL_ERROR"
        return err
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) in STORAGE_FAILURES:
        # The disk, not the request: nothing was written (the transaction rolled back), and the mock
        # answers again as soon as SQLite can write.
        log.error("storage unavailable on %s %s: %s", request.method, request.path, exc)
        return StorageUnavailable(
            f"the mock's database cannot be written ({exc}): free disk space or make the file "
            "writable; nothing of this request was kept, send it again",
            details={"retry": True},
        )
    if (
        isinstance(exc, sqlite3.IntegrityError)
        and exc.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
    ):
        # What the request wrote to was deleted while it ran: a sandbox reset of the same operator.
        return InvalidState(
            "what this request works on was deleted while it ran (a sandbox reset at the same moment); "
            "nothing of this request was kept: launch the session again and send it again"
        )
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return InternalError("unexpected error; this is a bug in netspace-mock, please report it")


@web.middleware
async def pipeline(request: web.Request, handler) -> web.StreamResponse:
    started = time.perf_counter()
    operator_id, replay, failure = None, None, None
    try:
        if request.path.startswith("/api/"):
            app = request.app
            platform = app[PLATFORM]
            settings = platform.settings
            raw = b""
            if request.body_exists:  # a GET has none: nothing to read, nothing to wait for
                raw = await read_body(request, settings.body_timeout)
            operator, signed = authenticate(
                request.headers,
                request.method,
                request.raw_path,
                raw,
                operators=platform.operators,
                now=platform.clock.now(),
                tolerance=settings.timestamp_tolerance,
                path_mode=settings.signature_path,
                empty_body=settings.empty_body_signature,
            )
            request[OPERATOR] = operator
            operator_id = operator.id
            integration_warnings.signature(request, signed, settings)
            replay = app[REPLAYS].seen(operator_id, request.headers[signing.HEADER_SIGNATURE])
            await faulting.inject(request, platform, operator)  # only ever after authentication
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:  # a redirect of the portal is an answer, not a failure
            raise
        failure = api_error(exc, request)
        response = error_response(failure)
    except Exception as exc:
        failure = api_error(exc, request)
        response = close_if_late(error_response(failure), exc)
    warned = integration_warnings.attach(request, response, operator_id)  # before the journal reads them
    recording.record(request, response, failure, started)
    if log.isEnabledFor(logging.INFO):
        _log_request(request, response.status, operator_id, replay, started, warned)
    return response


def _log_request(
    request: web.Request,
    status: int,
    operator_id: int | None,
    replay: bool | None,
    started: float,
    warned: list[str] | None = None,
) -> None:
    """The request's one log line. Its record is made here and handed to the logger's handlers, as
    Logger.info would after walking the stack for the caller's file and line, which no line shows;
    the listener's thread formats it."""
    ms = round((time.perf_counter() - started) * 1000, 2)
    method, path = request.method, request.path
    shown_replay = " (replay of an earlier request)" if replay else ""
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "operator_id": operator_id,
        "ms": ms,
    }
    if replay is not None:
        fields["replay"] = replay
    shown_warnings = ""
    if warned:
        fields["warnings"] = warned
        shown_warnings = f" (integration warning: {', '.join(warned)})"
    args = (method, path, status, shown_replay, shown_warnings)
    record = log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s%s%s", args, None, extra=fields)
    log.handle(record)


INTEGER = re.compile(r"-?[0-9]{1,18}")


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A query-string value as the type its schema declares; left as text when it does not convert."""
    kind = schema.get("type")
    if kind == "integer" and INTEGER.fullmatch(value):
        return int(value)
    if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


def parse_query(request: web.Request, schema_name: str) -> dict[str, Any]:
    """The query string, typed and validated."""
    query: dict[str, Any] = {}
    for name, spec in schemas.query_properties(schema_name).items():
        values = request.query.getall(name, [])
        if len(values) > 1:
            raise InvalidRequest.at(f"$.{name}", "is given more than once in the query string")
        if values:
            query[name] = _coerce(values[0], spec)
    schemas.validate(schema_name, query)
    return query


JSON_HEADERS = {"Content-Type": "application/json"}


def endpoint(route: Route):
    """The aiohttp handler for one routing-table row: parse and validate, call the handler, wrap.

    A static route's answer is kept encoded by query string in the app's cache (successes only), since
    the catalog does not change while the mock serves."""

    async def handle(request: web.Request) -> web.Response:
        if request.query_string:
            integration_warnings.query(request, route.query, request.app[PLATFORM].settings)
        if not route.static:
            return web.Response(body=await answer(request), headers=JSON_HEADERS)
        answers = request.app[ANSWERS]
        key = (route.path, request.query_string)
        found = answers.get(key)
        if found is None:
            found = answers.put(key, await answer(request))
        return web.Response(body=found, headers=JSON_HEADERS)

    async def answer(request: web.Request) -> bytes:
        call = Call(
            platform=request.app[PLATFORM], operator=request.get(OPERATOR), params=dict(request.match_info)
        )
        if route.request:
            raw = request.get(RAW_BODY, b"")
            call.body = jsonio.loads(raw)
            integration_warnings.body(request, raw, call.body, call.platform.settings)
            schemas.validate(route.request, call.body)
        if route.query:
            call.query = parse_query(request, route.query)
        request[TOUCHED] = touched(call.body, call.query)  # for the journal, also when the handler fails
        result = await route.handler(call)
        request[TOUCHED] = touched(call.body, call.query, result)
        return jsonio.success(result)

    handle.__name__ = route.handler.__name__
    return handle
