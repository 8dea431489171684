"""Integration warnings: a request accepted only because a setting is lenient says so in its answer.

Four kinds, each from one lenient setting (docs/protocol.md §1): an empty body signed with a stand-in
(`empty_body_signature`), a signature over `path?query` where the path alone is the strict form
(`signature_path either`), a body that is not `JSON.stringify` of its own parse (`canonical_body` off),
and a query parameter the route does not know (`unknown_query_parameters warn`). Each becomes one
`X-Netspace-Mock-Warning` header line, a field of the request's log line, and a count per operator
(domain/integration_warnings.py). Under the strict value of a setting the same request is refused, and
the refusal names the setting to relax.
"""

from __future__ import annotations

import functools

from aiohttp import web

from netspace_mock import js_json, schemas
from netspace_mock.errors import InvalidRequest
from netspace_mock.serving import PLATFORM
from netspace_mock.settings import Settings
from netspace_mock.signing import SignedOver

HEADER = "X-Netspace-Mock-Warning"
NOTED = web.RequestKey("integration_warnings", list)
EMPTY_BODY, QUERY_SIGNED, BODY_FORM, UNKNOWN_PARAMETER = (
    "empty_body_form",
    "query_in_signature",
    "non_canonical_body",
    "unknown_query_parameter",
)
KINDS = (EMPTY_BODY, QUERY_SIGNED, BODY_FORM, UNKNOWN_PARAMETER)
LINE_LIMIT = 400  # characters of one header line
SHOWN_CANONICAL = 2048  # characters of the canonical body a refusal's message shows
STAND_IN_NAMES = {b"undefined": "JSON.stringify(undefined)", b"{}": "JSON.stringify({})"}


def note(request: web.Request, kind: str, line: str) -> None:
    """One warning for this request: made one line of printable ASCII, as a header value must be."""
    text = line.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)  # CR, LF and the like
    if len(text) > LINE_LIMIT:
        text = text[: LINE_LIMIT - 3] + "..."
    request.setdefault(NOTED, []).append((kind, text))


def signature(request: web.Request, signed: SignedOver, settings: Settings) -> None:
    """Warn when the signature was accepted in a form the strict settings would refuse."""
    if signed.stand_in is not None:
        shown = signed.stand_in.decode()
        source = STAND_IN_NAMES.get(signed.stand_in, f"a stand-in for no body, {shown}")
        note(
            request,
            EMPTY_BODY,
            f"the request has no body but was signed with BODY {shown!r} ({source}); accepted because "
            f"empty_body_signature={settings.empty_body_signature}, but the platform may sign the empty "
            "string: when there is no body, sign '' (e.g. JSON.stringify only when a body is sent)",
        )
    if "?" in signed.path and settings.signature_path == "either":
        path = signed.path.partition("?")[0]
        note(
            request,
            QUERY_SIGNED,
            f"the signature covers the query string (PATH {signed.path}); accepted because "
            f"signature_path=either, but the platform may sign the path alone: sign PATH {path}",
        )


def body(request: web.Request, raw: bytes, value: object, settings: Settings) -> None:
    """Warn about, or with `canonical_body` refuse, a body that is not JSON.stringify's form of itself.
    A canonical body costs one encoding and one comparison of bytes."""
    canonical = js_json.canonical(value)
    if canonical == raw:
        return
    at, sent, wanted = js_json.first_difference(raw, canonical)
    if settings.canonical_body:
        text = canonical.decode("utf-8")
        shown = text if len(text) <= SHOWN_CANONICAL else text[:SHOWN_CANONICAL] + "…"
        raise InvalidRequest(
            f"the body is not what JSON.stringify gives for it (byte {at}: {sent!r} where JSON.stringify "
            f"writes {wanted!r}); send exactly {shown} (or relax the setting: --canonical-body false)",
            details={
                "errors": [{"path": "$", "message": "not JSON.stringify's form of the body"}],
                "canonical_body": shown,
            },
        )
    note(
        request,
        BODY_FORM,
        f"the body is not what JSON.stringify gives for it (byte {at}: {sent!r} where JSON.stringify "
        f"writes {wanted!r}); accepted because canonical_body=false, but a platform that re-serialises "
        "the body before checking the signature would refuse it: send the bytes JSON.stringify gives",
    )


@functools.cache
def _known(schema: str | None) -> frozenset[str]:
    return frozenset(schemas.query_properties(schema)) if schema else frozenset()


def query(request: web.Request, schema: str | None, settings: Settings) -> None:
    """Warn about, or with `unknown_query_parameters refuse` refuse, query parameters the route does not
    read (`schema`: its query schema, None when it reads none)."""
    known = _known(schema)
    unknown = sorted({name for name in request.query if name not in known})
    if not unknown:
        return
    names = ", ".join(unknown)
    accepted = f"this route reads {', '.join(sorted(known))}" if known else "this route reads none"
    if settings.unknown_query_parameters == "refuse":
        raise InvalidRequest(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} {names} ({accepted}); remove "
            f"{'them' if len(unknown) > 1 else 'it'} (or relax the setting: --unknown-query-parameters warn)",
            details={"errors": [{"path": f"$.{n}", "message": "unknown query parameter"} for n in unknown]},
        )
    note(
        request,
        UNKNOWN_PARAMETER,
        f"unknown query parameter{'s' if len(unknown) > 1 else ''} {names} ignored ({accepted}); accepted "
        "because unknown_query_parameters=warn, but they change nothing here and the platform may refuse them",
    )


def attach(request: web.Request, response: web.StreamResponse, operator_id: int | None) -> list[str] | None:
    """Put the request's warnings on its answer and count them for its operator; their kinds, for the
    log line (None: there were none)."""
    noted = request.get(NOTED)
    if not noted:
        return None
    for _, line in noted:
        response.headers.add(HEADER, line)
    if operator_id is not None:
        platform = request.app[PLATFORM]
        now = platform.clock.now()
        for kind, line in noted:
            platform.integration_warnings.note(
                operator_id, kind, request.method, request.raw_path[:512], line, now
            )
    return [kind for kind, _ in noted]
