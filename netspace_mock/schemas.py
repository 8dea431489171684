"""Loads data/schemas/ once and validates payloads against them, reporting every problem as {path, message}."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from netspace_mock.errors import InvalidRequest
from netspace_mock.paths import schema_files

BASE_URI = "https://schemas.netspace-mock.invalid/"
MAX_ERRORS = 50


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Every schema by name (file name without .json)."""
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text(encoding="utf-8"))
        for entry in schema_files()
    }


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (BASE_URI + f"{name}.json", Resource.from_contents(doc)) for name, doc in documents().items()
    )


def _is_integer(checker, instance: Any) -> bool:
    # Request numbers are parsed as Decimal (exact amounts); 3 and 3.0 are integers, as JSON Schema says.
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer")


Validator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)


def _follow(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline(node: Any, doc_name: str, depth: int = 0) -> Any:
    """The schema with every $ref replaced by what it points at (the files hold no recursive refs).

    Validation then never looks a reference up: that lookup was most of the time spent validating a
    webhook payload (about 370 µs each, 30 µs inlined)."""
    if depth > 64:
        raise ValueError(f"{doc_name}: $ref nesting too deep (a recursive schema?)")
    if isinstance(node, list):
        return [inline(item, doc_name, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        file, _, pointer = node["$ref"].partition("#")
        target_doc = file.removesuffix(".json") if file else doc_name
        target = inline(_follow(documents()[target_doc], pointer), target_doc, depth + 1)
        target = {k: v for k, v in target.items() if k not in ("$id", "$schema")}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **siblings} if not set(siblings) & set(target) else {"allOf": [target], **siblings}
    return {key: inline(value, doc_name, depth + 1) for key, value in node.items() if key != "$defs"}


@cache
def validator(name: str) -> Draft202012Validator:
    if name not in documents():
        raise KeyError(f"no schema named {name!r} in data/schemas/")
    return Validator(inline(documents()[name], name), registry=_registry())


# Keywords that mean the same in draft-07 (what fastjsonschema compiles) as in 2020-12 (what the files
# are written in), plus annotations. A schema using any other keyword is only ever checked by jsonschema.
FAST_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "items", "minItems",
        "maxItems", "allOf", "anyOf", "oneOf", "not", "title", "description", "$schema", "$id",
        # Python's == finds at least the duplicates JSON's equality finds (and 1 == True besides: a
        # payload refused for that is checked again by jsonschema), so uniqueItems never lets one by.
        "uniqueItems",
        # 2019-09's dependentRequired is draft-07's dependencies with lists: renamed by _draft07().
        "dependentRequired",
    }
)  # fmt: skip
NAMED = ("properties", "dependentRequired")  # keywords whose keys are names, not keywords
DRAFT07_NAME = {"dependentRequired": "dependencies"}  # 2019-09's name -> draft-07's, same meaning


class _NotFast(Exception):
    """The schema uses a keyword the compiled check could read differently."""


def _draft07(node: Any) -> Any:
    """The schema as draft-07 reads it, or _NotFast when a keyword is not in FAST_KEYWORDS (or `items`
    is a list, which draft-07 reads as a tuple)."""
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in FAST_KEYWORDS or (key == "items" and not isinstance(value, dict)):
            raise _NotFast(key)
        if key in ("enum", "const"):
            out[key] = value
        elif key in NAMED and isinstance(value, dict):
            out[DRAFT07_NAME.get(key, key)] = {name: _draft07(child) for name, child in value.items()}
        else:
            out[key] = _draft07(value)
    return out


@cache
def fast_check(name: str) -> Callable[[Any], Any] | None:
    """A compiled yes/no check of the schema (fastjsonschema: a function generated from it, about 15
    times faster than jsonschema's walk), or None when the schema uses a keyword it could read
    differently. It only says "valid": any payload it refuses is described by jsonschema, which stays the
    one authority on what is wrong (and on what is right: a payload it refuses is checked again)."""
    try:
        schema = _draft07(validator(name).schema)
    except _NotFast:
        return None
    compiled = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    return fastjsonschema.compile(
        {"$schema": "http://json-schema.org/draft-07/schema#", **compiled}, use_formats=False
    )


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
    fast = fast_check(name)
    if fast is not None:
        try:
            fast(payload)
            return []
        except fastjsonschema.JsonSchemaException:
            pass  # described (or found valid after all) by jsonschema below
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
