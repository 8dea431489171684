"""What JavaScript's `JSON.stringify(JSON.parse(body))` gives: the canonical form of a request body.

A client written after the guide signs `JSON.stringify(body)` and, if it sends what it signed, sends
exactly this form. The rules followed are ECMAScript's: compact separators; numbers as IEEE doubles,
written by Number::toString (`50.0` → `50`, `1e21` → `1e+21`, `1e-7` → `1e-7`, `0.00001` → `0.00001`);
strings with only `"`, `\\` and control characters escaped (non-ASCII kept as it is); keys in the order
given, except that keys which are array indices ("0", "1", …) come first in ascending order, as
JSON.parse's objects keep them.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

ARRAY_INDEX_LIMIT = 2**32 - 1  # an array index is an integer below 2**32 − 1, written canonically


def number(value: float) -> str:
    """Number::toString of a double, the form JSON.stringify writes (a non-finite one is `null`)."""
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"  # -0 included
    # repr gives the shortest digits that read back as the same double, which ECMAScript asks for too;
    # normalize() drops trailing zeros. value = 0.digits × 10**n.
    _, figures, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, figures))
    k = len(digits)
    n = exponent + k
    sign = "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    shown = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{shown}e{'+' if e >= 0 else '-'}{abs(e)}"


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and str(int(key)) == key and int(key) < ARRAY_INDEX_LIMIT


def _keys(obj: dict[str, Any]) -> list[str]:
    indices = [k for k in obj if _is_array_index(k)]
    if not indices:
        return list(obj)
    return sorted(indices, key=int) + [k for k in obj if not _is_array_index(k)]


def stringify(value: Any) -> str:
    """JSON.stringify of a value as JSON.parse would have made it (numbers given as Decimal, int or float)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        # Python's escapes with ensure_ascii off are JSON.stringify's: `"`, `\`, \b \f \n \r \t, other
        # control characters as \u00xx; `/` and every other character as it is.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal | int | float):
        return number(float(value))
    if isinstance(value, dict):
        return "{" + ",".join(f"{stringify(k)}:{stringify(value[k])}" for k in _keys(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(stringify(item) for item in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


class _NotPlain(Exception):
    """A number whose Python form may differ from JavaScript's: the plain walk writes the body."""


SAFE_INTEGER = 2**53  # below it an integer is exact as a double, and both languages write its digits


def _plain_number(value: Any) -> Any:
    """A Decimal as an int or float that Python's C encoder writes exactly as JavaScript would: an
    integer below 2**53, or a fraction in the range where repr uses no exponent (1e-4 to 1e16)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            if abs(value) < SAFE_INTEGER:
                return int(value)
        else:
            as_float = float(value)
            if 1e-4 <= abs(as_float) < 1e16 and not as_float.is_integer():
                return as_float
    raise _NotPlain


# The fast way for the usual body: the C encoder, whose string escapes are JSON.stringify's.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain_number)
_INDEX_KEY = re.compile(r'"[0-9]+":')  # may be an array-index key, which JSON.parse puts first


def canonical(value: Any) -> bytes:
    """The bytes JSON.stringify(JSON.parse(body)) gives for the parsed body `value`, as UTF-8. The C
    encoder writes it when every number is one it writes as JavaScript does and no key is an array
    index; otherwise (rare) the plain walk of `stringify` does."""
    try:
        text = _ENCODER.encode(value)
    except _NotPlain:
        text = None
    if text is None or _INDEX_KEY.search(text):
        text = stringify(value)
    return text.encode("utf-8")


def first_difference(sent: bytes, canonical_form: bytes, around: int = 12) -> tuple[int, str, str]:
    """Where `sent` first differs from its canonical form: the byte offset, and a few characters of each
    from there (for a one-line explanation)."""
    at = next((i for i, (a, b) in enumerate(zip(sent, canonical_form, strict=False)) if a != b), None)
    if at is None:
        at = min(len(sent), len(canonical_form))
    start = max(0, at - 8)

    def piece(data: bytes) -> str:
        return data[start : at + around].decode("utf-8", "replace")

    return at, piece(sent), piece(canonical_form)
