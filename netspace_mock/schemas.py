"""Loads data/schemas/ once and validates payloads against them, reporting every problem as {path, message}."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from netspace_mock.errors import InvalidRequest
from netspace_mock.paths import schema_files

BASE_URI = "https://schemas.netspace-mock.invalid/"
MAX_ERRORS = 50
MAX_REF_DEPTH = 64


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Every schema by name (file name without .json)."""
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in schema_files()
    }


@cache
def _registry() -> Registry:
    """Every schema under its $id, crawled once, so that validation follows a $ref by a lookup."""
    resources = [
        (BASE_URI + f"{name}.json", Resource.from_contents(doc)) for name, doc in documents().items()
    ]
    return Registry().with_resources(resources).crawl()


def _is_integer(checker, instance: Any) -> bool:
    # Request numbers are parsed as Decimal (exact amounts); 3 and 3.0 are integers, as JSON Schema says.
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer")


Validator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)


def resolved(node: Any, resolver: Any, depth: int = 0) -> Any:
    """The schema with each $ref replaced by what `resolver` (the registry's) finds for it; the schemas
    hold no recursive $ref. Followed at every validation instead, the lookups were most of its time."""
    if depth > MAX_REF_DEPTH:
        raise ValueError(f"$ref nesting deeper than {MAX_REF_DEPTH} levels (a recursive schema?)")
    if isinstance(node, list):
        return [resolved(item, resolver, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if not isinstance(node.get("$ref"), str):
        return {key: resolved(value, resolver, depth + 1) for key, value in node.items()}
    found = resolver.lookup(node["$ref"])
    target = resolved(found.contents, found.resolver, depth + 1)
    siblings = {key: resolved(value, resolver, depth + 1) for key, value in node.items() if key != "$ref"}
    return {"allOf": [target], **siblings} if siblings else target


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator of schemas/<name>.json, built once."""
    if name not in documents():
        raise KeyError(f"no schema named {name!r} in data/schemas/")
    resolver = _registry().resolver(base_uri=BASE_URI + f"{name}.json")
    return Validator(resolved(documents()[name], resolver), registry=_registry())


@cache
def query_properties(name: str) -> dict[str, dict[str, Any]]:
    """The top-level properties of a schema with each $ref followed, so a query string can be typed."""
    resolver = _registry().resolver(base_uri=BASE_URI + f"{name}.json")
    found = {}
    for prop, spec in documents()[name].get("properties", {}).items():
        found[prop] = resolver.lookup(spec["$ref"]).contents if "$ref" in spec else spec
    return found


def _path(error: ValidationError) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


DEPENDENCY = re.compile(r"'(.+)' is a dependency of '(.+)'")


def _describe(error: ValidationError) -> tuple[str, str]:
    """(path, message) in words a caller can act on; never echoes the (possibly huge) value itself."""
    path, kind, expected, value = _path(error), error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if isinstance(value, dict) and name not in value]
        # jsonschema raises one error per missing property and names it only in its message.
        name = next(
            (n for n in missing if error.message.startswith(f"{n!r} ")), missing[0] if missing else "?"
        )
        return f"{path}.{name}", "is required"
    if kind == "dependentRequired":
        # One error per missing property, named (with the property that needs it) only in the message.
        needs = DEPENDENCY.match(error.message)
        if needs:
            return f"{path}.{needs.group(1)}", f"is required when {needs.group(2)} is given"
    if kind == "type":
        wanted = " or ".join(
            _TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)
        )
        return path, f"must be {wanted}, got {_TYPE_NAMES[_json_type(value)]}"
    if kind == "enum":
        shown = ", ".join(map(str, expected)) if len(expected) <= 40 else f"one of {len(expected)} values"
        return path, f"must be one of: {shown}"
    if kind == "const":
        return path, f"must be {expected!r}"
    if kind == "minLength":
        return path, "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if kind == "maxLength":
        return path, f"must be at most {expected} characters (got {len(value)})"
    if kind == "minimum":
        return path, f"must be at least {expected}"
    if kind == "maximum":
        return path, f"must be at most {expected}"
    if kind == "exclusiveMinimum":
        return path, f"must be greater than {expected}"
    if kind == "exclusiveMaximum":
        return path, f"must be less than {expected}"
    if kind == "pattern":
        hint = error.schema.get("description") or f"must match {expected}"
        return path, hint
    if kind in ("minItems", "maxItems"):
        return path, f"must have {'at least' if kind == 'minItems' else 'at most'} {expected} items"
    if kind == "uniqueItems":
        return path, "must not repeat items"
    if kind == "additionalProperties" and isinstance(value, dict):
        known = error.schema.get("properties", {})
        unknown = [name for name in value if name not in known]
        shown = ", ".join(repr(name[:64]) for name in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        return (
            f"{path}.{unknown[0][:64]}" if unknown else path,
            f"unknown field {shown}: this request accepts only {', '.join(known)}",
        )
    if kind in ("minProperties", "maxProperties"):
        return path, f"must have {'at least' if kind == 'minProperties' else 'at most'} {expected} fields"
    return path, f"does not satisfy {kind}"


def problems(name: str, payload: Any) -> list[dict[str, str]]:
    """Every problem of `payload` against the schema (at most MAX_ERRORS), as {path, message}."""
    found = []
    for error in sorted(validator(name).iter_errors(payload), key=lambda e: list(map(str, e.absolute_path))):
        path, message = _describe(error)
        found.append({"path": path, "message": message})
        if len(found) >= MAX_ERRORS:
            break
    return found


def validate(name: str, payload: Any) -> None:
    """Raise INVALID_REQUEST listing every problem of the payload against data/schemas/<name>.json."""
    found = problems(name, payload)
    if found:
        summary = "; ".join(f"{p['path']} {p['message']}" for p in found[:3])
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise InvalidRequest(
            f"the request does not match its schema: {summary}{more}", details={"errors": found}
        )
