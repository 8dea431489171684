"""What the request journal keeps of one request: built in the pipeline once the answer is known, and
handed to the journal's writer (domain/journal.py), which writes it off the request's path.

Kept: time, method, path and query, the headers that matter (the API key, the timestamp, the signature
in part), the body (cut by the journal's bounds), the verdict (accepted, or the failed check with its
diagnosis and string to sign), the integration warnings of the answer, an injected fault, the status
and latency, and the ids the request touched. Never a secret: the operator's secret key is masked
wherever it appears (the path, the query, a header, the body, an id, a warning). `/api` requests are
recorded under the operator their API key names, the game page's calls under the session's operator;
an /api request whose key names no operator goes to the journal's ring of strangers
(domain/journal.py)."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, signing
from netspace_mock.api.faulting import FAULT
from netspace_mock.domain import faults, journal
from netspace_mock.domain.journal import Entry, Touched, touched
from netspace_mock.errors import ApiError, Unauthorized
from netspace_mock.serving import PLATFORM, RAW_BODY, TOUCHED

WARNING_HEADER = "X-Netspace-Mock-Warning"
SHOWN_HEADERS = ("Content-Type", "User-Agent", signing.HEADER_KEY, signing.HEADER_TIMESTAMP)
SIGNATURE_SHOWN = 12  # leading characters of X-Signature kept: enough to tell two apart
HEADER_LIMIT = 256
HEX = re.compile(r"[0-9a-fA-F]+")


def _json(raw: bytes) -> Any:
    try:
        return jsonio.loads(raw)
    except ApiError:
        return None


def _headers(request: web.Request, secret: str) -> dict[str, str]:
    shown = {}
    for name in SHOWN_HEADERS:
        value = request.headers.get(name)
        if value is not None:
            shown[name] = journal.masked(value, secret)[:HEADER_LIMIT]
    signature = request.headers.get(signing.HEADER_SIGNATURE)
    if signature is not None:
        signature = journal.masked(signature, secret)
        if HEX.fullmatch(signature):
            cut = signature[:SIGNATURE_SHOWN]
            shown[signing.HEADER_SIGNATURE] = cut + ("…" if len(signature) > SIGNATURE_SHOWN else "")
        else:  # not a signature at all: its length says enough, its text might be anything
            shown[signing.HEADER_SIGNATURE] = f"({len(signature)} characters, not hexadecimal)"
    return shown


def _key_shown(request: web.Request, api_key: str) -> str:
    """An unknown API key in part; not at all when it is some operator's secret, pasted by mistake."""
    if any(api_key == op.secret_key for op in request.app[PLATFORM].operators.all()):
        return "(a secret key)"
    return api_key[:8] + "…" if len(api_key) > 8 else api_key


def _stranger(
    request: web.Request, response: web.StreamResponse, failure: ApiError | None, api_key: str
) -> None:
    """A request of no operator: to the small ring and the log only, its key shown in part."""
    shown = _key_shown(request, api_key)
    why = failure.message if failure else "no operator"
    request.app[PLATFORM].journal.stranger(
        {
            "method": request.method,
            "path": request.path[:256],
            "status": response.status,
            "api_key": shown,
            "why": why.replace(api_key, shown) if api_key else why,
        }
    )


def record(
    request: web.Request, response: web.StreamResponse, failure: ApiError | None, started: float
) -> None:
    """Hand the request's entry to the journal, if it belongs to an operator (or to the strangers)."""
    path = request.path
    ids = request.get(TOUCHED)
    if not path.startswith("/api/") and (ids is None or ids.operator_id is None):
        return  # the portal, the game page's HTML and files, the wallet: not the platform's API
    platform = request.app[PLATFORM]
    ms = round((time.perf_counter() - started) * 1000, 2)
    if path.startswith("/api/"):
        api_key = request.headers.get(signing.HEADER_KEY, "")
        operator = platform.operators.by_api_key(api_key) if api_key else None
        source = "api"
        if operator is None:
            _stranger(request, response, failure, api_key)
            return
    else:
        operator = platform.operators.by_id(ids.operator_id)
        source = "game"
        if operator is None:
            return
    secret = operator.secret_key
    raw = request.get(RAW_BODY, b"")
    if ids is None:  # refused before its handler ran: the ids its body names, if it is JSON
        ids = touched(_json(raw)) if raw else Touched()
    refused = isinstance(failure, Unauthorized)
    rule = request.get(FAULT)
    dropped = rule is not None and rule.kind == "drop"
    platform.journal.add(
        Entry(
            operator_id=operator.id,
            created_at=platform.clock.operator_now(operator.id),
            source=source,
            method=request.method,
            path=journal.masked(path, secret),
            query=journal.masked(request.query_string, secret) or None,
            headers=_headers(request, secret),
            body=journal.kept_body(raw, secret, platform.journal.bounds.body_bytes) if raw else None,
            body_bytes=len(raw),
            verdict="refused" if refused else "accepted",
            refusal=journal.masked_all({"message": failure.message, **(failure.details or {})}, secret)
            if refused
            else None,
            warnings=journal.masked_all(response.headers.getall(WARNING_HEADER, []), secret),
            fault=faults.describe(rule) if rule is not None else None,
            status=None if dropped else response.status,
            error_code=failure.code if failure is not None and not dropped else None,
            latency_ms=ms,
            session_id=journal.masked_all(ids.session_id, secret),
            round_id=journal.masked_all(ids.round_id, secret),
            free_bet_id=journal.masked_all(ids.free_bet_id, secret),
        )
    )
