"""Validate the facts of a self-check against the schema in policy/eligibility.yml."""

from __future__ import annotations

from datetime import date
from typing import Any

UNSURE = "unsure"
TEXT_LIMIT = 30  # a text fact names something (an occupation), it is not free prose


class FactError(ValueError):
    """A fact the check cannot read; the message is shown to the operator."""


def _check(name: str, spec: dict[str, Any], value: Any) -> Any:
    if value == UNSURE:
        return UNSURE
    kind = spec["type"]
    if kind == "enum":
        if value not in spec["values"]:
            raise FactError(f"{name}: {value!r} is not one of {spec['values']}")
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise FactError(f"{name}: expected a list of {spec['values']}")
        unknown = [v for v in value if v not in spec["values"]]
        if unknown:
            raise FactError(f"{name}: unknown values {unknown}; allowed: {spec['values']}")
        return list(dict.fromkeys(value))
    if kind == "bool":
        if not isinstance(value, bool):
            raise FactError(f"{name}: expected true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FactError(f"{name}: expected a whole number ≥ 0")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise FactError(f"{name}: expected a number ≥ 0")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip() or len(value) > TEXT_LIMIT:
            raise FactError(f"{name}: expected a short text (1—{TEXT_LIMIT} characters)")
        return value.strip()
    if kind == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise FactError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
    if kind == "object":
        if not isinstance(value, dict):
            raise FactError(f"{name}: expected an object")
        return validate_fields(spec["fields"], value, prefix=f"{name}.")
    raise FactError(f"{name}: schema type {kind!r} is not supported")


def validate_fields(
    schema: dict[str, Any], raw: dict[str, Any], prefix: str = ""
) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        raise FactError(f"unknown fact(s): {', '.join(prefix + k for k in unknown)}")
    return {key: _check(prefix + key, schema[key], value) for key, value in raw.items()}


def validate_facts(schema: dict[str, Any], raw: Any) -> dict[str, Any]:
    """Return the facts with dates parsed and lists de-duplicated; raise FactError."""
    if not isinstance(raw, dict):
        raise FactError("expected one JSON object of facts")
    if "role" not in raw:
        raise FactError('role is required: "worker" or "enterprise"')
    return validate_fields(schema, raw)


def lookup(facts: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when absent."""
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def is_known(value: Any) -> bool:
    return value is not None and value != UNSURE
