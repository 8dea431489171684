"""Authenticates an /api request: the three headers, the operator's key, the timestamp, the signature."""

from __future__ import annotations

from netspace_mock import signing
from netspace_mock.domain.operators import OperatorDirectory
from netspace_mock.errors import Unauthorized
from netspace_mock.store.operators import Operator


def authenticate(
    headers: dict[str, str] | object,
    method: str,
    raw_path: str,
    body: bytes,
    *,
    operators: OperatorDirectory,
    now: float,
    tolerance: int,
    path_mode: str,
    empty_body: str = "empty",
) -> tuple[Operator, signing.SignedOver]:
    """The calling operator and what its signature covered, or Unauthorized whose message names the one
    check that failed."""
    api_key = headers.get(signing.HEADER_KEY)
    timestamp = headers.get(signing.HEADER_TIMESTAMP)
    signature = headers.get(signing.HEADER_SIGNATURE)
    if not (api_key and timestamp and signature):
        found = dict(zip(signing.HEADERS, (api_key, timestamp, signature), strict=True))
        missing = [name for name, value in found.items() if not value]
        raise Unauthorized(
            f"missing header{'s' if len(missing) > 1 else ''} {', '.join(missing)}: every /api request "
            "is signed with X-API-Key, X-Timestamp and X-Signature"
        )
    operator = operators.by_api_key(api_key)
    if operator is None:
        shown = api_key if len(api_key) <= 64 else api_key[:64] + "…"
        raise Unauthorized(f"unknown API key {shown!r}")
    try:
        signing.check_timestamp(timestamp, now, tolerance)
        signed = signing.verify(
            operator.secret_key, timestamp, method, raw_path, body, signature, path_mode, empty_body
        )
    except signing.SignatureError as exc:
        raise Unauthorized(exc.reason, details=exc.details) from None
    return operator, signed
