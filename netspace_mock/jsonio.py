"""Strict JSON in (no NaN/Infinity, no duplicate keys, bounded depth; numbers as Decimal, and bounded as
they are read in a webhook's answer) and strict JSON out (finite, bounded numbers only)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from netspace_mock.errors import InvalidRequest

MAX_DEPTH = 32
# A number literal longer than this, or with a decimal exponent beyond this, is refused before it is
# converted: Decimal arithmetic and int() on such a value cost time that grows with its exponent.
MAX_NUMBER_CHARS = 40
MAX_EXPONENT = 40


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON; send a finite number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key[:64]!r} appears twice in one object")
        result[key] = value
    return result


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def bounded(value: Decimal) -> bool:
    """Finite, and small enough in exponent that converting or formatting it is cheap."""
    return value.is_finite() and -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT


def _number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number has {len(text)} characters; at most {MAX_NUMBER_CHARS} are accepted")
    value = Decimal(text)
    if not bounded(value):
        raise ValueError(f"the number {text} is out of range (its exponent is beyond ±{MAX_EXPONENT})")
    return value


# One decoder for every body (json.loads with options builds a new one per call).
_DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constants, object_pairs_hook=_no_duplicates
)
# Answers from a webhook also bound every number as it is read (a request's numbers are bounded by
# its schema before use, and its unknown fields are never used).
_ANSWER_DECODER = json.JSONDecoder(
    parse_float=_number, parse_int=_number, parse_constant=_no_constants, object_pairs_hook=_no_duplicates
)


def loads(raw: bytes) -> Any:
    """Parse a request body, or raise INVALID_REQUEST saying exactly what is wrong with it."""
    if not raw.strip():
        raise InvalidRequest.at("$", "the body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest.at("$", f"the body is not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):  # what json.loads says of it; the decoder itself does not look
        raise InvalidRequest.at("$", "malformed JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)")
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest.at(
            "$", f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise InvalidRequest.at("$", str(exc)) from None
    except RecursionError:
        raise InvalidRequest.at("$", f"JSON nests deeper than {MAX_DEPTH} levels") from None
    # Depth needs a walk only when there are more opening brackets than MAX_DEPTH (those in strings
    # included, which only over-count): a launch's body has one.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise InvalidRequest.at("$", f"JSON nests deeper than {MAX_DEPTH} levels")
    # A lone surrogate can only come from a \uD800-\uDFFF escape (as bytes it is not UTF-8): only a
    # body with one is walked. Such a string cannot be stored or sent as UTF-8.
    if SURROGATE_ESCAPE.search(raw):
        where = _lone_surrogate(value, "$")
        if where is not None:
            raise InvalidRequest.at(
                where,
                "holds a lone UTF-16 surrogate (\\ud800-\\udfff not in a pair); send valid Unicode text",
            )
    return value


SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The JSON path of the first key or string holding a lone surrogate, or None."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if LONE_SURROGATE.search(node):
                return where
        elif isinstance(node, dict):
            for key, child in node.items():
                if LONE_SURROGATE.search(key):
                    return f"{where} (a key)"
                stack.append((child, f"{where}.{key}"))
        elif isinstance(node, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node))
    return None


def parse(text: str, what: str = "the answer") -> Any:
    """Parse text as strict, bounded JSON (as `loads` does a request body), or raise ValueError saying
    in words what is wrong with it: malformed, NaN/Infinity, an unbounded number, a duplicate key, too
    deep, or a string that is not Unicode (a lone surrogate such as "\\ud800")."""
    try:
        value = _ANSWER_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ValueError(f"{what} nests deeper than {MAX_DEPTH} levels") from None
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise ValueError(f"{what} nests deeper than {MAX_DEPTH} levels")
    if "\\u" in text and _lone_surrogate(value, "$") is not None:
        raise ValueError(f"{what} holds a string that is not Unicode (a lone surrogate)")
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not bounded(value):
            raise ValueError(f"the number {value} is not finite or out of range; it is not sent as JSON")
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


# One encoder for every answer and payload (json.dumps with options builds a new one per call);
# allow_nan=False: a float NaN or infinity is refused, never written as the non-JSON `NaN`.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; Decimal amounts become JSON numbers."""
    return _ENCODER.encode(value).encode("utf-8")


class Encoded(bytes):
    """A whole success answer, already encoded (a cached catalog page): sent as it is."""


def success(result: dict[str, Any]) -> Encoded:
    return Encoded(dumps({"success": True, **result}))
