"""Dataclasses ↔ plain JSON-ready dicts, tolerant of other versions of the same class: on
the way back, unknown keys are ignored and a missing or mistyped field takes its default,
so a state written by an older or newer release still loads."""

from __future__ import annotations

import types
from dataclasses import asdict, fields, is_dataclass
from datetime import date
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
_INVALID = object()


def to_plain(value: Any) -> dict[str, Any]:
    """A dataclass as nested dicts and lists (a deep copy)."""
    return asdict(value)


def json_default(value: Any) -> Any:
    """For json.dumps: dates as ISO text (the facts parse them back from text)."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def from_plain(cls: type[T], data: Any) -> T:
    """An instance of `cls` from what to_plain wrote (dates as ISO text). Raises TypeError
    when a field without a default is missing or unreadable; a field that has a default
    takes it instead."""
    if not isinstance(data, dict):
        return cls()
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        if item.init and item.name in data:
            value = _coerce(hints[item.name], data[item.name])
            if value is not _INVALID:
                values[item.name] = value
    return cls(**values)


def _members(hint: Any) -> tuple[Any, ...]:
    if get_origin(hint) in (Union, types.UnionType):
        return get_args(hint)
    return (hint,)


def _coerce(hint: Any, value: Any) -> Any:
    members = _members(hint)
    if value is None:
        return None if type(None) in members or Any in members else _INVALID
    for member in members:
        if member is Any:
            return value
        kind = get_origin(member) or member
        if not isinstance(kind, type):
            continue
        if is_dataclass(kind):
            if isinstance(value, dict):
                try:
                    return from_plain(kind, value)
                except TypeError:
                    continue
            continue
        if kind is date and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
        if kind is list and isinstance(value, list) and get_args(member):
            items = [_coerce(get_args(member)[0], item) for item in value]
            if not any(i is _INVALID for i in items):
                return items
            continue
        if kind is tuple and isinstance(value, list):  # JSON has no tuples
            args = get_args(member)
            if not args or (len(args) == 2 and args[1] is ...):
                hints = [args[0] if args else Any] * len(value)
            else:
                hints = list(args)
            if len(hints) == len(value):
                items = [_coerce(h, v) for h, v in zip(hints, value, strict=True)]
                if not any(i is _INVALID for i in items):
                    return tuple(items)
            continue
        if isinstance(value, bool) and kind is not bool:
            continue  # JSON true is not a number here
        if kind is float and isinstance(value, int):
            return float(value)
        if isinstance(value, kind):
            return value
    return _INVALID
