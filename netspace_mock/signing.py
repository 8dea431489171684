"""HMAC-SHA256 request signing per PROTOCOL §1, shared by the API (verify) and the webhook client (sign)."""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from functools import lru_cache

HEADER_KEY = "X-API-Key"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_SIGNATURE = "X-Signature"
HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_SIGNATURE)


def string_to_sign(timestamp: str, method: str, path: str, body: bytes | str = b"") -> bytes:
    """TIMESTAMP + METHOD + PATH + BODY, as UTF-8 bytes; BODY is the raw body exactly as sent."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return f"{timestamp}{method.upper()}{path}".encode() + body


def sign(secret: str, timestamp: str, method: str, path: str, body: bytes | str = b"") -> str:
    return _hex_mac(secret, string_to_sign(timestamp, method, path, body))


def headers(
    api_key: str, secret: str, timestamp: int | str, method: str, path: str, body: bytes | str = b""
) -> dict[str, str]:
    ts = str(timestamp)
    return {
        HEADER_KEY: api_key,
        HEADER_TIMESTAMP: ts,
        HEADER_SIGNATURE: sign(secret, ts, method, path, body),
    }


HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


@lru_cache(maxsize=256)
def _keyed(secret: str) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with `secret` and never fed itself: each message is MACed on a copy of it,
    so the key's two padded blocks are hashed once per secret, not once per request."""
    return hmac.new(secret.encode("utf-8"), digestmod="sha256")


def _hex_mac(secret: str, message: bytes) -> str:
    """The HMAC-SHA256 of `message` under `secret`, as 64 lower-case hex digits."""
    mac = _keyed(secret).copy()
    mac.update(message)
    return mac.hexdigest()


def signature_matches(secret: str, given: str, message: bytes) -> bool:
    """Constant-time comparison of a hex signature (any case) with the HMAC of `message`."""
    given = given.strip().lower()
    # compare_digest takes text only when it is ASCII; any other text is no hex digest either.
    if len(given) != 64 or not given.isascii():
        return False
    return hmac.compare_digest(_hex_mac(secret, message), given)


@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret: str


class SignatureError(Exception):
    """One failed check; `reason` names it in words an integrator can act on."""

    def __init__(self, reason: str, *, details: dict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def check_timestamp(raw: str, now: float, tolerance: int) -> None:
    """Raise SignatureError naming what is wrong with X-Timestamp, unless it is Unix seconds within
    ±tolerance s of `now`."""
    if not raw.isascii() or not raw.isdigit():
        raise SignatureError(f"X-Timestamp must be Unix time in seconds as decimal digits, got {raw[:40]!r}")
    if len(raw) >= 13:
        raise SignatureError(
            f"X-Timestamp {raw[:20]} looks like milliseconds: it must be Unix time in seconds, not milliseconds "
            f"(e.g. {int(now)})"
        )
    skew = int(raw) - int(now)
    if abs(skew) > tolerance:
        direction = "in the future" if skew > 0 else "in the past"
        raise SignatureError(
            f"X-Timestamp is {abs(skew)} s {direction}; it must be within ±{tolerance} s of the server "
            f"time ({int(now)}): check the client's clock",
            details={"server_time": int(now), "skew_seconds": skew, "tolerance_seconds": tolerance},
        )


def candidate_paths(raw_path: str, mode: str) -> list[str]:
    """The PATH values a signature may cover, per the `signature_path` setting, in the order tried."""
    path_only = raw_path.partition("?")[0]
    if mode == "path_qs" or path_only == raw_path:
        return [raw_path]
    return [path_only, raw_path] if mode == "either" else [path_only]


# The BODY an empty body may be signed with besides the empty string, per `empty_body_signature`: what
# the guide's JSON.stringify(body) gives for no body (undefined), {}, null or "".
STAND_INS = {
    "empty": (),
    "braces": (b"{}",),
    "undefined": (b"undefined",),
    "any": (b"undefined", b"{}", b"null", b'""'),
}


@dataclass(frozen=True)
class SignedOver:
    """What a valid signature covered: the PATH form, and the stand-in for an empty body (None: the body
    as sent)."""

    path: str
    stand_in: bytes | None = None


def verify(
    secret: str,
    timestamp: str,
    method: str,
    raw_path: str,
    body: bytes,
    given: str,
    mode: str,
    empty_body: str = "empty",
) -> SignedOver:
    """What `given` signs, under the first PATH form `mode` accepts that matches (and, for an empty body,
    the first form `empty_body` accepts); otherwise raise SignatureError with the diagnosis, which only a
    failed request pays for: the form of the header first, then the likely mistake."""
    paths = candidate_paths(raw_path, mode)
    for path in paths:
        if signature_matches(secret, given, string_to_sign(timestamp, method, path, body)):
            return SignedOver(path)
    if not body:
        for stand_in in STAND_INS[empty_body]:
            for path in paths:
                if signature_matches(secret, given, string_to_sign(timestamp, method, path, stand_in)):
                    return SignedOver(path, stand_in)
    given = given.strip()
    if not HEX_SIGNATURE.fullmatch(given):
        raise SignatureError(
            f"X-Signature must be 64 hexadecimal characters (HMAC-SHA256 hex digest), got {len(given)} characters"
        )
    signed = string_to_sign(timestamp, method, paths[0], body)
    details = {"string_to_sign": _shown(signed)}
    if len(paths) > 1:
        details["also_accepted"] = [_shown(string_to_sign(timestamp, method, p, body)) for p in paths[1:]]
    raise SignatureError(
        "signature mismatch: " + diagnose(secret, timestamp, method, raw_path, body, given, paths),
        details=details,
    )


SHOWN_LIMIT = 4096


def _shown(message: bytes) -> str:
    text = message.decode("utf-8", "replace")
    if len(text) > SHOWN_LIMIT:
        return text[:SHOWN_LIMIT] + f"…({len(text) - SHOWN_LIMIT} more characters)"
    return text


def _reserialisations(body: bytes) -> list[tuple[str, bytes]]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    variants = [
        ("compact JSON (JSON.stringify)", dict(separators=(",", ":"), ensure_ascii=False)),
        ("JSON with spaces after ',' and ':' (Python json.dumps default)", dict(ensure_ascii=False)),
        ("compact JSON with non-ASCII escaped", dict(separators=(",", ":"))),
        ("JSON with spaces and non-ASCII escaped", {}),
        ("compact JSON with sorted keys", dict(separators=(",", ":"), sort_keys=True, ensure_ascii=False)),
        ("JSON with sorted keys and spaces", dict(sort_keys=True, ensure_ascii=False)),
    ]
    return [(label, json.dumps(value, **kw).encode()) for label, kw in variants]


def diagnose(
    secret: str, timestamp: str, method: str, raw_path: str, body: bytes, given: str, paths: list[str]
) -> str:
    """Find the likely mistake by trying the usual wrong variants; only runs on a failed request."""

    def hits(ts: str, m: str, p: str, b: bytes) -> bool:
        # Built by hand, not by string_to_sign, which would upper-case a lower-case METHOD.
        return signature_matches(secret, given, f"{ts}{m}{p}".encode() + b)

    path_only = raw_path.partition("?")[0]
    for path in paths:
        if path.startswith("/api/") and hits(timestamp, method, path[4:], body):
            return f"it was computed over PATH {path[4:]!r}: PATH must include the /api prefix ({path!r})"
        for label, variant in _reserialisations(body):
            if variant != body and hits(timestamp, method, path, variant):
                return (
                    f"it matches the body re-serialised as {label}, but the bytes sent differ: "
                    "sign the exact body you send"
                )
        for stand_in in STAND_INS["any"]:
            if stand_in != body and hits(timestamp, method, path, stand_in):
                shown = stand_in.decode()
                if body:
                    return f"it was computed with BODY {shown!r}, but the body sent is different"
                return (
                    f"it was computed with BODY {shown!r}, but the body sent is empty: sign the empty "
                    f"string, or relax empty_body_signature (--empty-body-signature any) to accept {shown!r}"
                )
        if hits(timestamp, method.lower(), path, body):
            return "it was computed with a lower-case METHOD: METHOD must be upper-case"
    if "?" in raw_path and raw_path not in paths and hits(timestamp, method, raw_path, body):
        return (
            "it covers the query string, but this server is set to sign the path alone (signature_path=path); "
            "sign the path alone, or relax it with --signature-path either"
        )
    if "?" in raw_path and path_only not in paths and hits(timestamp, method, path_only, body):
        return (
            "it covers the path alone, but this server is set to sign path?query (signature_path=path_qs); "
            "sign path?query, or relax it with --signature-path either"
        )
    for other in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        if other != method and any(hits(timestamp, other, p, body) for p in paths):
            return f"it was computed for METHOD {other}, but the request is a {method}"
    return (
        "the signature does not match the string to sign shown in error.details.string_to_sign; "
        "check the secret key, that PATH is exactly the request path and BODY the exact bytes sent"
    )
